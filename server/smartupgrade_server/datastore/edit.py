"""The ``<edit-config>`` engine (RFC 6241 §7.2): an XML edit applied to a raw configuration.

Pure: it takes a raw configuration and returns a new one (the input is never modified) plus
the errors met. Whether the result is valid YANG is decided afterwards, on the whole result,
by :mod:`~smartupgrade_server.datastore.validation`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from lxml import etree
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
from smartupgrade_server.datastore.validation import type_error
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


def apply_edit(
    schema: Schema,
    target: RawObject,
    config: etree._Element,
    default_operation: EditOperation = EditOperation.MERGE,
    error_option: ErrorOption = ErrorOption.STOP_ON_ERROR,
) -> EditResult:
    """Apply the children of ``<config>`` to a copy of ``target``.

    With stop-on-error and rollback-on-error the first error is raised. With
    continue-on-error a failing element leaves its part of the configuration as it was and the
    others are applied; the errors are returned.
    """
    editor = _Editor(schema, error_option is ErrorOption.CONTINUE_ON_ERROR)
    if default_operation is EditOperation.REPLACE:
        result: RawObject = {}
        inherited = EditOperation.MERGE
    else:
        result = copy.deepcopy(target)
        inherited = default_operation
    editor.edit_members(schema.root, result, config, inherited, path="")
    return EditResult(result, editor.errors)


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    return (child for child in parent if isinstance(child.tag, str))


class _Editor:
    def __init__(self, schema: Schema, continue_on_error: bool) -> None:
        self.schema = schema
        self.continue_on_error = continue_on_error
        self.errors: list[RpcError] = []
        # (parent object, member) -> the value this edit gave the leaf, to refuse a second,
        # different instance of one leaf instead of silently keeping the last one
        self._leaf_values: dict[tuple[int, str], Any] = {}

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
            if not self.continue_on_error:
                self._edit_node(parent, obj, element, inherited, path)
                continue
            # the failing element's member is restored, its siblings still apply
            snapshot = copy.deepcopy(obj)
            try:
                self._edit_node(parent, obj, element, inherited, path)
            except RpcError as error:
                self.errors.append(error)
                obj.clear()
                obj.update(snapshot)

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
        raw = _raw_value(node, text)
        if raw is None:
            raise InvalidValueError(
                ErrorType.APPLICATION,
                path=path,
                path_namespaces=self.schema.path_namespaces(path),
                message=f"{text!r} is not a valid value of {node.name!r}",
            )
        if raw is _OUTSIDE_TYPE:
            raise type_error(self.schema, node.type, path)
        return raw

    # --- yang:insert ------------------------------------------------------------------------

    def _position(
        self,
        node: SequenceNode,
        element: etree._Element,
        path: str,
        locate: Callable[[str], int | None],
    ) -> tuple[Insert, int | None] | None:
        """Where yang:insert puts the entry of ``element``, with the index of the entry that
        yang:key or yang:value names (``locate`` finds it); None without yang:insert."""
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
        index = locate(anchor)
        if index is None:
            raise self._attribute_error(
                element,
                attribute,
                path,
                f"{attribute} {anchor!r} names no entry of {node.name!r}",
                app_tag=MISSING_INSTANCE,
            )
        return where, index

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
                del obj[member]
            case EditOperation.REMOVE:
                obj.pop(member, None)
            case EditOperation.CREATE:
                if member in obj:
                    raise self._exists(path, path)
                obj[member] = self._single_value(node, obj, element, path)
            case EditOperation.MERGE | EditOperation.REPLACE:
                obj[member] = self._single_value(node, obj, element, path)
            case EditOperation.NONE:
                pass

    def _single_value(
        self, node: LeafNode, obj: RawObject, element: etree._Element, path: str
    ) -> Any:
        """The leaf's value; a leaf given twice in one parent must be given the same value
        (netconf-console2 repeats a list key, which is harmless)."""
        value = self._leaf_value(node, element, path)
        key = (id(obj), node.iname())
        earlier = self._leaf_values.setdefault(key, value)
        if earlier != value:
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
        values: list[Any] = obj.setdefault(member, [])
        entry_path = f"{path}[.={node.type.canonical_string(node.type.from_raw(value))!r}]"

        def locate(anchor: str) -> int | None:
            raw = _raw_value(node, anchor)
            return values.index(raw) if raw in values else None

        match operation:
            case EditOperation.DELETE | EditOperation.REMOVE:
                if value in values:
                    values.remove(value)
                elif operation is EditOperation.DELETE:
                    raise self._missing(entry_path, entry_path)
            case EditOperation.CREATE | EditOperation.MERGE | EditOperation.REPLACE:
                exists = value in values
                if exists and operation is EditOperation.CREATE:
                    raise self._exists(entry_path, entry_path)
                insert = self._position(node, element, entry_path, locate)
                _place(values, value, values.index(value) if exists else None, insert)
        if not values:
            del obj[member]

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
        entries: list[RawObject] = obj.setdefault(member, [])
        index = _entry_index(entries, keys)
        key_names = frozenset(name for name, _ in node.keys)

        def locate(anchor: str) -> int | None:
            return _entry_index(entries, self._anchor_keys(node, element, anchor, entry_path))

        match operation:
            case EditOperation.DELETE | EditOperation.REMOVE:
                if index is not None:
                    del entries[index]
                elif operation is EditOperation.DELETE:
                    raise self._missing(entry_path, entry_path)
            case EditOperation.NONE:
                if index is None:
                    raise self._missing(entry_path, entry_path)
                self.edit_members(
                    node, entries[index], element, operation, path=entry_path, skip=key_names
                )
            case EditOperation.CREATE | EditOperation.REPLACE | EditOperation.MERGE:
                if index is not None and operation is EditOperation.CREATE:
                    raise self._exists(entry_path, entry_path)
                insert = self._position(node, element, entry_path, locate)
                entry: RawObject = (
                    dict(keys)
                    if index is None or operation is EditOperation.REPLACE
                    else entries[index]
                )
                _place(entries, entry, index, insert)
                self.edit_members(node, entry, element, operation, path=entry_path, skip=key_names)
        if not entries:
            del obj[member]

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
                del obj[member]
                return
            case EditOperation.REMOVE:
                obj.pop(member, None)
                return
            case EditOperation.CREATE:
                if exists:
                    raise self._exists(path, path)
                obj[member] = {}
            case EditOperation.REPLACE:
                obj[member] = {}
            case EditOperation.MERGE:
                obj.setdefault(member, {})
            case EditOperation.NONE:
                # a non-presence container exists whenever its parent does (RFC 7950 §7.5.1)
                if not exists and node.presence:
                    raise self._missing(path, path)
                obj.setdefault(member, {})
        self.edit_members(node, obj[member], element, operation, path=path)
        if not obj[member] and not node.presence:
            del obj[member]


def _place(
    entries: list[Any],
    entry: Any,
    index: int | None,
    insert: tuple[Insert, int | None] | None,
) -> None:
    """Put ``entry`` (at ``index`` in ``entries``, None if new) where ``insert`` says: by
    default a new entry goes last and an existing one stays."""
    if insert is None:
        if index is None:
            entries.append(entry)
        else:
            entries[index] = entry
        return
    where, anchor = insert
    if index is not None:
        if anchor == index:
            # before or after itself: it stays
            entries[index] = entry
            return
        del entries[index]
        if anchor is not None and anchor > index:
            anchor -= 1
    if where is Insert.FIRST:
        entries.insert(0, entry)
    elif where is Insert.LAST:
        entries.append(entry)
    else:
        assert anchor is not None
        entries.insert(anchor if where is Insert.BEFORE else anchor + 1, entry)


def _entry_index(entries: list[RawObject], keys: RawObject) -> int | None:
    return next(
        (i for i, entry in enumerate(entries) if all(entry.get(k) == v for k, v in keys.items())),
        None,
    )


# _raw_value's answer for a value that parses but breaks its type's restrictions
_OUTSIDE_TYPE = object()


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
