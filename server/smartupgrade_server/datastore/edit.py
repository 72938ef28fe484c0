"""The ``<edit-config>`` engine (RFC 6241 §7.2): an XML edit applied to a raw configuration.

Pure: it takes a raw configuration and returns a new one (the input is never modified) plus
the errors met. Whether the result is valid YANG is decided afterwards, on the whole result,
by :mod:`~smartupgrade_server.datastore.validation`.

The work is linear in the size of the edit. The result shares every object the edit leaves
alone with the input (copy on write), so the diff skips them at once; a list or leaf-list the
edit touches is held as an ordered map by key (:class:`_Sequence`) while the edit runs, where
finding, adding, removing and placing an entry (``yang:insert``) take constant time. With
continue-on-error each change is journaled, and a failing element's changes are undone one by
one instead of copying its parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from lxml import etree
from yangson.datatype import IdentityrefType
from yangson.schemanode import (
    ContainerNode,
    InternalNode,
    LeafListNode,
    LeafNode,
    ListNode,
    SequenceNode,
    TerminalNode,
)

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema, is_policy_name
from smartupgrade_server.datastore.validation import not_of_type, type_error
from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import (
    BadAttributeError,
    BadElementError,
    DataExistsError,
    DataMissingError,
    ErrorDetails,
    ErrorType,
    InvalidValueError,
    MissingAttributeError,
    MissingElementError,
    OperationNotSupportedError,
    RpcError,
    UnknownAttributeError,
    UnknownElementError,
)

_OPERATION_ATTRIBUTE = f"{{{BASE_NS}}}operation"
# RFC 7950 §7.7.9, §7.8.6: where an entry of an ordered-by user (leaf-)list goes
YANG_XML_NS = "urn:ietf:params:xml:ns:yang:1"
_INSERT_ATTRIBUTE = f"{{{YANG_XML_NS}}}insert"
_KEY_ATTRIBUTE = f"{{{YANG_XML_NS}}}key"
_VALUE_ATTRIBUTE = f"{{{YANG_XML_NS}}}value"
# one key predicate of yang:key: [prefix:name='value'] (or "value"), the prefix optional
_KEY_PREDICATE = re.compile(
    r"\[\s*(?:(?P<prefix>[A-Za-z_][\w.-]*):)?(?P<name>[A-Za-z_][\w.-]*)\s*=\s*"
    r"(?:'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\")\s*\]\s*"
)
# RFC 7950 §15.7: yang:key or yang:value names an entry that does not exist
MISSING_INSTANCE = "missing-instance"


class EditOperation(StrEnum):
    MERGE = "merge"
    REPLACE = "replace"
    CREATE = "create"
    DELETE = "delete"
    REMOVE = "remove"
    # only as default-operation
    NONE = "none"


class Insert(StrEnum):
    FIRST = "first"
    LAST = "last"
    BEFORE = "before"
    AFTER = "after"


class ErrorOption(StrEnum):
    STOP_ON_ERROR = "stop-on-error"
    CONTINUE_ON_ERROR = "continue-on-error"
    ROLLBACK_ON_ERROR = "rollback-on-error"


@dataclass
class EditResult:
    config: RawObject
    errors: list[RpcError] = field(default_factory=list)


_ABSENT = object()
# _raw_value's answer for a value that parses but breaks its type's restrictions
_OUTSIDE_TYPE = object()


def apply_edit(
    schema: Schema,
    target: RawObject,
    config: etree._Element,
    default_operation: EditOperation = EditOperation.MERGE,
    error_option: ErrorOption = ErrorOption.STOP_ON_ERROR,
) -> EditResult:
    """Apply the children of ``<config>`` to ``target``, which is not modified.

    With stop-on-error and rollback-on-error the first error is raised. With
    continue-on-error a failing element leaves its part of the configuration as it was and the
    others are applied; the errors are returned.
    """
    editor = _Editor(schema, error_option is ErrorOption.CONTINUE_ON_ERROR)
    if default_operation is EditOperation.REPLACE:
        result = editor.adopt({})
        inherited = EditOperation.MERGE
    else:
        result = editor.adopt(dict(target))
        inherited = default_operation
    editor.edit_members(schema.root, result, config, inherited, path="")
    editor.finish()
    return EditResult(result, editor.errors)


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    return (child for child in parent if isinstance(child.tag, str))


# the sequence's own end, before its first and after its last key
_END: Hashable = object()


class _Sequence:
    """A list's entries (by their key tuple) or a leaf-list's values (by the value) while an
    edit runs: an ordered map whose order is a doubly linked list, so that every operation
    takes constant time."""

    __slots__ = ("_next", "_previous", "items")

    def __init__(self, pairs: Iterable[tuple[Hashable, Any]]) -> None:
        self.items: dict[Hashable, Any] = {}
        self._next: dict[Hashable, Hashable] = {_END: _END}
        self._previous: dict[Hashable, Hashable] = {_END: _END}
        for key, value in pairs:
            self.insert(key, value, before=_END)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.items

    @property
    def first(self) -> Hashable:
        return self._next[_END]

    def after(self, key: Hashable) -> Hashable:
        return self._next[key]

    def insert(self, key: Hashable, value: Any, *, before: Hashable) -> None:
        """Add a new ``key`` before the key ``before`` (_END: last)."""
        previous = self._previous[before]
        self._next[previous] = key
        self._previous[key] = previous
        self._next[key] = before
        self._previous[before] = key
        self.items[key] = value

    def remove(self, key: Hashable) -> tuple[Any, Hashable]:
        """Remove ``key``: its value, and the key that followed it (to put it back)."""
        following = self._next.pop(key)
        previous = self._previous.pop(key)
        self._next[previous] = following
        self._previous[following] = previous
        return self.items.pop(key), following

    def values(self) -> list[Any]:
        found = []
        key = self._next[_END]
        while key is not _END:
            found.append(self.items[key])
            key = self._next[key]
        return found


def _restorer(obj: RawObject, member: str) -> Callable[[], None]:
    """What puts ``obj[member]`` back as it is now (absent, if it is)."""
    if member in obj:
        value = obj[member]
        return lambda: obj.__setitem__(member, value)
    return lambda: obj.pop(member, None) and None


class _Editor:
    def __init__(self, schema: Schema, continue_on_error: bool) -> None:
        self.schema = schema
        self.errors: list[RpcError] = []
        # the objects this edit made (and may modify), kept alive so that their ids stay
        # theirs: every other object belongs to the target too
        self._owned: dict[int, RawObject] = {}
        # the sequences to turn back into lists at the end: (parent object, member, sequence)
        self._sequences: list[tuple[RawObject, str, _Sequence]] = []
        # undoes each change, newest last (continue-on-error only)
        self._journal: list[Callable[[], None]] | None = [] if continue_on_error else None
        # (parent object, member) -> the value this edit gave the leaf, to refuse a second,
        # different instance of one leaf instead of silently keeping the last one
        self._leaf_values: dict[tuple[int, str], Any] = {}

    # --- changes, each undone by the journal ----------------------------------------------------

    def adopt(self, obj: RawObject) -> RawObject:
        self._owned[id(obj)] = obj
        return obj

    def _undo(self, action: Callable[[], None]) -> None:
        if self._journal is not None:
            self._journal.append(action)

    def _set(self, obj: RawObject, member: str, value: Any) -> None:
        self._undo(_restorer(obj, member))
        obj[member] = value

    def _delete(self, obj: RawObject, member: str) -> None:
        self._undo(_restorer(obj, member))
        del obj[member]

    def _object(self, obj: RawObject, member: str) -> RawObject:
        """The object of ``member`` (a container), this edit's own copy; a new one if absent."""
        value = obj.get(member)
        if value is None or id(value) not in self._owned:
            value = self.adopt({} if value is None else dict(value))
            self._set(obj, member, value)
        return cast(RawObject, value)

    def _entry(self, sequence: _Sequence, key: Hashable) -> RawObject:
        """An existing list entry, this edit's own copy."""
        entry = sequence.items[key]
        if id(entry) not in self._owned:
            entry = self.adopt(dict(entry))
            self._replace(sequence, key, entry)
        return cast(RawObject, entry)

    def _sequence(self, obj: RawObject, member: str, key: Callable[[Any], Hashable]) -> _Sequence:
        """The list or leaf-list ``member`` as a sequence (``key`` gives an item's key)."""
        value = obj.get(member)
        if isinstance(value, _Sequence):
            return value
        sequence = _Sequence((key(item), item) for item in value or ())
        self._sequences.append((obj, member, sequence))
        self._set(obj, member, sequence)
        return sequence

    def _insert(self, sequence: _Sequence, key: Hashable, value: Any, before: Hashable) -> None:
        sequence.insert(key, value, before=before)
        self._undo(lambda: sequence.remove(key) and None)

    def _remove(self, sequence: _Sequence, key: Hashable) -> None:
        value, following = sequence.remove(key)
        self._undo(lambda: sequence.insert(key, value, before=following))

    def _replace(self, sequence: _Sequence, key: Hashable, value: Any) -> None:
        previous = sequence.items[key]
        sequence.items[key] = value
        self._undo(lambda: sequence.items.__setitem__(key, previous))

    def _place(
        self,
        sequence: _Sequence,
        key: Hashable,
        value: Any,
        insert: tuple[Insert, Hashable] | None,
    ) -> None:
        """Put ``value`` under ``key`` where ``insert`` says: by default a new entry goes last
        and an existing one stays."""
        exists = key in sequence
        if insert is None or (
            exists and insert[0] in (Insert.BEFORE, Insert.AFTER) and insert[1] == key
        ):
            # no place given, or before or after itself: it stays
            if exists:
                self._replace(sequence, key, value)
            else:
                self._insert(sequence, key, value, _END)
            return
        where, anchor = insert
        if exists:
            self._remove(sequence, key)
        match where:
            case Insert.FIRST:
                before = sequence.first
            case Insert.LAST:
                before = _END
            case Insert.BEFORE:
                before = anchor
            case Insert.AFTER:
                before = sequence.after(anchor)
        self._insert(sequence, key, value, before)

    def finish(self) -> None:
        """The sequences still in the result, back to lists."""
        for obj, member, sequence in self._sequences:
            if obj.get(member) is sequence:
                obj[member] = sequence.values()

    # --- the edit -------------------------------------------------------------------------------

    def edit_members(
        self,
        parent: InternalNode,
        obj: RawObject,
        xml_parent: etree._Element,
        inherited: EditOperation,
        *,
        path: str,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        for element in _elements(xml_parent):
            if skip and etree.QName(element).localname in skip:
                continue
            if self._journal is None:
                self._edit_node(parent, obj, element, inherited, path)
                continue
            # the failing element's changes are undone, its siblings still apply
            mark = len(self._journal)
            try:
                self._edit_node(parent, obj, element, inherited, path)
            except RpcError as error:
                self.errors.append(error)
                while len(self._journal) > mark:
                    self._journal.pop()()

    def _edit_node(
        self,
        parent: InternalNode,
        obj: RawObject,
        element: etree._Element,
        inherited: EditOperation,
        path: str,
    ) -> None:
        node = self.schema.data_child(parent, element, path)
        node_path = self.schema.step(path, node)
        if not node.config:
            raise UnknownElementError(
                ErrorType.APPLICATION,
                node.name,
                path=node_path,
                path_namespaces=self.schema.path_namespaces(node_path),
                message=f"{node.name!r} is state data (config false) and cannot be edited",
            )
        operation = self._operation(element, inherited, node_path)
        if isinstance(node, LeafNode):
            self._edit_leaf(node, obj, element, operation, node_path)
        elif isinstance(node, LeafListNode):
            self._edit_leaf_list(node, obj, element, operation, node_path)
        elif isinstance(node, ListNode):
            self._edit_list_entry(node, obj, element, operation, node_path)
        elif isinstance(node, ContainerNode):
            self._edit_container(node, obj, element, operation, node_path)
        else:
            raise OperationNotSupportedError(
                ErrorType.APPLICATION,
                path=node_path,
                message=f"editing {type(node).__name__} {node.name!r} is not supported",
            )

    def _operation(
        self, element: etree._Element, inherited: EditOperation, path: str
    ) -> EditOperation:
        value = element.get(_OPERATION_ATTRIBUTE)
        if value is None:
            return inherited
        try:
            operation = EditOperation(value)
        except ValueError:
            operation = EditOperation.NONE
        if operation is EditOperation.NONE:
            raise BadAttributeError(
                ErrorType.APPLICATION,
                "operation",
                etree.QName(element).localname,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"{value!r} is not an edit operation "
                "(merge, replace, create, delete, remove)",
            )
        return operation

    def _leaf_value(self, node: TerminalNode, element: etree._Element, path: str) -> Any:
        """The raw (RFC 7951) value of a leaf or leaf-list element; policy names lower-cased."""
        if len(element):
            raise InvalidValueError(
                ErrorType.APPLICATION,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"{node.name!r} is a leaf and cannot have child elements",
            )
        text = element.text or ""
        if isinstance(node.type, IdentityrefType):
            identity = self.schema.identity_from_xml(element)
            if identity is None:
                raise InvalidValueError(
                    ErrorType.APPLICATION,
                    path=path,
                    path_namespaces=self.schema.path_namespaces(path),
                    message=f"{text!r} is not an identity: its prefix must be declared as "
                    "the namespace of a module of this server",
                )
            text = identity
        raw = _raw_value(node, text)
        if raw is None:
            raise not_of_type(self.schema, node.type, path, text)
        if raw is _OUTSIDE_TYPE:
            raise type_error(self.schema, node.type, path, text)
        return raw

    # --- yang:insert ------------------------------------------------------------------------

    def _position(
        self,
        node: SequenceNode,
        element: etree._Element,
        path: str,
        locate: Callable[[str], Hashable | None],
    ) -> tuple[Insert, Hashable] | None:
        """Where yang:insert puts the entry of ``element``, with the key of the entry that
        yang:key or yang:value names (``locate`` finds it; None for first and last); None
        without yang:insert."""
        value = element.get(_INSERT_ATTRIBUTE)
        if value is None:
            return None
        local = etree.QName(element).localname
        if not node.user_ordered:
            raise UnknownAttributeError(
                ErrorType.APPLICATION,
                "insert",
                local,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"{node.name!r} is ordered by the system: entries cannot be placed",
            )
        try:
            where = Insert(value)
        except ValueError:
            raise self._attribute_error(
                element,
                "insert",
                path,
                f"{value!r} is not an insert position (first, last, before, after)",
            ) from None
        if where not in (Insert.BEFORE, Insert.AFTER):
            return where, None
        attribute = "key" if isinstance(node, ListNode) else "value"
        anchor = element.get(_KEY_ATTRIBUTE if attribute == "key" else _VALUE_ATTRIBUTE)
        if anchor is None:
            raise MissingAttributeError(
                ErrorType.APPLICATION,
                attribute,
                local,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"insert {where} needs the {attribute} of an existing entry",
            )
        found = locate(anchor)
        if found is None:
            raise self._attribute_error(
                element,
                attribute,
                path,
                f"{attribute} {anchor!r} names no entry of {node.name!r}",
                app_tag=MISSING_INSTANCE,
            )
        return where, found

    def _attribute_error(
        self,
        element: etree._Element,
        attribute: str,
        path: str,
        message: str,
        *,
        app_tag: str | None = None,
    ) -> BadAttributeError:
        details: ErrorDetails = {
            "path": path,
            "path_namespaces": self.schema.path_namespaces(path),
            "message": message,
        }
        if app_tag is not None:
            details["app_tag"] = app_tag
        return BadAttributeError(
            ErrorType.APPLICATION, attribute, etree.QName(element).localname, **details
        )

    def _anchor_keys(
        self, node: ListNode, element: etree._Element, text: str, path: str
    ) -> RawObject:
        """The keys yang:key names (``[prefix:name='value']…``), as raw values."""
        found: RawObject = {}
        position = 0
        while position < len(text.rstrip()):
            match = _KEY_PREDICATE.match(text, position)
            if match is None:
                raise self._attribute_error(
                    element, "key", path, f"{text!r} is not a list of key predicates"
                )
            position = match.end()
            prefix, name = match["prefix"], match["name"]
            value = match["single"] if match["single"] is not None else match["double"]
            module = (
                self.schema.module_of_namespace.get(element.nsmap.get(prefix, ""))
                if prefix is not None
                else node.ns
            )
            key = next((node.get_data_child(*k) for k in node.keys if k == (name, module)), None)
            raw = None if key is None else _raw_value(key, value)
            if key is None or raw is None or raw is _OUTSIDE_TYPE or key.iname() in found:
                raise self._attribute_error(
                    element, "key", path, f"{text!r} does not name the keys of {node.name!r}"
                )
            found[key.iname()] = raw
        if len(found) != len(node.keys):
            raise self._attribute_error(
                element, "key", path, f"{text!r} does not name every key of {node.name!r}"
            )
        return found

    def _missing(self, path: str, what: str) -> DataMissingError:
        return DataMissingError(
            path=path,
            path_namespaces=self.schema.path_namespaces(path),
            message=f"{what} does not exist",
        )

    def _exists(self, path: str, what: str) -> DataExistsError:
        return DataExistsError(
            path=path,
            path_namespaces=self.schema.path_namespaces(path),
            message=f"{what} already exists",
        )

    def _edit_leaf(
        self,
        node: LeafNode,
        obj: RawObject,
        element: etree._Element,
        operation: EditOperation,
        path: str,
    ) -> None:
        member = node.iname()
        match operation:
            case EditOperation.DELETE:
                if member not in obj:
                    raise self._missing(path, path)
                self._delete(obj, member)
            case EditOperation.REMOVE:
                if member in obj:
                    self._delete(obj, member)
            case EditOperation.CREATE:
                if member in obj:
                    raise self._exists(path, path)
                self._set(obj, member, self._single_value(node, obj, element, path))
            case EditOperation.MERGE | EditOperation.REPLACE:
                self._set(obj, member, self._single_value(node, obj, element, path))
            case EditOperation.NONE:
                pass

    def _single_value(
        self, node: LeafNode, obj: RawObject, element: etree._Element, path: str
    ) -> Any:
        """The leaf's value; a leaf given twice in one parent must be given the same value
        (netconf-console2 repeats a list key, which is harmless)."""
        value = self._leaf_value(node, element, path)
        key = (id(obj), node.iname())
        earlier = self._leaf_values.get(key, _ABSENT)
        if earlier is _ABSENT:
            self._leaf_values[key] = value
            self._undo(lambda: self._leaf_values.pop(key) and None)
        elif earlier != value:
            raise BadElementError(
                ErrorType.APPLICATION,
                node.name,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"{node.name!r} is a leaf: it appears twice with different values",
            )
        return value

    def _edit_leaf_list(
        self,
        node: LeafListNode,
        obj: RawObject,
        element: etree._Element,
        operation: EditOperation,
        path: str,
    ) -> None:
        member = node.iname()
        if operation is EditOperation.NONE:
            return
        value = self._leaf_value(node, element, path)
        values = self._sequence(obj, member, _itself)
        entry_path = f"{path}[.={node.type.canonical_string(node.type.from_raw(value))!r}]"

        def locate(anchor: str) -> Hashable | None:
            raw = _raw_value(node, anchor)
            return raw if raw in values else None

        match operation:
            case EditOperation.DELETE | EditOperation.REMOVE:
                if value in values:
                    self._remove(values, value)
                elif operation is EditOperation.DELETE:
                    raise self._missing(entry_path, entry_path)
            case EditOperation.CREATE | EditOperation.MERGE | EditOperation.REPLACE:
                if value in values and operation is EditOperation.CREATE:
                    raise self._exists(entry_path, entry_path)
                insert = self._position(node, element, entry_path, locate)
                self._place(values, value, value, insert)
        if not values:
            self._delete(obj, member)

    def _edit_list_entry(
        self,
        node: ListNode,
        obj: RawObject,
        element: etree._Element,
        operation: EditOperation,
        path: str,
    ) -> None:
        member = node.iname()
        keys: RawObject = {}
        cooked_keys: dict[str, Any] = {}
        for key_name, key_module in node.keys:
            key_node = cast(LeafNode, node.get_data_child(key_name, key_module))
            key_element = next(
                (e for e in _elements(element) if etree.QName(e).localname == key_name), None
            )
            if key_element is None:
                raise MissingElementError(
                    ErrorType.APPLICATION,
                    key_name,
                    path=path,
                    path_namespaces=self.schema.path_namespaces(path),
                    message=f"an entry of {path} needs its key {key_name!r}",
                )
            key_path = self.schema.step(path, key_node)
            raw = self._leaf_value(key_node, key_element, key_path)
            for repeated in _elements(element):
                if (
                    etree.QName(repeated).localname == key_name
                    and self._leaf_value(key_node, repeated, key_path) != raw
                ):
                    raise BadElementError(
                        ErrorType.APPLICATION,
                        key_name,
                        path=key_path,
                        path_namespaces=self.schema.path_namespaces(key_path),
                        message=f"the key {key_name!r} appears twice with different values",
                    )
            keys[key_node.iname()] = raw
            cooked_keys[key_node.iname()] = key_node.type.from_raw(raw)
        entry_path = path + self.schema.key_predicates(node, cooked_keys)
        key_members = tuple(keys)
        entries = self._sequence(
            obj, member, lambda entry: tuple(entry.get(name) for name in key_members)
        )
        key = tuple(keys.values())
        exists = key in entries
        key_names = frozenset(name for name, _ in node.keys)

        def locate(anchor: str) -> Hashable | None:
            found = tuple(self._anchor_keys(node, element, anchor, entry_path).values())
            return found if found in entries else None

        match operation:
            case EditOperation.DELETE | EditOperation.REMOVE:
                if exists:
                    self._remove(entries, key)
                elif operation is EditOperation.DELETE:
                    raise self._missing(entry_path, entry_path)
            case EditOperation.NONE:
                if not exists:
                    raise self._missing(entry_path, entry_path)
                self.edit_members(
                    node,
                    self._entry(entries, key),
                    element,
                    operation,
                    path=entry_path,
                    skip=key_names,
                )
            case EditOperation.CREATE | EditOperation.REPLACE | EditOperation.MERGE:
                if exists and operation is EditOperation.CREATE:
                    raise self._exists(entry_path, entry_path)
                insert = self._position(node, element, entry_path, locate)
                entry = (
                    self.adopt(dict(keys))
                    if not exists or operation is EditOperation.REPLACE
                    else self._entry(entries, key)
                )
                self._place(entries, key, entry, insert)
                self.edit_members(node, entry, element, operation, path=entry_path, skip=key_names)
        if not entries:
            self._delete(obj, member)

    def _edit_container(
        self,
        node: ContainerNode,
        obj: RawObject,
        element: etree._Element,
        operation: EditOperation,
        path: str,
    ) -> None:
        member = node.iname()
        exists = member in obj
        match operation:
            case EditOperation.DELETE:
                if not exists:
                    raise self._missing(path, path)
                self._delete(obj, member)
                return
            case EditOperation.REMOVE:
                if exists:
                    self._delete(obj, member)
                return
            case EditOperation.CREATE:
                if exists:
                    raise self._exists(path, path)
                self._set(obj, member, self.adopt({}))
            case EditOperation.REPLACE:
                self._set(obj, member, self.adopt({}))
            case EditOperation.NONE:
                # a non-presence container exists whenever its parent does (RFC 7950 §7.5.1)
                if not exists and node.presence:
                    raise self._missing(path, path)
        child = self._object(obj, member)
        self.edit_members(node, child, element, operation, path=path)
        if not child and not node.presence:
            self._delete(obj, member)


def _itself(value: Hashable) -> Hashable:
    return value


def _raw_value(node: TerminalNode, text: str) -> Any:
    """The raw value of a leaf's text (policy names lower-cased); None if it does not parse,
    _OUTSIDE_TYPE if it breaks the type's restrictions."""
    cooked = node.type.parse_value(text)
    if cooked is None:
        return None
    if is_policy_name(node) and isinstance(cooked, str):
        cooked = cooked.lower()
    if cooked not in node.type:
        return _OUTSIDE_TYPE
    return node.type.to_raw(cooked)
