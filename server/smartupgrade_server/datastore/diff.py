"""The one diff of two configurations: what a write creates, deletes, updates and moves.

Two raw configurations (RFC 7951 objects) in, the changes out, each with its schema node, its
data path (module-qualified names, list keys), its instance-identifier (the modules'
prefixes, as in an ``error-path``) and its old and new values. The RFC 6470
``netconf-config-change`` edits, incremental validation and access control all read it.

The changes are the topmost ones: a created or deleted container or list entry is one change,
whose subtree :func:`expand` walks when every node in it matters (access control). A list is
compared entry by entry, matched by key through dicts; an ordered-by user list whose kept
entries changed order is one ``MOVE`` naming the entries placed elsewhere. A member no schema
node describes, or a value whose shape does not fit its node, is an ``UPDATE`` of the node
holding it: a change nobody can interpret (:attr:`Change.opaque`), which validation refuses
and access control refuses too.

The work is linear in what changed: subtrees that are the same object are skipped at once
(the edit engine shares what it leaves alone), equal ones after one C-level comparison, and a
changed list costs one pass over its entries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from yangson.schemanode import (
    ContainerNode,
    InternalNode,
    LeafListNode,
    ListNode,
    SchemaNode,
    SequenceNode,
)

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema, key_strings


class ChangeKind(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    # a leaf's, leaf-list's or anydata's value; of any other node: an opaque change
    UPDATE = "update"
    # entries of an ordered-by user list placed elsewhere among the entries kept
    MOVE = "move"


@dataclass(frozen=True)
class Step:
    """One node of a data path: its module, its name and, for a list entry, its keys (as
    canonical strings)."""

    module: str
    name: str
    keys: Mapping[str, str] = field(default_factory=dict)


DataPath = tuple[Step, ...]


@dataclass(frozen=True)
class Placed:
    """An entry a MOVE placed elsewhere."""

    path: DataPath
    instance: str


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    node: SchemaNode
    path: DataPath
    # the instance-identifier, "/" for the root
    instance: str
    # raw values; None on the side where the node does not exist
    old: Any
    new: Any
    # MOVE: the entries whose place among the others changed
    moved: tuple[Placed, ...] = ()

    @property
    def opaque(self) -> bool:
        """Whether nothing is known of what changed inside the node (see the module doc)."""
        return self.kind is ChangeKind.UPDATE and isinstance(self.node, InternalNode)

    @property
    def names(self) -> tuple[str, ...]:
        """The path's module-qualified names, without keys."""
        return tuple(f"{step.module}:{step.name}" for step in self.path)


@dataclass(frozen=True)
class Growth:
    """A list or leaf-list instance that holds more entries than before."""

    node: SequenceNode
    instance: str
    entries: int


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    # lists and leaf-lists of existing parents that gained entries; those inside a created
    # subtree are found by walking it
    grown: tuple[Growth, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)


def diff(schema: Schema, old: RawObject, new: RawObject) -> Diff:
    """The changes that turn ``old`` into ``new`` (neither is modified)."""
    walk = _Walk(schema)
    if old is not new:
        walk.members(schema.root, old, new, (), "")
    return Diff(tuple(walk.changes), tuple(walk.grown))


def expand(schema: Schema, change: Change) -> Iterator[Change]:
    """A CREATE or DELETE and every node inside its subtree, each with the change's kind; any
    other change as it is. A leaf-list is one node."""
    yield change
    if change.kind not in (ChangeKind.CREATE, ChangeKind.DELETE):
        return
    value = change.new if change.kind is ChangeKind.CREATE else change.old
    if not isinstance(value, dict) or not isinstance(change.node, InternalNode):
        return
    walk = _Walk(schema)
    empty: RawObject = {}
    if change.kind is ChangeKind.CREATE:
        walk.members(change.node, empty, value, change.path, change.instance)
    else:
        walk.members(change.node, value, empty, change.path, change.instance)
    for inner in walk.changes:
        yield from expand(schema, inner)


@lru_cache(maxsize=4096)
def member_node(parent: InternalNode, member: str) -> SchemaNode | None:
    """The schema node of a raw member (``module:name`` where the module changes)."""
    module, _, name = member.rpartition(":")
    return parent.get_data_child(name, module or parent.ns)


# a list's entries by their key values
_Entries = dict[tuple[Any, ...], RawObject]


