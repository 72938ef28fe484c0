"""YANG validation with yangson, and the one table from its errors to ``<rpc-error>``.

yangson stops at the first violation and reports it as an exception carrying an instance and a
tag: its own name for the rule, or, for a ``must`` or a type restriction, the module's
``error-app-tag``. RFC 7950 §15 and §8.3.1 say what a NETCONF server answers for each rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yangson.datatype import (
    BooleanType,
    DataType,
    Decimal64Type,
    EnumerationType,
    IntegralType,
    LeafrefType,
    LinearType,
    NumericType,
    StringType,
)
from yangson.enumerations import ContentType, ValidationScope
from yangson.exceptions import (
    RawMemberError,
    RawTypeError,
    SchemaError,
    SemanticError,
    ValidationError,
    YangTypeError,
)
from yangson.instance import RootNode
from yangson.schemanode import TerminalNode

from smartupgrade_model.convert import RawObject
from smartupgrade_model.model import CONSTRAINTS
from smartupgrade_model.rules import refused_value, spans
from smartupgrade_server.datastore.codec import Schema, normalise_message
from smartupgrade_server.datastore.diff import Change, diff
from smartupgrade_server.datastore.incremental import Validated, rebuilt, validate_changes
from smartupgrade_server.netconf.errors import (
    ErrorDetails,
    ErrorTag,
    ErrorType,
    InvalidValueError,
    RpcError,
    info_element,
)


@dataclass(frozen=True)
class _Rule:
    tag: ErrorTag
    # the error-app-tag RFC 7950 fixes for the rule; None where it defines none
    app_tag: str | None
    # error-message; {path} is the error-path, {detail} what yangson says
    message: str
    # yangson's message names the element to report in error-info <bad-element>
    names_element: bool = False


# yangson's tag → what RFC 7950 prescribes. A must violation and a type restriction are not
# listed: their tag is the module's error-app-tag (see rpc_error).
_RULES: dict[str, _Rule] = {
    # §15.1 unique
    "data-not-unique": _Rule(
        ErrorTag.OPERATION_FAILED,
        "data-not-unique",
        "the values of a unique constraint are not unique in {path}",
    ),
    # §15.2, §15.3 max-elements / min-elements
    "too-many-elements": _Rule(
        ErrorTag.OPERATION_FAILED,
        "too-many-elements",
        "{path} has more entries than max-elements allows",
    ),
    "too-few-elements": _Rule(
        ErrorTag.OPERATION_FAILED,
        "too-few-elements",
        "{path} has fewer entries than min-elements requires",
    ),
    # §15.5 require-instance (leafref); the message is worded by _missing_instance
    "instance-required": _Rule(ErrorTag.DATA_MISSING, "instance-required", ""),
    # a mandatory node is absent: RFC 7950 §15 has no entry but for choices (§15.6), so the
    # RFC 6241 tag for "an expected element is missing"
    "missing-data": _Rule(
        ErrorTag.MISSING_ELEMENT, None, "{path} lacks mandatory {detail}", names_element=True
    ),
    # §8.3.1: all keys of a list entry must be present
    "list-key-missing": _Rule(
        ErrorTag.MISSING_ELEMENT, None, "list entry {path} lacks its key {detail}", True
    ),
    # §8.3.1: data whose when is false or whose if-feature is not supported
    "member-not-allowed": _Rule(
        ErrorTag.UNKNOWN_ELEMENT, None, "{detail} is not allowed in {path}", True
    ),
    # state data in a configuration
    "config member-not-allowed": _Rule(
        ErrorTag.UNKNOWN_ELEMENT,
        None,
        "{detail} is state data and not allowed in a configuration",
        True,
    ),
    # the same list entry or leaf-list value twice (inline configuration)
    "non-unique-key": _Rule(
        ErrorTag.DATA_EXISTS, None, "{path} has two entries with the key {detail}"
    ),
    "repeated-leaf-list-value": _Rule(
        ErrorTag.DATA_EXISTS, None, "{path} holds the same value twice"
    ),
}
# §15.4: a must without error-app-tag
MUST_VIOLATION = "must-violation"
# yangson's tag of a type restriction without error-app-tag (§8.3.1: invalid-value)
_YANGSON_TYPE_TAG = "invalid-type"
# yangson's own messages of a restriction without error-message: a rule the module did not
# word, said in words made from the type instead (never a raw regular expression)
_YANGSON_MESSAGES = ("not in range", "invalid length")
_YANGSON_MESSAGE_PREFIXES = ("pattern '", "expected ")
# a length "max" (yangson's bound of a string's length)
_UNBOUNDED_LENGTH = 4294967295


def validated(
    schema: Schema,
    raw: RawObject,
    ctype: ContentType = ContentType.config,
    *,
    base: Validated | None = None,
    changes: Iterable[Change] | None = None,
    before: RawObject | None = None,
) -> RootNode:
    """``raw`` as a yangson instance, or the :class:`RpcError` for its first violation.

    ``base``, a valid configuration (of the same content type), spares validating again what
    ``raw`` has unchanged from it (see :mod:`~smartupgrade_server.datastore.incremental`);
    the outcome is the same. ``changes``: the diff of ``base`` to ``raw``, if known already.
    ``before``: what the edit made ``raw`` from, which words an error by what the edit changed
    (see :func:`rpc_error`).
    """
    try:
        instance = schema.model.from_raw(raw) if base is None else rebuilt(schema, base, raw)
    except RawMemberError as error:
        raise RpcError(
            ErrorTag.UNKNOWN_ELEMENT,
            ErrorType.APPLICATION,
            message=f"no data node {error.path}",
            info=[info_element("bad-element", error.path.rpartition("/")[2])],
        ) from None
    except RawTypeError as error:
        raise RpcError(
            ErrorTag.INVALID_VALUE,
            ErrorType.APPLICATION,
            message=f"{error.path}: {error.message}",
        ) from None
    try:
        if base is None:
            instance.validate(ValidationScope.all, ctype)
        else:
            if changes is None:
                changes = diff(schema, base.raw, raw).changes
            validate_changes(instance, base, raw, ctype, changes)
    except ValidationError as error:
        raise rpc_error(schema, error, instance, before) from None
    return instance


def rpc_error(
    schema: Schema, error: ValidationError, root: RootNode, before: RawObject | None = None
) -> RpcError:
    """The ``<rpc-error>`` RFC 7950 prescribes for a yangson validation error. ``before``, the
    configuration the invalid one was made from, tells which side of a rule the edit changed:
    a rule broken by removing what its node depends on (an ``undo``) is worded as such."""
    path = schema.instance_path(error.instance.path, root.value)
    namespaces = schema.path_namespaces(path)
    tag = error.tag or ""
    if isinstance(error, YangTypeError):
        node = error.instance.schema_node
        assert isinstance(node, TerminalNode)
        value = _text(node.type, error.instance.value)
        return _invalid_value(schema, node.type, tag, error.message, path, value)
    unchanged = _unchanged(error, before)
    rule = _rule_for(error, tag)
    if rule is None:
        # §15.4: a must expression is false
        constraint = CONSTRAINTS.get(tag)
        undo = constraint.undo_message if constraint is not None and unchanged else None
        return RpcError(
            ErrorTag.OPERATION_FAILED,
            ErrorType.APPLICATION,
            app_tag=tag,
            path=path,
            path_namespaces=namespaces,
            message=undo
            or normalise_message(error.message)
            or f"must condition of {path} is false",
        )
    if tag == "instance-required":
        message = _missing_instance(error, path, unchanged=unchanged)
        return RpcError(
            rule.tag,
            ErrorType.APPLICATION,
            app_tag=tag,
            path=path,
            path_namespaces=namespaces,
            message=message,
        )
    info = []
    if rule.names_element:
        info.append(info_element("bad-element", _element_named(error.message or "")))
    details: ErrorDetails = {
        "path": path,
        "path_namespaces": namespaces,
        "message": rule.message.format(
            path=path, detail=(error.message or "").removeprefix("expected ")
        ),
        "info": info,
    }
    if rule.app_tag is not None:
        details["app_tag"] = rule.app_tag
    return RpcError(rule.tag, ErrorType.APPLICATION, **details)


def type_error(schema: Schema, data_type: DataType, path: str, value: str) -> RpcError:
    """The error for a value outside its type's restrictions (``value in data_type`` was False).

    yangson leaves the restriction's error-app-tag and error-message on the type (on the
    type a leafref refers to, for a leafref).
    """
    data_type = _checked_type(data_type)
    return _invalid_value(
        schema,
        data_type,
        data_type.error_tag or _YANGSON_TYPE_TAG,
        data_type.error_message,
        path,
        value,
    )


def not_of_type(schema: Schema, data_type: DataType, path: str, value: str) -> RpcError:
    """The error for a text that is no value of its type at all (``abc`` for a port)."""
    return _invalid_value(schema, data_type, _YANGSON_TYPE_TAG, None, path, value)


def _checked_type(data_type: DataType) -> DataType:
    """The type whose restrictions a value of ``data_type`` meets (a leafref's target's)."""
    while isinstance(data_type, LeafrefType):
        data_type = data_type.ref_type
    return data_type


def _invalid_value(  # noqa: PLR0917 -- one call per kind of failure, all positional
    schema: Schema, data_type: DataType, tag: str, message: str | None, path: str, value: str
) -> RpcError:
    # §8.3.1: type, range, length and pattern violations, with the restriction's app-tag; the
    # message names the node, the value and the rule (the restriction's error-message)
    if message is not None:
        # yangson appends ": <value>" to a pattern's message; the value is said on its own
        message = message.removesuffix(f": {value}")
    details: ErrorDetails = {
        "path": path,
        "path_namespaces": schema.path_namespaces(path),
        "message": refused_value(_node_name(path), value, rule_in_words(data_type, message)),
    }
    if tag != _YANGSON_TYPE_TAG:
        details["app_tag"] = tag
    return InvalidValueError(ErrorType.APPLICATION, **details)


def rule_in_words(data_type: DataType, message: str | None = None) -> str:
    """A type's rule as a sentence: ``message``, the error-message of the restriction that
    failed, when the module words it; else the first the type has; else words made from the
    type (its ranges, lengths, values)."""
    worded = _worded(message)
    if worded is not None:
        return worded
    data_type = _checked_type(data_type)
    for restriction in _restrictions(data_type):
        worded = _worded(restriction)
        if worded is not None:
            return worded
    return f"It must be {_type_in_words(data_type)}."


def _worded(message: str | None) -> str | None:
    """The module's wording of a rule, or None for yangson's own."""
    if message is None or message in _YANGSON_MESSAGES:
        return None
    if message.startswith(_YANGSON_MESSAGE_PREFIXES):
        return None
    return normalise_message(message)


def _restrictions(data_type: DataType) -> list[str | None]:
    found: list[str | None] = []
    if isinstance(data_type, NumericType) and data_type.range is not None:
        found.append(data_type.range.error_message)
    if isinstance(data_type, LinearType) and data_type.length is not None:
        found.append(data_type.length.error_message)
    if isinstance(data_type, StringType):
        found.extend(pattern.error_message for pattern in data_type.patterns)
    return found


def _type_in_words(data_type: DataType) -> str:
    if isinstance(data_type, BooleanType):
        return "true or false"
    if isinstance(data_type, EnumerationType):
        return "one of " + ", ".join(data_type.enum)
    if isinstance(data_type, NumericType):
        # without a range statement, the built-in type's own bounds (yangson keeps them there)
        bounds = data_type.range.intervals if data_type.range is not None else [data_type._range]
        number = "an integer" if isinstance(data_type, IntegralType) else "a number"
        if isinstance(data_type, Decimal64Type | IntegralType):
            return f"{number} from {spans([(b[0], b[-1]) for b in bounds])}"
    if isinstance(data_type, LinearType):
        parts = []
        if data_type.length is not None:
            bounds = [(b[0], b[-1]) for b in data_type.length.intervals]
            if len(bounds) == 1 and bounds[0][1] >= _UNBOUNDED_LENGTH:
                least = bounds[0][0]
                parts.append(f"at least {least} character{'' if least == 1 else 's'} long")
            else:
                parts.append(f"{spans(bounds)} characters long")
        if isinstance(data_type, StringType) and data_type.patterns:
            parts.append("in the form its YANG type's pattern gives")
        if parts:
            return " and ".join(parts)
    return f"a value of its YANG type ({data_type.yang_type()})"


def _text(data_type: DataType, value: object) -> str:
    try:
        return str(data_type.canonical_string(value))
    except (TypeError, ValueError, AttributeError):
        return str(value)


def _node_name(path: str) -> str:
    """The last node of an instance-identifier, without prefix or predicates."""
    return _plain_path(path).rpartition("/")[2]


def _plain_path(path: str) -> str:
    """An instance-identifier without prefixes and predicates (``/smart-upgrade/ssl-policy``)."""
    steps = re.sub(r"\[[^]]*\]", "", path).split("/")
    return "/".join(step.rpartition(":")[2] for step in steps)


def _unchanged(error: ValidationError, before: RawObject | None) -> bool:
    """Whether the node the error is about holds the same value in ``before`` (so the edit
    broke the rule elsewhere, by changing what the node depends on)."""
    if before is None:
        return False
    current: object = before
    for step in error.instance.path:
        try:
            current = current[step]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return False
    return bool(current == error.instance.raw_value())


def _missing_instance(error: ValidationError, path: str, *, unchanged: bool) -> str:
    """A leafref without its target: the value it names does not exist, or (``unchanged``:
    the leafref was not edited) the edit removed the target it names."""
    node = error.instance.schema_node
    assert isinstance(node, TerminalNode) and isinstance(node.type, LeafrefType)
    # the target's list and key: /ssl-policies/ssl-policy/name (a relative path names fewer)
    *_, entry, key = ["", "node", *_plain_path(str(node.type.path)).split("/")]
    entry = "node" if entry in ("", ".", "..") else entry
    value = _text(node.type, error.instance.value)
    if unchanged:
        return f"The {entry} '{value}' cannot be removed: {_plain_path(path)} refers to it."
    return refused_value(_node_name(path), value, f"It must be the {key} of an existing {entry}.")


def _rule_for(error: ValidationError, tag: str) -> _Rule | None:
    if isinstance(error, SemanticError):
        musts = getattr(error.instance.schema_node, "must", ())
        if any((must.error_tag or MUST_VIOLATION) == tag for must in musts):
            return None
        # yangson appends the entry index to data-not-unique
        return _RULES[tag.split(":", 1)[0]]
    if isinstance(error, SchemaError):
        return _RULES[tag]
    raise TypeError(f"unexpected yangson error {error!r}")


def _element_named(message: str) -> str:
    """The node a yangson schema error names (``expected 'x'`` or just ``x``), unprefixed."""
    quoted = re.findall(r"'([^']+)'", message)
    name = quoted[0] if quoted else message
    return name.rpartition(":")[2]
