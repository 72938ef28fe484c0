"""Replies as RFC 7951 JSON, typed by the YANG module itself. No I/O beyond reading the module.

Why yangson and not the dataclasses: RFC 7951 encodes a leaf by its YANG type (uint64 and
decimal64 as strings, uint8/uint16 as numbers, ``date-and-time`` as text), which a Python ``int``
does not tell. yangson reads the module files (``yang/`` beside this package, the same files the
server loads) and converts the ``<data>`` of a reply with the module's own types, so a type change
in the YANG is followed without editing Python.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from lxml import etree
from yangson import DataModel
from yangson.enumerations import ContentType
from yangson.exceptions import YangsonException

from smartupgrade_client.errors import NETCONF_NS, ReplyParseError
from smartupgrade_client.model import FEATURES, MODULE, SSL_POLICY_MODULE

YANG_DIR = Path(__file__).parent / "yang"

_FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9-]*)@(?P<revision>\d{4}-\d{2}-\d{2})\.yang$")
_NAMESPACE = re.compile(r'^\s*namespace\s+"([^"]+)"\s*;', re.MULTILINE)
_IMPLEMENTED = (MODULE, SSL_POLICY_MODULE)


def yang_library(directory: Path = YANG_DIR) -> dict[str, Any]:
    """An RFC 7895 ``modules-state`` of every module file in ``directory``: the smart-upgrade
    and SSL-policy modules implemented (with every feature: a reply from a model without the AP
    feature simply lacks those nodes), the IETF type modules imported."""
    modules: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yang")):
        match = _FILE_NAME.match(path.name)
        namespace = _NAMESPACE.search(path.read_text(encoding="utf-8"))
        if match is None or namespace is None:
            raise ValueError(f"{path}: not a NAME@REVISION.yang module with a namespace")
        entry: dict[str, Any] = {
            "name": match["name"],
            "revision": match["revision"],
            "namespace": namespace.group(1),
            "conformance-type": "implement" if match["name"] in _IMPLEMENTED else "import",
        }
        if match["name"] == MODULE:
            entry["feature"] = list(FEATURES)
        modules.append(entry)
    return {"ietf-yang-library:modules-state": {"module-set-id": MODULE, "module": modules}}


@cache
def data_model(directory: Path = YANG_DIR) -> DataModel:
    """The yangson data model of the module files (loaded once)."""
    search_path = sorted({str(path.parent) for path in directory.rglob("*.yang")})
    return DataModel(json.dumps(yang_library(directory)), search_path)


def data_json(reply: etree._Element, *, validate: bool = True) -> dict[str, Any]:
    """The ``<data>`` of a ``<get>`` or ``<get-config>`` reply as an RFC 7951 JSON object
    (top-level members qualified by their module). ``validate`` checks it against the module
    (configuration and state) and raises :class:`ReplyParseError` when it does not match."""
    data = reply.find(f"{{{NETCONF_NS}}}data")
    if data is None:
        raise ReplyParseError("reply has no <data>")
    # yangson reads the standard library's ElementTree, not lxml's.
    element = ElementTree.fromstring(etree.tostring(data))
    for node in element.iter():
        # An empty string leaf (<upgrade-description/>) has no text; yangson wants "".
        if len(node) == 0 and node.text is None:
            node.text = ""
    try:
        instance = data_model().from_xml(element)
        if validate:
            instance.validate(ctype=ContentType.all)
    except YangsonException as error:
        raise ReplyParseError(f"reply does not match the module: {error}") from None
    raw = instance.raw_value()
    if not isinstance(raw, dict):
        raise ReplyParseError("reply data is not an object")
    return raw
