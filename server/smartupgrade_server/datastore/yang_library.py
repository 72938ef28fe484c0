"""What a server tells a client about its modules: RFC 8525 ``/yang-library``, RFC 7895
``/modules-state`` and the ``:yang-library:1.1`` capability, for one switch model.

Everything is read from the module files (``schema.implemented_modules()``); a model's feature
set decides which features are listed and whether the smart-upgrade module is there at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import cast

from lxml import etree

from smartupgrade_model.model import MODULE
from smartupgrade_model.modules import (
    AP_UPGRADE_FEATURE,
    DEVIATIONS,
    EMULATOR_MODULES,
    IETF_FEATURES,
    YangModule,
    implemented_modules,
    is_implemented,
    module,
)

YANG_LIBRARY_MODULE = "ietf-yang-library"
DATASTORES_MODULE = "ietf-datastores"
NETCONF_MODULE = "ietf-netconf"
NMDA_MODULE = "ietf-netconf-nmda"
ORIGIN_MODULE = "ietf-origin"
MONITORING_MODULE = "ietf-netconf-monitoring"
YANG_LIBRARY_CAPABILITY = "urn:ietf:params:netconf:capability:yang-library:1.1"
NETCONF_CAPABILITY_PREFIX = "urn:ietf:params:netconf:capability:"
# the one module set and schema: every datastore has the same modules
SCHEMA_NAME = "complete"
# the datastores of this server, as the ietf-datastores identities name them
DATASTORE_IDENTITIES = ("running", "candidate", "startup", "operational")

# a statement, not a description line that starts with the word
_FEATURE = re.compile(r"^\s*feature\s+\"?([A-Za-z_][\w.-]*)\"?\s*[{;]", re.MULTILINE)
# the module's own prefix comes before any import's
_PREFIX = re.compile(r"^\s*prefix\s+\"?([A-Za-z_][\w.-]*)\"?\s*;", re.MULTILINE)
_YANG_VERSION_1_1 = re.compile(r"^\s*yang-version\s+\"?1\.1\"?\s*;", re.MULTILINE)


def is_import_only(mod: YangModule) -> bool:
    """A module that only lends its types, groupings or extensions to others (ietf-inet-types,
    ietf-yang-patch), or whose nodes the switch does not implement (ietf-interfaces, which
    RFC 8639 imports for a feature the switch lacks)."""
    return not is_implemented(mod.name)


@cache
def module_prefix(mod: YangModule) -> str:
    match = _PREFIX.search(mod.source)
    if match is None:
        raise ValueError(f"{mod.path}: no prefix statement")
    return match.group(1)


@cache
def is_yang_1_1(mod: YangModule) -> bool:
    return _YANG_VERSION_1_1.search(mod.source) is not None


@cache
def declared_features(name: str) -> tuple[str, ...]:
    return tuple(_FEATURE.findall(module(name).source))


@dataclass(frozen=True)
class ModuleSet:
    """The modules one switch model advertises, with their features."""

    modules: tuple[YangModule, ...]
    features: Mapping[str, tuple[str, ...]]

    def __hash__(self) -> int:
        # equal sets have equal content ids; hashable so that their trees are built once
        return hash(self.content_id)

    def implemented(self) -> tuple[YangModule, ...]:
        return tuple(mod for mod in self.modules if not is_import_only(mod))

    def import_only(self) -> tuple[YangModule, ...]:
        return tuple(mod for mod in self.modules if is_import_only(mod))

    def module(self, name: str) -> YangModule | None:
        return next((mod for mod in self.modules if mod.name == name), None)

    @property
    def content_id(self) -> str:
        """Changes whenever the set does (RFC 8525 content-id, RFC 7895 module-set-id)."""
        digest = hashlib.sha256()
        for mod in self.modules:
            features = ",".join(self.features.get(mod.name, ()))
            digest.update(f"{mod.name}@{mod.revision}:{features};".encode())
        return digest.hexdigest()[:16]

    def capability(self) -> str:
        revision = module(YANG_LIBRARY_MODULE).revision
        return f"{YANG_LIBRARY_CAPABILITY}?revision={revision}&content-id={self.content_id}"


def module_set(
    *, smart_upgrade: bool, ap_upgrade: bool, protocol_capabilities: Iterable[str]
) -> ModuleSet:
    """The modules of a switch model: without the smart-upgrade module on a model that does not
    support Smart Upgrade, without its ``ap-upgrade`` feature on one without AP support.

    ``protocol_capabilities`` (``:candidate:1.0``…) give the ietf-netconf features, which RFC
    6241 names after them.
    """
    modules = tuple(
        mod for mod in implemented_modules() if smart_upgrade or mod.name not in EMULATOR_MODULES
    )
    offered = {
        capability.removeprefix(NETCONF_CAPABILITY_PREFIX).split(":")[0]
        for capability in protocol_capabilities
        if capability.startswith(NETCONF_CAPABILITY_PREFIX)
    }
    features: dict[str, tuple[str, ...]] = {
        NETCONF_MODULE: tuple(f for f in declared_features(NETCONF_MODULE) if f in offered),
        # get-data's with-origin and with-defaults are both served
        NMDA_MODULE: declared_features(NMDA_MODULE),
        **IETF_FEATURES,
    }
    if smart_upgrade and ap_upgrade:
        features[MODULE] = (AP_UPGRADE_FEATURE,)
    return ModuleSet(modules, features)


def nsmap(declarations: Mapping[str | None, str]) -> Mapping[str, str]:
    """An nsmap with a default namespace, as lxml takes it (its stubs reject the None key)."""
    return cast(Mapping[str, str], declarations)


def _namespace(name: str) -> str:
    return module(name).namespace


def _leaf(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{parent.nsmap[None]}}}{name}")
    element.text = text
    return element


@cache
def yang_library_xml(modules: ModuleSet) -> etree._Element:
    """``/yang-library`` (RFC 8525): one module set and schema, shared by every datastore.

    One tree per module set in the process, shared by every switch: copy it, never change it.
    """
    yl = _namespace(YANG_LIBRARY_MODULE)
    ds = _namespace(DATASTORES_MODULE)
    root = etree.Element(f"{{{yl}}}yang-library", nsmap=nsmap({None: yl, "ds": ds}))
    module_set_element = etree.SubElement(root, f"{{{yl}}}module-set")
    _leaf(module_set_element, "name", SCHEMA_NAME)
    for mod in modules.implemented():
        entry = etree.SubElement(module_set_element, f"{{{yl}}}module")
        _leaf(entry, "name", mod.name)
        _leaf(entry, "revision", mod.revision)
        _leaf(entry, "namespace", mod.namespace)
        for feature in modules.features.get(mod.name, ()):
            _leaf(entry, "feature", feature)
        for deviation in DEVIATIONS.get(mod.name, ()):
            _leaf(entry, "deviation", deviation)
    for mod in modules.import_only():
        entry = etree.SubElement(module_set_element, f"{{{yl}}}import-only-module")
        _leaf(entry, "name", mod.name)
        _leaf(entry, "revision", mod.revision)
        _leaf(entry, "namespace", mod.namespace)
    schema = etree.SubElement(root, f"{{{yl}}}schema")
    _leaf(schema, "name", SCHEMA_NAME)
    _leaf(schema, "module-set", SCHEMA_NAME)
    for datastore in DATASTORE_IDENTITIES:
        entry = etree.SubElement(root, f"{{{yl}}}datastore")
        _leaf(entry, "name", f"ds:{datastore}")
        _leaf(entry, "schema", SCHEMA_NAME)
    _leaf(root, "content-id", modules.content_id)
    return root


@cache
def modules_state_xml(modules: ModuleSet) -> etree._Element:
    """``/modules-state`` (RFC 7895), deprecated by RFC 8525 but read by older clients.

    Shared like :func:`yang_library_xml`: copy it, never change it.
    """
    yl = _namespace(YANG_LIBRARY_MODULE)
    root = etree.Element(f"{{{yl}}}modules-state", nsmap=nsmap({None: yl}))
    _leaf(root, "module-set-id", modules.content_id)
    for mod in modules.modules:
        entry = etree.SubElement(root, f"{{{yl}}}module")
        _leaf(entry, "name", mod.name)
        _leaf(entry, "revision", mod.revision)
        _leaf(entry, "namespace", mod.namespace)
        for feature in modules.features.get(mod.name, ()):
            _leaf(entry, "feature", feature)
        for deviation in DEVIATIONS.get(mod.name, ()):
            deviating = etree.SubElement(entry, f"{{{yl}}}deviation")
            _leaf(deviating, "name", deviation)
            _leaf(deviating, "revision", module(deviation).revision)
        _leaf(entry, "conformance-type", "import" if is_import_only(mod) else "implement")
    return root


def list_keys(element: etree._Element) -> tuple[str, ...]:
    """The keys of a list entry of these two trees (for filters), as ietf-yang-library has them."""
    name = etree.QName(element)
    if name.namespace != _namespace(YANG_LIBRARY_MODULE):
        return ()
    parent = element.getparent()
    parent_name = etree.QName(parent).localname if parent is not None else ""
    return _YANG_LIBRARY_KEYS.get((parent_name, name.localname), ())


_YANG_LIBRARY_KEYS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("yang-library", "module-set"): ("name",),
    ("module-set", "module"): ("name",),
    ("module-set", "import-only-module"): ("name", "revision"),
    ("yang-library", "schema"): ("name",),
    ("yang-library", "datastore"): ("name",),
    ("modules-state", "module"): ("name", "revision"),
}
