"""Validating a configuration against a valid one it was made from: only what changed, and what
reads what changed, is validated again.

yangson validates a whole instance tree: each leaf's type, each list's keys and cardinality,
each node's mandatory children, each ``must``, ``when`` and leafref. After an edit most of the
tree is what it was, and was valid; a check whose inputs are unchanged passes again. A check's
inputs are its node's own data and what its XPath expressions read. So the new tree is walked
in yangson's order, and yangson validates a subtree where

- the node is new, a leaf, leaf-list or list whose value changed, or a node whose set of
  children changed (its own checks: mandatory children, allowed children, keys, unique);
- or a ``must``, ``when`` or leafref path of the node may read a node that changed.

What is skipped would pass for certain, so the first violation met is the one validating the
whole tree reports, with the same error.

Which nodes an expression may read is worked out once per schema from its syntax tree, over
the schema: steps along the child, parent and self axes from the context node or the root,
predicates, ``current()``, operators and functions. Anything else (another axis, ``deref()``,
an instance-identifier that must exist) counts as reading everything, so any change has it
checked again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from yangson import xpathast
from yangson.datatype import DataType, InstanceIdentifierType, LeafrefType, UnionType
from yangson.enumerations import Axis, ContentType, ValidationScope
from yangson.instance import InstanceNode, RootNode
from yangson.instvalue import ObjectValue
from yangson.schemanode import (
    ContainerNode,
    DataNode,
    InternalNode,
    ListNode,
    NotificationNode,
    RpcActionNode,
    SchemaNode,
    TerminalNode,
)

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import Change, member_node


@dataclass(frozen=True)
class Validated:
    """A configuration that passed validation: its raw object and its yangson instance."""

    raw: RawObject
    instance: RootNode


def rebuilt(schema: Schema, base: Validated, raw: RawObject) -> RootNode:
    """``raw`` as an instance, reusing ``base``'s converted top-level members that are equal.

    yangson's values are never modified in place, so an instance may share them. Members are
    converted in ``raw``'s order, so a conversion error is the one of converting it all.
    """
    root = schema.model.schema
    members: dict[str, Any] = {}
    for name, value in raw.items():
        if name in base.raw and base.raw[name] == value and name in base.instance.value:
            members[name] = base.instance.value[name]
        else:
            members.update(root.from_raw({name: value}))
    cooked = ObjectValue(members)
    return RootNode(cooked, root, schema.model.schema_data, cooked.timestamp)


def validate_changes(
    instance: RootNode,
    base: Validated,
    raw: RawObject,
    ctype: ContentType,
    changes: Iterable[Change],
) -> None:
    """Validate ``instance`` (made from ``raw``, whose diff from ``base`` is ``changes``)
    knowing that ``base`` is valid; raises yangson's ValidationError for the first
    violation, as ``instance.validate`` would."""
    root = cast(InternalNode, instance.schema_node)
    changed = {_changed_node(change.node) for change in changes}
    if not changed:
        return
    dirty = _dirty(root, changed)
    _Walk(dirty, ctype).root(instance, base.raw, raw)


# --- what changed -------------------------------------------------------------------------


_ABSENT = object()


def _members(node: InternalNode, raw: RawObject) -> dict[str, Any]:
    """``raw``'s members under the names yangson gives them in an instance (a member of the
    parent's module without its module name)."""
    prefix = f"{node.ns}:"
    if node.parent is None or not any(name.startswith(prefix) for name in raw):
        return raw
    return {
        (name.removeprefix(prefix) if name.startswith(prefix) else name): value
        for name, value in raw.items()
    }


@cache
def _changed_node(node: SchemaNode) -> SchemaNode:
    """The schema node a change of ``node`` counts as: the topmost one on its data path that
    is not a container (a list, whose entries may have moved too, changes as a whole), or
    the node itself."""
    lineage: list[SchemaNode] = []
    current: SchemaNode | None = node
    while current is not None and current.parent is not None:
        if isinstance(current, DataNode):
            lineage.append(current)
        current = current.parent
    return next((n for n in reversed(lineage) if not isinstance(n, ContainerNode)), node)


# --- what depends on what -------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    node: SchemaNode
    # the node's value (with everything below it), not only whether it exists
    whole: bool


@dataclass(frozen=True)
class _Dependent:
    """Validating ``node`` evaluates expressions that read ``reads`` (None: anything)."""

    node: SchemaNode
    reads: frozenset[_Read] | None


