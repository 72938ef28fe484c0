"""What changed between two selections of a datastore, as the edits of an RFC 8072 YANG patch
(RFC 8641 §3.5.2: the ``datastore-changes`` of a ``push-change-update``). No I/O.

The changes are the one diff's (datastore/diff.py), each turned into edits whose targets are
RFC 8040 data resource identifiers from the datastore's root
(``/sunc-smart-upgrade:smart-upgrade/upgrade-information/upgrade-status``, a list entry
``…/rule-list=admins``, a leaf-list entry ``…/trusted-ca=…``):

- a node created: ``create`` with its value; an entry of a list or leaf-list ordered by the
  user: ``insert`` after the entry before it (``where`` ``first`` for the first);
- a node deleted: ``delete``;
- a leaf's value changed: ``replace`` with its value; a leaf-list's: ``delete`` for the
  entries gone, ``create``/``insert`` for the new ones, ``move`` for the ones placed elsewhere;
- entries of a list ordered by the user placed elsewhere: ``move`` after the entry now before
  each (or ``first``);
- anything else that changed inside a node (a change nobody can interpret): ``replace`` of
  the node.

Applied in order to the earlier selection, the edits give the later one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from lxml import etree
from yangson.schemanode import DataNode, InternalNode, LeafListNode, ListNode, SchemaNode

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema, key_strings
from smartupgrade_server.datastore.diff import Change, ChangeKind, DataPath, Diff, Step


@dataclass(frozen=True)
class PatchEdit:
    operation: str
    target: str
    # the node's XML (a copy may be put in the patch), for create, insert and replace
    value: etree._Element | None = None
    # insert and move: "first" or "after" ``point``
    where: str | None = None
    point: str | None = None


def resource_path(path: DataPath) -> str:
    """The RFC 8040 (§3.5.3) data resource identifier of a data path: the module's name on
    a top-level node and where the module changes, list keys as ``=key1,key2``."""
    parts = []
    module = None
    for step in path:
        part = step.name if step.module == module else f"{step.module}:{step.name}"
        if step.keys:
            part += "=" + ",".join(quote(value, safe="") for value in step.keys.values())
        parts.append(part)
        module = step.module
    return "/" + "/".join(parts)


def edits(schema: Schema, changes: Diff, new: RawObject) -> list[PatchEdit]:
    """The edits that turn the diff's old content into its new one, ``new``."""
    return [edit for change in changes.changes for edit in _edits(schema, change, new)]


def _edits(schema: Schema, change: Change, new: RawObject) -> Iterator[PatchEdit]:
    node = change.node
    target = resource_path(change.path)
    if change.kind is ChangeKind.MOVE:
        yield from _moves(change)
    elif isinstance(node, LeafListNode):
        yield from _leaf_list(schema, change)
    elif change.kind is ChangeKind.DELETE:
        yield PatchEdit("delete", target)
    elif change.kind is ChangeKind.CREATE and isinstance(node, ListNode) and node.user_ordered:
        entries = _list(schema, new, change.path)
        keys = [key_strings(node, entry) for entry in entries]
        place = keys.index(dict(change.path[-1].keys))
        before = None if place == 0 else resource_path(_entry(change.path, keys[place - 1]))
        yield _placed("insert", target, before, _value(schema, node, change.new))
    else:
        # created, a leaf's new value, or a node whose content nobody can interpret
        operation = "create" if change.kind is ChangeKind.CREATE else "replace"
        yield PatchEdit(operation, target, _value(schema, node, change.new))


def _value(schema: Schema, node: SchemaNode, raw: Any) -> etree._Element:
    parent = node.data_parent() or schema.root
    assert isinstance(node, DataNode) and isinstance(parent, InternalNode)
    return schema.render_node(parent, node, raw)


def _placed(
    operation: str, target: str, before: str | None, value: etree._Element | None = None
) -> PatchEdit:
    if before is None:
        return PatchEdit(operation, target, value, where="first")
    return PatchEdit(operation, target, value, where="after", point=before)


def _entry(path: DataPath, keys: Mapping[str, str]) -> DataPath:
    """The path of the entry with ``keys`` of the list or leaf-list ``path`` ends in."""
    return (*path[:-1], Step(path[-1].module, path[-1].name, keys))


