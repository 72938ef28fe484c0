"""Replies as RFC 7951 JSON, typed by the YANG module itself. No I/O beyond reading the module.

Why yangson and not the dataclasses: RFC 7951 encodes a leaf by its YANG type (uint64 and
decimal64 as strings, uint8/uint16 as numbers, ``date-and-time`` as text), which a Python ``int``
does not tell. yangson reads the module files (``smartupgrade_model``'s ``yang/``, the same files
the server loads) and converts the ``<data>`` of a reply with the module's own types, so a type
change in the YANG is followed without editing Python.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from xml.etree import ElementTree

from lxml import etree
from yangson import DataModel
from yangson.datatype import EmptyType
from yangson.enumerations import ContentType
from yangson.exceptions import YangsonException
from yangson.schemanode import InternalNode, LeafNode, SchemaNode

from smartupgrade_client.errors import NETCONF_NS, ReplyParseError
from smartupgrade_model.modules import data_model as _data_model


def data_model() -> DataModel:
    """The yangson data model of the module files with every feature and the discovery state a
    ``<get>`` also returns (``/netconf-state``, ``/yang-library``, ``/modules-state``): a reply
    from a model without the AP feature simply lacks those nodes (loaded once)."""
    return _data_model(ap_upgrade=True, discovery=True)


@cache
def _empty_leaves() -> frozenset[str]:
    """The ``{namespace}name`` of every leaf of type ``empty`` (``<replay-support/>``): yangson
    reads one only from an element without text, where a string leaf needs ``""``."""
    model = data_model()
    namespaces = {name: mod.xml_namespace for (name, _), mod in model.schema_data.modules.items()}
    found: set[str] = set()

    def walk(node: SchemaNode) -> None:
        if isinstance(node, LeafNode) and isinstance(node.type, EmptyType):
            found.add(f"{{{namespaces[node.ns]}}}{node.name}")
        if isinstance(node, InternalNode):
            for child in node.children:
                walk(child)

    walk(model.schema)
    return frozenset(found)


def data_json(reply: etree._Element, *, validate: bool = True) -> dict[str, Any]:
    """The ``<data>`` of a ``<get>`` or ``<get-config>`` reply as an RFC 7951 JSON object
    (top-level members qualified by their module). ``validate`` checks it against the module
    (configuration and state) and raises :class:`ReplyParseError` when it does not match."""
    data = reply.find(f"{{{NETCONF_NS}}}data")
    if data is None:
        raise ReplyParseError("reply has no <data>")
    # yangson reads the standard library's ElementTree, not lxml's.
    element = ElementTree.fromstring(etree.tostring(data))
    for node, source in zip(element.iter(), data.iter(etree.Element), strict=True):
        if len(node) == 0 and node.tag not in _empty_leaves():
            # An empty string leaf (<upgrade-description/>) has no text; yangson wants "".
            node.text = node.text or ""
            # An identityref names its module by a prefix (<transport>ncm:netconf-ssh</...>,
            # <datastore>ds:running</...>) and yangson looks the prefix up among the leaf's
            # own attributes, where ElementTree keeps no namespace declaration.
            prefix = node.text.partition(":")[0]
            if prefix in source.nsmap:
                node.set(f"xmlns:{prefix}", source.nsmap[prefix])
    try:
        instance = data_model().from_xml(element)
        if validate:
            # each top-level node the reply holds: a filtered reply lacks the mandatory nodes of
            # the modules it did not select (ietf-netconf-acm's counters), which is no error
            for member in instance:
                instance[member].validate(ctype=ContentType.all)
    except YangsonException as error:
        raise ReplyParseError(f"reply does not match the module: {error}") from None
    raw = instance.raw_value()
    if not isinstance(raw, dict):
        raise ReplyParseError("reply data is not an object")
    return raw


def qualified(value: Any, module: str | None = None) -> Any:
    """``value`` (RFC 7951 JSON) with every member named with its module
    (``sunc-smart-upgrade:https-port``), as pydantify's models want it.

    RFC 7951 names a member's module only where it differs from its parent's; a pydantify model
    declares every member under its qualified name and ignores, without a word, a member it
    does not know, so an unqualified document loses all but its top-level members
    (docs/sdk.md).
    """
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for name, member in value.items():
            owner, colon, local = name.rpartition(":")
            owner = owner if colon else module
            result[f"{owner}:{local}" if owner else name] = qualified(member, owner)
        return result
    if isinstance(value, list):
        return [qualified(member, module) for member in value]
    return value
