"""The YANG module files (package data under ``yang/``) and the yangson data model of a feature
set, loaded once per process; the server's datastores and the client's RFC 7951 conversion read
the same files through this module.

The module files are the single source of truth; everything here is read from them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

from yangson import DataModel

from smartupgrade_model.model import FEATURES, MODULE

(AP_UPGRADE_FEATURE,) = FEATURES
SYSTEM_MODULE = "ietf-system"
SYSTEM_DEVIATIONS_MODULE = "sunc-system-deviations"
SUBSCRIBED_NOTIFICATIONS_MODULE = "ietf-subscribed-notifications"
YANG_PUSH_MODULE = "ietf-yang-push"
# IETF modules whose data, RPCs, notifications or identities this server implements (the rest
# are imported for their types): RFC 8341's /nacm, RFC 6470's notifications, RFC 7407's
# cert-to-name map types (values of /netconf-server/tls), RFC 7317's system-restart, RFC 8639's
# subscriptions, RFC 8641's YANG-push and the datastores it names (RFC 8342)
IMPLEMENTED_IETF_MODULES = frozenset(
    {
        "ietf-datastores",
        "ietf-netconf-acm",
        "ietf-netconf-notifications",
        "ietf-x509-cert-to-name",
        SYSTEM_MODULE,
        SUBSCRIBED_NOTIFICATIONS_MODULE,
        YANG_PUSH_MODULE,
    }
)
# The features of IETF modules the switch implements, whatever its model (RFC 8639 §2.9 asks
# for each to be advertised): no configured subscriptions, QoS, DSCP or JSON encoding.
IETF_FEATURES: dict[str, tuple[str, ...]] = {
    SUBSCRIBED_NOTIFICATIONS_MODULE: ("encode-xml", "replay", "subtree", "xpath"),
    YANG_PUSH_MODULE: ("on-change",),
}
# IETF modules the NETCONF server answers for itself (operations, discovery trees, identities):
# implemented as far as the yang-library says, only imported by the yangson data model
PROTOCOL_MODULES = frozenset(
    {
        "ietf-netconf",
        "ietf-netconf-with-defaults",
        "ietf-netconf-monitoring",
        "ietf-netconf-nmda",
        "ietf-yang-library",
        "ietf-origin",
    }
)
# Those of PROTOCOL_MODULES whose state a <get> returns beside the datastores' data, which no
# datastore holds: RFC 6022's /netconf-state, RFC 8525's /yang-library and RFC 7895's
# /modules-state; a data model that reads a whole <get> reply implements them
DISCOVERY_MODULES = frozenset({"ietf-netconf-monitoring", "ietf-yang-library"})
# Our modules that only deviate IETF modules, by the module they deviate
DEVIATIONS: dict[str, tuple[str, ...]] = {
    SYSTEM_MODULE: (SYSTEM_DEVIATIONS_MODULE,),
    SUBSCRIBED_NOTIFICATIONS_MODULE: ("sunc-subscriptions-deviations",),
    YANG_PUSH_MODULE: ("sunc-subscriptions-deviations",),
}
# What only a switch with Smart Upgrade has: its emulator is what they act on (a model without
# it runs none, so nothing restarts)
EMULATOR_MODULES = frozenset({MODULE, SYSTEM_MODULE, SYSTEM_DEVIATIONS_MODULE})

_FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9-]*)@(?P<revision>\d{4}-\d{2}-\d{2})\.yang$")


def yang_dir() -> Path:
    """The directory holding the module files (``yang/`` in the source tree)."""
    return Path(str(resources.files("smartupgrade_model") / "yang"))


@dataclass(frozen=True)
class YangModule:
    name: str
    revision: str
    namespace: str
    path: Path

    @cached_property
    def source(self) -> str:
        # read once per process: every switch of a fleet consults the same modules
        return self.path.read_text(encoding="utf-8")


def _namespace_of(text: str, path: Path) -> str:
    match = re.search(r'^\s*namespace\s+"([^"]+)"\s*;', text, re.MULTILINE)
    if match is None:
        raise ValueError(f"{path}: no namespace statement")
    return match.group(1)


@cache
def implemented_modules() -> tuple[YangModule, ...]:
    """Every module file shipped in ``yang/``, sorted by name."""
    found: list[YangModule] = []
    for path in sorted(yang_dir().rglob("*.yang")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: module files are named NAME@REVISION.yang")
        text = path.read_text(encoding="utf-8")
        found.append(YangModule(match["name"], match["revision"], _namespace_of(text, path), path))
    return tuple(found)


def module(name: str) -> YangModule:
    for candidate in implemented_modules():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def yang_library(
    *, ap_upgrade: bool, smart_upgrade: bool = True, discovery: bool = False
) -> dict[str, object]:
    """An RFC 7895 ``modules-state`` document, as yangson reads it.

    ``ap_upgrade`` selects the feature set of the switch model: only AP-capable models implement
    the ``ap-upgrade`` feature of the smart-upgrade module. Without ``smart_upgrade`` (an
    excluded model) the smart-upgrade module is not there at all. ``discovery`` also implements
    :data:`DISCOVERY_MODULES`, for reading a whole ``<get>`` reply.
    """
    entries: list[dict[str, object]] = []
    for mod in implemented_modules():
        if mod.name in EMULATOR_MODULES and not smart_upgrade:
            continue
        entry: dict[str, object] = {
            "name": mod.name,
            "revision": mod.revision,
            "namespace": mod.namespace,
            "conformance-type": "implement" if _in_data_model(mod.name, discovery) else "import",
        }
        if mod.name == MODULE and ap_upgrade:
            entry["feature"] = [AP_UPGRADE_FEATURE]
        elif mod.name in IETF_FEATURES:
            entry["feature"] = list(IETF_FEATURES[mod.name])
        if mod.name in DEVIATIONS:
            entry["deviation"] = [
                {"name": name, "revision": module(name).revision} for name in DEVIATIONS[mod.name]
            ]
        entries.append(entry)
    return {
        "ietf-yang-library:modules-state": {
            "module-set-id": f"sunc-{'ap' if ap_upgrade else 'switch'}"
            + ("" if smart_upgrade else "-plain")
            + ("-discovery" if discovery else ""),
            "module": entries,
        }
    }


def _in_data_model(name: str, discovery: bool = False) -> bool:
    return (
        name.startswith("sunc-")
        or name in IMPLEMENTED_IETF_MODULES
        or (discovery and name in DISCOVERY_MODULES)
    )


def is_implemented(name: str) -> bool:
    """Whether the switch implements the module (RFC 8525): its data, operations or
    notifications, not only its types and groupings."""
    return _in_data_model(name) or name in PROTOCOL_MODULES


@cache
def data_model(
    *, ap_upgrade: bool, smart_upgrade: bool = True, discovery: bool = False
) -> DataModel:
    """The yangson data model for one feature set, shared by every switch that has it;
    ``discovery``: also the state of :data:`DISCOVERY_MODULES` (a whole ``<get>`` reply)."""
    search_path = sorted({str(mod.path.parent) for mod in implemented_modules()})
    library = yang_library(ap_upgrade=ap_upgrade, smart_upgrade=smart_upgrade, discovery=discovery)
    model = DataModel(json.dumps(library), search_path)
    # yangson builds the schema's validation patterns when the first instance is made, root
    # first: a thread validating meanwhile (a fleet starts its switches' datastores in threads)
    # finds the root's pattern made and a child's still None. Made here, before it is shared.
    model.from_raw({})
    return model