class _UnboundedError(Exception):
    """An expression whose reads are not worked out."""


@cache
def _lineage(node: SchemaNode) -> frozenset[SchemaNode]:
    """The node and its ancestors, choices and cases included."""
    found = {node}
    parent = node.parent
    while parent is not None:
        found.add(parent)
        parent = parent.parent
    return frozenset(found)


def _affects(change: SchemaNode, read: _Read) -> bool:
    # a change at or above a node may add or remove it; a change below it changes its value
    return change in _lineage(read.node) or (read.whole and read.node in _lineage(change))


def _dirty(root: InternalNode, changed: set[SchemaNode]) -> frozenset[SchemaNode]:
    """The schema nodes whose instances must be validated again after ``changed``."""
    return frozenset(
        dependent.node
        for dependent in _dependents(root)
        if dependent.reads is None
        or any(_affects(change, read) for change in changed for read in dependent.reads)
    )


@cache
def _dependents(root: InternalNode) -> tuple[_Dependent, ...]:
    found: list[_Dependent] = []
    for node in _schema_nodes(root):
        for must in node.must:
            found.append(_Dependent(node, _reads(root, must.expression, node)))
        if isinstance(node, TerminalNode):
            for data_type in _member_types(node.type):
                if isinstance(data_type, LeafrefType) and data_type.require_instance:
                    found.append(_Dependent(node, _reads(root, data_type.path, node)))
                elif isinstance(data_type, InstanceIdentifierType) and data_type.require_instance:
                    found.append(_Dependent(node, None))
        if node.when is not None:
            # evaluated with the node or its data parent as context, by the parent's checks
            parent = node.data_parent() or root
            contexts = (node, parent) if isinstance(node, DataNode) else (parent,)
            reads: set[_Read] | None = set()
            for context in contexts:
                more = _reads(root, node.when, context)
                reads = None if reads is None or more is None else reads | more
            found.append(_Dependent(parent, None if reads is None else frozenset(reads)))
    return tuple(found)


def _schema_nodes(node: SchemaNode) -> Iterator[SchemaNode]:
    yield node
    if isinstance(node, InternalNode):
        for child in node.children:
            if not isinstance(child, RpcActionNode | NotificationNode):
                yield from _schema_nodes(child)


def _member_types(data_type: DataType) -> Iterator[DataType]:
    if isinstance(data_type, UnionType):
        for member in data_type.types:
            yield from _member_types(member)
    else:
        yield data_type


def _reads(
    root: InternalNode, expression: xpathast.Expr, context: SchemaNode
) -> frozenset[_Read] | None:
    analysis = _Analysis(root, context)
    try:
        analysis.value(expression, frozenset({context}))
    except _UnboundedError:
        return None
    return frozenset(analysis.reads)


