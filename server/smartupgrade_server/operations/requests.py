"""The base (RFC 6241) and NMDA (RFC 8526) operations as frozen request values, each parsed from
its ``<rpc>`` element once, here.

The dispatcher, the datastores and access control read these values; nobody reads the XML of
an operation's parameters again. A parameter is wrong in exactly one way: :func:`parse_request`
raises the :class:`RpcError` the conformance tests pin, in the order the parameters are read.

Base operations take their parameters in the base namespace or in none (Ansible sends
``<config>`` and ``<target>`` un-namespaced); NMDA operations in the NMDA namespace. The
payloads (an edit's ``<config>``) stay elements: the edit engine reads them, once, with the
schema. close-session and kill-session belong to the session layer
(:mod:`smartupgrade_server.netconf.operations`), which the transport runs itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from lxml import etree

from smartupgrade_model.modules import module
from smartupgrade_server.datastore.codec import WITH_DEFAULTS_PARAM_NS, WithDefaults
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption
from smartupgrade_server.datastore.filters import (
    Filter,
    parse_filter,
    subtree_filter_of,
    xpath_of,
)
from smartupgrade_server.datastore.store import (
    DEFAULT_CONFIRM_TIMEOUT,
    DatastoreName,
    EditTestOption,
)
from smartupgrade_server.datastore.yang_library import DATASTORES_MODULE, NMDA_MODULE
from smartupgrade_server.netconf.capabilities import BASE_NS, qname
from smartupgrade_server.netconf.errors import (
    ErrorType,
    InvalidValueError,
    MissingElementError,
    OperationNotSupportedError,
    UnknownElementError,
)
from smartupgrade_server.operations.capabilities import BASIC_MODE

NMDA_NS = module(NMDA_MODULE).namespace
DATASTORES_NS = module(DATASTORES_MODULE).namespace
# the NMDA datastore that is no configuration datastore (RFC 8342)
OPERATIONAL = "operational"

# <config> given inline, or a datastore's name
Source = DatastoreName | etree._Element


@dataclass(frozen=True)
class GetRequest:
    filter: Filter | None
    with_defaults: WithDefaults


@dataclass(frozen=True)
class GetConfigRequest:
    source: DatastoreName
    filter: Filter | None
    with_defaults: WithDefaults


@dataclass(frozen=True)
class EditConfigRequest:
    target: DatastoreName
    config: etree._Element
    default_operation: EditOperation
    test_option: EditTestOption
    error_option: ErrorOption


@dataclass(frozen=True)
class CopyConfigRequest:
    target: DatastoreName
    source: Source
    # how a datastore source is read (RFC 6243 §4.5.3); not read for an inline source
    with_defaults: WithDefaults


@dataclass(frozen=True)
class DeleteConfigRequest:
    target: DatastoreName


@dataclass(frozen=True)
class LockRequest:
    target: DatastoreName


@dataclass(frozen=True)
class UnlockRequest:
    target: DatastoreName


@dataclass(frozen=True)
class ValidateRequest:
    source: Source


@dataclass(frozen=True)
class CommitRequest:
    confirmed: bool
    # seconds until a confirmed commit rolls back
    timeout: int
    persist: str | None
    persist_id: str | None


@dataclass(frozen=True)
class CancelCommitRequest:
    persist_id: str | None


@dataclass(frozen=True)
class DiscardChangesRequest:
    pass


@dataclass(frozen=True)
class GetDataRequest:
    # a configuration datastore, or OPERATIONAL
    datastore: DatastoreName | str
    filter: Filter | None
    # True: configuration only; False: state only (list keys kept); None: both
    config_filter: bool | None
    # levels below <data>; None: unbounded
    max_depth: int | None
    with_defaults: WithDefaults
    with_origin: bool


@dataclass(frozen=True)
class EditDataRequest:
    datastore: DatastoreName
    config: etree._Element
    default_operation: EditOperation


Request = (
    GetRequest
    | GetConfigRequest
    | EditConfigRequest
    | CopyConfigRequest
    | DeleteConfigRequest
    | LockRequest
    | UnlockRequest
    | ValidateRequest
    | CommitRequest
    | CancelCommitRequest
    | DiscardChangesRequest
    | GetDataRequest
    | EditDataRequest
)


# --- base operations --------------------------------------------------------------------------


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for child in parent:
        if isinstance(child.tag, str) and child.tag in (qname(name), name):
            return child
    return None


def _text(parent: etree._Element, name: str) -> str | None:
    child = _child(parent, name)
    return None if child is None else (child.text or "").strip()


_Option = TypeVar("_Option", bound=StrEnum)


def _option(text: str | None, name: str, kind: type[_Option], default: _Option) -> _Option:
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"{text!r} is not a {name} (one of {', '.join(kind)})",
        ) from None


def _source(operation: etree._Element, name: str, *, inline: bool) -> Source:
    container = _child(operation, name)
    if container is None:
        raise MissingElementError(
            ErrorType.PROTOCOL,
            name,
            message=f"<{etree.QName(operation).localname}> needs a <{name}>",
        )
    for child in container:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "config" and inline:
            return child
        if local == "url":
            raise _no_url()
        try:
            return DatastoreName(local)
        except ValueError:
            break
    raise InvalidValueError(
        ErrorType.PROTOCOL,
        message=f"<{name}> names no datastore this server has "
        f"({', '.join(DatastoreName)}{', or <config>' if inline else ''})",
    )


def _datastore(operation: etree._Element, name: str) -> DatastoreName:
    source = _source(operation, name, inline=False)
    assert isinstance(source, DatastoreName)
    return source


def _no_url() -> OperationNotSupportedError:
    return OperationNotSupportedError(
        ErrorType.PROTOCOL, message="the :url capability is not supported"
    )


def _config(operation: etree._Element, child: etree._Element | None, url: bool) -> etree._Element:
    """An edit's <config>; ``url``: a <url> was given instead."""
    if child is not None:
        return child
    if url:
        raise _no_url()
    local = etree.QName(operation).localname
    raise MissingElementError(ErrorType.PROTOCOL, "config", message=f"<{local}> needs a <config>")


