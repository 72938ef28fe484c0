"""YANG validation with yangson, and the one table from its errors to ``<rpc-error>``.

yangson stops at the first violation and reports it as an exception carrying an instance and a
tag: its own name for the rule, or, for a ``must`` or a type restriction, the module's
``error-app-tag``. RFC 7950 §15 and §8.3.1 say what a NETCONF server answers for each rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yangson.datatype import DataType
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

from smartupgrade_model.convert import RawObject
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
    # §15.5 require-instance (leafref)
    "instance-required": _Rule(
        ErrorTag.DATA_MISSING,
        "instance-required",
        "{path} refers to an instance that does not exist",
    ),
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


def validated(
    schema: Schema,
    raw: RawObject,
    ctype: ContentType = ContentType.config,
    *,
    base: Validated | None = None,
    changes: Iterable[Change] | None = None,
) -> RootNode:
    """``raw`` as a yangson instance, or the :class:`RpcError` for its first violation.

    ``base``, a valid configuration (of the same content type), spares validating again what
    ``raw`` has unchanged from it (see :mod:`~smartupgrade_server.datastore.incremental`);
    the outcome is the same. ``changes``: the diff of ``base`` to ``raw``, if known already.
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
        raise rpc_error(schema, error, instance) from None
    return instance


def rpc_error(schema: Schema, error: ValidationError, root: RootNode) -> RpcError:
    """The ``<rpc-error>`` RFC 7950 prescribes for a yangson validation error."""
    path = schema.instance_path(error.instance.path, root.value)
    namespaces = schema.path_namespaces(path)
    tag = error.tag or ""
    if isinstance(error, YangTypeError):
        return _invalid_value(schema, tag, error.message, path)
    rule = _rule_for(error, tag)
    if rule is None:
        # §15.4: a must expression is false
        return RpcError(
            ErrorTag.OPERATION_FAILED,
            ErrorType.APPLICATION,
            app_tag=tag,
            path=path,
            path_namespaces=namespaces,
            message=normalise_message(error.message) or f"must condition of {path} is false",
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


def type_error(schema: Schema, data_type: DataType, path: str) -> RpcError:
    """The error for a value outside its type's restrictions (``value in data_type`` was False).

    yangson leaves the restriction's error-app-tag and error-message on the type.
    """
    return _invalid_value(
        schema, data_type.error_tag or _YANGSON_TYPE_TAG, data_type.error_message, path
    )


def _invalid_value(schema: Schema, tag: str, message: str | None, path: str) -> RpcError:
    # §8.3.1: type, range, length and pattern violations, with the restriction's app-tag
    details: ErrorDetails = {
        "path": path,
        "path_namespaces": schema.path_namespaces(path),
        "message": normalise_message(message) or "invalid value",
    }
    if tag != _YANGSON_TYPE_TAG:
        details["app_tag"] = tag
    return InvalidValueError(ErrorType.APPLICATION, **details)


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