class _Analysis:
    """The nodes one expression may read, evaluated over the schema instead of data."""

    def __init__(self, root: InternalNode, origin: SchemaNode) -> None:
        self.root = root
        self.origin = origin
        self.reads: set[_Read] = set()

    def value(self, expression: xpathast.Expr, context: frozenset[SchemaNode]) -> None:
        """``expression`` used for its value: a node-set it yields is read whole."""
        nodes = self.nodes(expression, context)
        if nodes is not None:
            self.reads.update(_Read(node, whole=True) for node in nodes)

    def nodes(
        self, expression: xpathast.Expr, context: frozenset[SchemaNode]
    ) -> frozenset[SchemaNode] | None:
        """The schema nodes of the node-set ``expression`` yields, None if it yields none."""
        match expression:
            case xpathast.Root():
                return frozenset({self.root})
            case xpathast.FuncCurrent():
                return frozenset({self.origin})
            case xpathast.Step():
                return self.step(expression, context)
            case xpathast.LocationPath() | xpathast.PathExpr():
                return self.nodes(expression.right, self.node_set(expression.left, context))
            case xpathast.FilterExpr():
                if not expression.predicates:
                    # yangson wraps every function call in one
                    return self.nodes(expression.primary, context)
                nodes = self.node_set(expression.primary, context)
                for predicate in expression.predicates:
                    self.value(predicate, nodes)
                return nodes
            case xpathast.UnionExpr():
                return self.node_set(expression.left, context) | self.node_set(
                    expression.right, context
                )
            case (
                xpathast.Literal()
                | xpathast.Number()
                | xpathast.FuncTrue()
                | xpathast.FuncFalse()
                | xpathast.FuncLast()
                | xpathast.FuncPosition()
            ):
                return None
            case xpathast.FuncConcat():
                for part in expression.parts:
                    self.value(part, context)
                return None
            case xpathast.FuncTranslate():
                self.operands(context, expression.left, expression.right, expression.nchars)
                return None
            case xpathast.FuncSubstring():
                self.operands(context, expression.left, expression.right, expression.length)
                return None
            case xpathast.FuncDeref():
                raise _UnboundedError
            case xpathast.BinaryExpr():
                self.operands(context, expression.left, expression.right)
                return None
            case xpathast.UnaryExpr():
                if expression.expr is None:
                    # string(), name() … of the context node
                    self.reads.update(_Read(node, whole=True) for node in context)
                else:
                    self.value(expression.expr, context)
                return None
        raise _UnboundedError

    def node_set(
        self, expression: xpathast.Expr, context: frozenset[SchemaNode]
    ) -> frozenset[SchemaNode]:
        nodes = self.nodes(expression, context)
        if nodes is None:
            # not a node-set: yangson refuses to go on from it
            raise _UnboundedError
        return nodes

    def operands(self, context: frozenset[SchemaNode], *operands: xpathast.Expr | None) -> None:
        for operand in operands:
            if operand is not None:
                self.value(operand, context)

    def step(self, step: xpathast.Step, context: frozenset[SchemaNode]) -> frozenset[SchemaNode]:
        found: set[SchemaNode] = set()
        for node in context:
            if step.axis is Axis.self:
                found.add(node)
            elif step.axis is Axis.parent:
                if node is not self.root:
                    found.add(node.data_parent() or self.root)
            elif step.axis is Axis.child:
                found.update(_data_children(node, step.qname))
            else:
                raise _UnboundedError
        nodes = frozenset(found)
        self.reads.update(_Read(node, whole=False) for node in nodes)
        for predicate in step.predicates:
            self.value(predicate, nodes)
        return nodes


def _data_children(node: SchemaNode, qname: tuple[str, str | None] | None) -> list[SchemaNode]:
    if not isinstance(node, InternalNode):
        return []
    if not qname:
        # node() or *
        return cast(list[SchemaNode], node.data_children())
    child = node.get_data_child(*qname)
    return [] if child is None else [child]


# --- the walk ---------------------------------------------------------------------------------


class _Walk:
    """The new tree in yangson's order, validating only where something may have changed."""

    def __init__(self, dirty: frozenset[SchemaNode], ctype: ContentType) -> None:
        self.dirty = dirty
        self.ctype = ctype
        # ancestors of dirty nodes: unchanged subtrees holding them are still walked
        self.above_dirty = frozenset(
            ancestor for node in dirty for ancestor in _lineage(node) if ancestor is not node
        )

    def validate(self, instance: InstanceNode) -> None:
        instance.validate(ValidationScope.all, self.ctype)

    def root(self, instance: RootNode, old: RawObject, new: RawObject) -> None:
        node = cast(InternalNode, instance.schema_node)
        if node in self.dirty or old.keys() != new.keys():
            self.validate(instance)
        else:
            self.members(instance, node, old, new)

    def members(
        self, instance: InstanceNode, node: InternalNode, old: RawObject, new: RawObject
    ) -> None:
        """The members of an instance whose own checks pass (same set of members)."""
        before, after = _members(node, old), _members(node, new)
        for member in instance:
            value, previous = after[member], before.get(member, _ABSENT)
            child = member_node(node, member)
            if previous == value and child not in self.dirty and child not in self.above_dirty:
                # decided before yangson makes the member's instance, which costs more
                continue
            self.visit(instance[member], previous, value)

    def visit(self, instance: InstanceNode, old: Any, new: Any) -> None:
        node = instance.schema_node
        if old is _ABSENT or node in self.dirty:
            self.validate(instance)
            return
        if isinstance(node, ListNode):
            if old != new:
                self.validate(instance)
                return
            for entry, value in zip(instance, new, strict=True):
                self.members(entry, node, value, value)
        elif isinstance(node, ContainerNode):
            if _members(node, old).keys() != _members(node, new).keys():
                self.validate(instance)
            else:
                self.members(instance, node, old, new)
        else:
            # a leaf, leaf-list or anydata whose value changed
            self.validate(instance)