def _with_defaults(operation: etree._Element) -> WithDefaults:
    """RFC 6243's parameter of get, get-config and copy-config (in its own namespace)."""
    for child in operation:
        if isinstance(child.tag, str) and child.tag == _WITH_DEFAULTS:
            return _with_defaults_mode((child.text or "").strip())
    return BASIC_MODE


def _with_defaults_mode(text: str | None) -> WithDefaults:
    if text is None:
        return BASIC_MODE
    try:
        return WithDefaults(text)
    except ValueError:
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"{text!r} is not a with-defaults mode (one of {', '.join(WithDefaults)})",
        ) from None


def _filter(operation: etree._Element) -> Filter | None:
    element = _child(operation, "filter")
    return None if element is None else parse_filter(element)


# The parameters of the read operations (ietf-netconf, and RFC 6243's with-defaults): anything
# else is unknown-element (RFC 6241 Appendix A), where ignoring it would answer <get><bogus/>
# with all the data.
_WITH_DEFAULTS = f"{{{WITH_DEFAULTS_PARAM_NS}}}with-defaults"
_READ_PARAMETERS = {
    "get": frozenset({"filter"}),
    "get-config": frozenset({"source", "filter"}),
}


def _refuse_unknown_parameters(operation: etree._Element) -> None:
    name = etree.QName(operation).localname
    known = _READ_PARAMETERS[name]
    for child in operation:
        if not isinstance(child.tag, str) or child.tag == _WITH_DEFAULTS:
            continue
        parameter = etree.QName(child)
        if parameter.namespace not in (None, BASE_NS) or parameter.localname not in known:
            raise UnknownElementError(
                ErrorType.PROTOCOL,
                parameter.localname,
                message=f"<{name}> has no parameter <{parameter.localname}> in namespace "
                f"{parameter.namespace or 'none'!r} (it takes "
                f"{', '.join(f'<{p}>' for p in sorted(known))} and <with-defaults>)",
            )


def _get(operation: etree._Element) -> GetRequest:
    _refuse_unknown_parameters(operation)
    with_defaults = _with_defaults(operation)
    return GetRequest(_filter(operation), with_defaults)


def _get_config(operation: etree._Element) -> GetConfigRequest:
    _refuse_unknown_parameters(operation)
    source = _datastore(operation, "source")
    with_defaults = _with_defaults(operation)
    return GetConfigRequest(source, _filter(operation), with_defaults)


def _edit_config(operation: etree._Element) -> EditConfigRequest:
    target = _datastore(operation, "target")
    config = _config(
        operation, _child(operation, "config"), url=_child(operation, "url") is not None
    )
    return EditConfigRequest(
        target,
        config,
        _option(
            _text(operation, "default-operation"),
            "default-operation",
            EditOperation,
            EditOperation.MERGE,
        ),
        _option(
            _text(operation, "test-option"),
            "test-option",
            EditTestOption,
            EditTestOption.TEST_THEN_SET,
        ),
        _option(
            _text(operation, "error-option"),
            "error-option",
            ErrorOption,
            ErrorOption.STOP_ON_ERROR,
        ),
    )


def _copy_config(operation: etree._Element) -> CopyConfigRequest:
    target = _datastore(operation, "target")
    source = _source(operation, "source", inline=True)
    if source == target:
        raise InvalidValueError(
            ErrorType.PROTOCOL, message="the source and the target are the same datastore"
        )
    with_defaults = _with_defaults(operation) if isinstance(source, DatastoreName) else BASIC_MODE
    return CopyConfigRequest(target, source, with_defaults)


def _commit(operation: etree._Element) -> CommitRequest:
    timeout_text = _text(operation, "confirm-timeout")
    timeout = DEFAULT_CONFIRM_TIMEOUT
    if timeout_text is not None:
        if not timeout_text.isdigit() or int(timeout_text) < 1:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"confirm-timeout {timeout_text!r} is not a number of seconds",
            )
        timeout = int(timeout_text)
    return CommitRequest(
        confirmed=_child(operation, "confirmed") is not None,
        timeout=timeout,
        persist=_text(operation, "persist"),
        persist_id=_text(operation, "persist-id"),
    )