class _Walk:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.changes: list[Change] = []
        self.grown: list[Growth] = []

    def opaque(self, node: SchemaNode, path: DataPath, instance: str, old: Any, new: Any) -> None:
        self.changes.append(Change(ChangeKind.UPDATE, node, path, instance or "/", old, new))

    def members(
        self, parent: InternalNode, old: RawObject, new: RawObject, path: DataPath, instance: str
    ) -> None:
        for member in _union(old, new):
            before, after = old.get(member), new.get(member)
            if before is after or before == after:
                continue
            node = member_node(parent, member)
            if node is None:
                self.opaque(parent, path, instance, old, new)
                continue
            step_instance = self.schema.step(instance, node)
            if isinstance(node, ListNode):
                self.entries(node, before, after, path, step_instance)
                continue
            step_path = (*path, Step(node.ns, node.name))
            if before is None or after is None:
                kind = ChangeKind.CREATE if before is None else ChangeKind.DELETE
                self.changes.append(Change(kind, node, step_path, step_instance, before, after))
                if isinstance(node, LeafListNode):
                    self.grew(node, step_instance, before, after)
            elif isinstance(node, ContainerNode):
                if isinstance(before, dict) and isinstance(after, dict):
                    self.members(node, before, after, step_path, step_instance)
                else:
                    self.opaque(node, step_path, step_instance, before, after)
            else:
                self.changes.append(
                    Change(ChangeKind.UPDATE, node, step_path, step_instance, before, after)
                )
                if isinstance(node, LeafListNode):
                    self.grew(node, step_instance, before, after)

    def grew(self, node: SequenceNode, instance: str, before: Any, after: Any) -> None:
        count = len(after) if isinstance(after, list) else 0
        if count > (len(before) if isinstance(before, list) else 0):
            self.grown.append(Growth(node, instance, count))

    def entries(self, node: ListNode, old: Any, new: Any, path: DataPath, instance: str) -> None:
        list_path = (*path, Step(node.ns, node.name))
        old_entries, new_entries = _changed_part(
            [] if old is None else old, [] if new is None else new
        )
        before = self.by_key(node, old_entries)
        after = self.by_key(node, new_entries)
        if before is None or after is None:
            self.opaque(node, list_path, instance, old, new)
            return
        self.grew(node, instance, old, new)
        placed = self.moves(node, before, after, path, instance) if node.user_ordered else ()
        if placed:
            self.changes.append(
                Change(ChangeKind.MOVE, node, list_path, instance, old, new, placed)
            )
        for key in _union(before, after):
            entry_before, entry_after = before.get(key), after.get(key)
            if entry_before is entry_after or entry_before == entry_after:
                continue
            entry = entry_after if entry_after is not None else entry_before
            assert entry is not None
            keys = key_strings(node, entry)
            entry_path = (*path, Step(node.ns, node.name, keys))
            entry_instance = instance + self.schema.predicates(node, keys)
            if entry_before is None or entry_after is None:
                kind = ChangeKind.CREATE if entry_before is None else ChangeKind.DELETE
                self.changes.append(
                    Change(kind, node, entry_path, entry_instance, entry_before, entry_after)
                )
            else:
                self.members(node, entry_before, entry_after, entry_path, entry_instance)

    def moves(
        self, node: ListNode, before: _Entries, after: _Entries, path: DataPath, instance: str
    ) -> tuple[Placed, ...]:
        """The kept entries of ``after`` whose place among the kept ones changed."""
        kept_before = [key for key in before if key in after]
        kept_after = [key for key in after if key in before]
        placed = []
        for was, now in zip(kept_before, kept_after, strict=True):
            if was != now:
                keys = key_strings(node, after[now])
                placed.append(
                    Placed(
                        (*path, Step(node.ns, node.name, keys)),
                        instance + self.schema.predicates(node, keys),
                    )
                )
        return tuple(placed)

    @staticmethod
    def by_key(node: ListNode, entries: Any) -> _Entries | None:
        """The entries by their key values; None if they are not a list of entries with
        distinct keys (an opaque change)."""
        if not isinstance(entries, list):
            return None
        names = [node.get_data_child(name, module).iname() for name, module in node.keys]
        found: _Entries = {}
        try:
            for entry in entries:
                found[tuple([entry[name] for name in names])] = entry
        except (KeyError, TypeError, IndexError):
            # an entry without its keys, or that is no object
            return None
        return found if len(found) == len(entries) else None


def _changed_part(old: Any, new: Any) -> tuple[Any, Any]:
    """Two lists of entries without the ends they share as the same objects at the same places:
    what an edit left alone (it shares what it does not touch), unchanged and in place. Only an
    edit makes such sharing, and its lists have distinct keys, so no key of the rest can be in
    the ends."""
    if not isinstance(old, list) or not isinstance(new, list):
        return old, new
    start, shortest = 0, min(len(old), len(new))
    while start < shortest and old[start] is new[start]:
        start += 1
    end = 0
    while end < shortest - start and old[-1 - end] is new[-1 - end]:
        end += 1
    return old[start : len(old) - end], new[start : len(new) - end]


def _union(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> Iterator[Any]:
    """The keys of both, in ``old``'s order then ``new``'s."""
    yield from old
    yield from (key for key in new if key not in old)