def _locate(schema: Schema, content: RawObject, path: DataPath) -> tuple[SchemaNode, Any] | None:
    """The schema node and the value at ``path`` in ``content``; None where there is none."""
    node: SchemaNode = schema.root
    value: Any = content
    for step in path:
        child = (
            node.get_data_child(step.name, step.module) if isinstance(node, InternalNode) else None
        )
        if child is None or not isinstance(value, dict) or child.iname() not in value:
            return None
        value = value[child.iname()]
        if isinstance(child, ListNode) and step.keys:
            value = next((e for e in value if key_strings(child, e) == step.keys), None)
            if value is None:
                return None
        node = child
    return node, value


def _list(schema: Schema, content: RawObject, path: DataPath) -> list[Any]:
    """The entries of the list that ``path`` (of one of them) is in, in ``content``."""
    located = _locate(schema, content, (*path[:-1], Step(path[-1].module, path[-1].name)))
    assert located is not None
    return cast(list[Any], located[1])


def restated(schema: Schema, paths: Iterable[DataPath], content: RawObject) -> list[PatchEdit]:
    """RFC 8641 §3.3: nodes that changed during a dampening period yet are as they were: each
    with the value it has now (``replace``), or ``delete`` if it is gone; a whole list's order
    and a leaf-list are not restated."""
    found = []
    for path in paths:
        located = _locate(schema, content, path)
        if located is None:
            found.append(PatchEdit("delete", resource_path(path)))
            continue
        node, value = located
        if isinstance(node, LeafListNode) or (isinstance(node, ListNode) and not path[-1].keys):
            continue
        found.append(PatchEdit("replace", resource_path(path), _value(schema, node, value)))
    return found


def _moves(change: Change) -> Iterator[PatchEdit]:
    """Each entry placed elsewhere, after the kept entry now before it: the entries created
    are inserted after the moves (their own changes follow the list's), so they are no
    anchors yet."""
    node = cast(ListNode, change.node)
    placed = {resource_path(entry.path) for entry in change.moved}
    kept = {resource_path(_entry(change.path, key_strings(node, entry))) for entry in change.old}
    previous: str | None = None
    for entry in change.new:
        target = resource_path(_entry(change.path, key_strings(node, entry)))
        if target in placed:
            yield _placed("move", target, previous)
        if target in kept:
            previous = target


def _leaf_list(schema: Schema, change: Change) -> Iterator[PatchEdit]:
    node = cast(LeafListNode, change.node)
    old: Sequence[Any] = change.old or []
    new: Sequence[Any] = change.new or []

    def text(value: Any) -> str:
        return str(node.type.canonical_string(node.type.from_raw(value)))

    def target(value: Any) -> str:
        return resource_path(_entry(change.path, {node.name: text(value)}))

    old_texts = [text(value) for value in old]
    new_texts = [text(value) for value in new]
    for value, was in zip(old, old_texts, strict=True):
        if was not in new_texts:
            yield PatchEdit("delete", target(value))
    kept_before = [was for was in old_texts if was in new_texts]
    kept_after = [now for now in new_texts if now in old_texts]
    moved = {now for was, now in zip(kept_before, kept_after, strict=True) if was != now}
    previous: str | None = None
    for value, now in zip(new, new_texts, strict=True):
        if now not in old_texts:
            if node.user_ordered:
                yield _placed("insert", target(value), previous, _value(schema, node, value))
            else:
                yield PatchEdit("create", target(value), _value(schema, node, value))
        elif now in moved and node.user_ordered:
            yield _placed("move", target(value), previous)
        previous = target(value)


def yang_patch(namespace: str, patch_id: str, found: Sequence[PatchEdit]) -> etree._Element:
    """The ``yang-patch`` container (in the namespace of the module that uses the grouping:
    ietf-yang-push's for a push-change-update)."""
    patch = etree.Element(f"{{{namespace}}}yang-patch")
    etree.SubElement(patch, f"{{{namespace}}}patch-id").text = patch_id
    for number, edit in enumerate(found, start=1):
        element = etree.SubElement(patch, f"{{{namespace}}}edit")
        etree.SubElement(element, f"{{{namespace}}}edit-id").text = f"edit-{number}"
        etree.SubElement(element, f"{{{namespace}}}operation").text = edit.operation
        etree.SubElement(element, f"{{{namespace}}}target").text = edit.target
        if edit.point is not None:
            etree.SubElement(element, f"{{{namespace}}}point").text = edit.point
        if edit.where is not None:
            etree.SubElement(element, f"{{{namespace}}}where").text = edit.where
        if edit.value is not None:
            etree.SubElement(element, f"{{{namespace}}}value").append(edit.value)
    return patch