# --- NMDA operations --------------------------------------------------------------------------


def _nmda_child(operation: etree._Element, name: str) -> etree._Element | None:
    return operation.find(f"{{{NMDA_NS}}}{name}")


def _nmda_text(operation: etree._Element, name: str) -> str | None:
    element = _nmda_child(operation, name)
    return None if element is None else (element.text or "").strip()


def _nmda_datastore(operation: etree._Element, *, writable: bool) -> str:
    """The datastore parameter: an ietf-datastores identity this server has."""
    element = _nmda_child(operation, "datastore")
    if element is None:
        raise MissingElementError(
            ErrorType.PROTOCOL, "datastore", message="a <datastore> is required"
        )
    prefix, _, local = (element.text or "").strip().rpartition(":")
    names = {name.value for name in DatastoreName}
    allowed = names - {DatastoreName.STARTUP.value} if writable else names | {OPERATIONAL}
    if element.nsmap.get(prefix or None) != DATASTORES_NS or local not in allowed:
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"datastore {element.text!r} is not one of "
            f"{', '.join(sorted(allowed))} (ietf-datastores identities)",
        )
    return local


def _nmda_filter(operation: etree._Element) -> Filter | None:
    subtree = _nmda_child(operation, "subtree-filter")
    if subtree is not None:
        return subtree_filter_of(subtree)
    xpath = _nmda_child(operation, "xpath-filter")
    if xpath is not None:
        return xpath_of(xpath)
    return None


def _max_depth(operation: etree._Element) -> int | None:
    text = _nmda_text(operation, "max-depth")
    if text is None or text == "unbounded":
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InvalidValueError(
            ErrorType.PROTOCOL, message=f"max-depth {text!r} is not 1..65535 or unbounded"
        )
    return int(text)


def _config_filter(operation: etree._Element) -> bool | None:
    text = _nmda_text(operation, "config-filter")
    if text is None:
        return None
    if text not in ("true", "false"):
        raise InvalidValueError(
            ErrorType.PROTOCOL, message=f"config-filter {text!r} is not a boolean"
        )
    return text == "true"


def _get_data(operation: etree._Element) -> GetDataRequest:
    datastore = _nmda_datastore(operation, writable=False)
    with_origin = _nmda_child(operation, "with-origin") is not None
    if with_origin and datastore != OPERATIONAL:
        raise InvalidValueError(
            ErrorType.PROTOCOL, message="with-origin is only valid for operational"
        )
    for name in ("origin-filter", "negated-origin-filter"):
        if _nmda_child(operation, name) is not None:
            raise OperationNotSupportedError(
                ErrorType.PROTOCOL, message=f"{name} is not supported; use with-origin"
            )
    with_defaults = _with_defaults_mode(_nmda_text(operation, "with-defaults"))
    config_filter = _config_filter(operation)
    selection = _nmda_filter(operation)
    return GetDataRequest(
        datastore if datastore == OPERATIONAL else DatastoreName(datastore),
        selection,
        config_filter,
        _max_depth(operation),
        with_defaults,
        with_origin,
    )


def _edit_data(operation: etree._Element) -> EditDataRequest:
    datastore = DatastoreName(_nmda_datastore(operation, writable=True))
    config = _config(
        operation,
        _nmda_child(operation, "config"),
        url=_nmda_child(operation, "url") is not None,
    )
    default_operation = _option(
        _nmda_text(operation, "default-operation"),
        "default-operation",
        EditOperation,
        EditOperation.MERGE,
    )
    return EditDataRequest(datastore, config, default_operation)


_PARSERS: Mapping[str, Callable[[etree._Element], Request]] = {
    qname("get"): _get,
    qname("get-config"): _get_config,
    qname("edit-config"): _edit_config,
    qname("copy-config"): _copy_config,
    qname("delete-config"): lambda operation: DeleteConfigRequest(_datastore(operation, "target")),
    qname("lock"): lambda operation: LockRequest(_datastore(operation, "target")),
    qname("unlock"): lambda operation: UnlockRequest(_datastore(operation, "target")),
    qname("validate"): lambda operation: ValidateRequest(_source(operation, "source", inline=True)),
    qname("commit"): _commit,
    qname("cancel-commit"): lambda operation: CancelCommitRequest(_text(operation, "persist-id")),
    qname("discard-changes"): lambda operation: DiscardChangesRequest(),
    f"{{{NMDA_NS}}}get-data": _get_data,
    f"{{{NMDA_NS}}}edit-data": _edit_data,
}
# the operations of this module, by their local names, as the base namespace has them
BASE_OPERATIONS = tuple(
    etree.QName(tag).localname for tag in _PARSERS if etree.QName(tag).namespace == BASE_NS
)
NMDA_OPERATIONS = tuple(
    etree.QName(tag).localname for tag in _PARSERS if etree.QName(tag).namespace == NMDA_NS
)


def parse_request(operation: etree._Element) -> Request:
    """The request value of a base or NMDA operation element; RpcError for a wrong parameter.

    KeyError for an operation this module does not parse (the dispatcher routes only these)."""
    return _PARSERS[str(operation.tag)](operation)
