"""The raw content of a datastore reduced to what a filtered rendering of it holds.

A filter (datastore/filters.py) and access control's pruning work on the XML of a datastore;
the diff (datastore/diff.py) works on raw objects. :func:`selected_raw` walks the selected XML
beside the raw content it was rendered from and keeps the raw values, so that two selections
can be compared without parsing a value back from text.
"""

from __future__ import annotations

from typing import Any, cast

from lxml import etree
from yangson.schemanode import (
    ContainerNode,
    InternalNode,
    LeafListNode,
    ListNode,
    SchemaNode,
    TerminalNode,
)

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema


def selected_raw(schema: Schema, raw: RawObject, selected: etree._Element) -> RawObject:
    """The members of ``raw`` that ``selected`` (its rendering under one root element,
    filtered or pruned) holds, in the same order; lists and leaf-lists keep the entries it
    holds."""
    return _members(schema, schema.root, raw, selected)


def _members(
    schema: Schema, parent: InternalNode, raw: RawObject, element: etree._Element
) -> RawObject:
    found: dict[str, Any] = {}
    # entries of each list or leaf-list by their key strings (values), built when first asked
    indexes: dict[SchemaNode, dict[tuple[str, ...], Any]] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        module = schema.module_of_namespace.get(name.namespace or "")
        node = parent.get_data_child(name.localname, module) if module else None
        if node is None:
            continue
        member = node.iname()
        value = raw.get(member)
        if value is None:
            continue
        if isinstance(node, ListNode):
            index = indexes.get(node)
            if index is None:
                index = indexes[node] = {_entry_keys(node, entry): entry for entry in value}
            entry = index.get(_element_keys(node, child))
            if entry is not None:
                found.setdefault(member, []).append(_members(schema, node, entry, child))
        elif isinstance(node, LeafListNode):
            index = indexes.get(node)
            if index is None:
                index = indexes[node] = {(_canonical(node, item),): item for item in value}
            if (key := ((child.text or "").strip(),)) in index:
                found.setdefault(member, []).append(index[key])
        elif isinstance(node, ContainerNode):
            found[member] = _members(schema, node, value, child)
        else:
            found[member] = value
    return found


def _canonical(node: TerminalNode, raw: Any) -> str:
    return str(node.type.canonical_string(node.type.from_raw(raw)))


def _entry_keys(node: ListNode, entry: RawObject) -> tuple[str, ...]:
    keys = []
    for name, module in node.keys:
        key = cast(TerminalNode, node.get_data_child(name, module))
        keys.append(_canonical(key, entry.get(key.iname())))
    return tuple(keys)


def _element_keys(node: ListNode, element: etree._Element) -> tuple[str, ...]:
    keys = []
    namespace = etree.QName(element).namespace
    for name, _ in node.keys:
        key = element.find(f"{{{namespace}}}{name}")
        keys.append("" if key is None else (key.text or "").strip())
    return tuple(keys)
