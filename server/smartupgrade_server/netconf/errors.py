"""The one error type of the protocol: ``<rpc-error>`` as in RFC 6241 §4.3 and Appendix A.

Handlers raise an :class:`RpcError` (usually one of the per-tag subclasses); only the session
layer serialises it. Which ``error-type`` a tag may carry is fixed by Appendix A and kept in
:data:`ALLOWED_TYPES`; asking for any other combination is a bug in the caller and raises
``ValueError`` at construction time rather than putting a non-conforming error on the wire.
"""

import copy
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import ClassVar, TypedDict, Unpack

from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_NSMAP, XML_NS, qname


class ErrorType(StrEnum):
    TRANSPORT = "transport"
    RPC = "rpc"
    PROTOCOL = "protocol"
    APPLICATION = "application"


class ErrorSeverity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ErrorTag(StrEnum):
    IN_USE = "in-use"
    INVALID_VALUE = "invalid-value"
    TOO_BIG = "too-big"
    MISSING_ATTRIBUTE = "missing-attribute"
    BAD_ATTRIBUTE = "bad-attribute"
    UNKNOWN_ATTRIBUTE = "unknown-attribute"
    MISSING_ELEMENT = "missing-element"
    BAD_ELEMENT = "bad-element"
    UNKNOWN_ELEMENT = "unknown-element"
    UNKNOWN_NAMESPACE = "unknown-namespace"
    ACCESS_DENIED = "access-denied"
    LOCK_DENIED = "lock-denied"
    RESOURCE_DENIED = "resource-denied"
    ROLLBACK_FAILED = "rollback-failed"
    DATA_EXISTS = "data-exists"
    DATA_MISSING = "data-missing"
    OPERATION_NOT_SUPPORTED = "operation-not-supported"
    OPERATION_FAILED = "operation-failed"
    MALFORMED_MESSAGE = "malformed-message"


_T, _R, _P, _A = ErrorType.TRANSPORT, ErrorType.RPC, ErrorType.PROTOCOL, ErrorType.APPLICATION

# RFC 6241 Appendix A. partial-operation is deprecated there and never produced.
ALLOWED_TYPES: Mapping[ErrorTag, frozenset[ErrorType]] = {
    ErrorTag.IN_USE: frozenset({_P, _A}),
    ErrorTag.INVALID_VALUE: frozenset({_P, _A}),
    ErrorTag.TOO_BIG: frozenset({_T, _R, _P, _A}),
    ErrorTag.MISSING_ATTRIBUTE: frozenset({_R, _P, _A}),
    ErrorTag.BAD_ATTRIBUTE: frozenset({_R, _P, _A}),
    ErrorTag.UNKNOWN_ATTRIBUTE: frozenset({_R, _P, _A}),
    ErrorTag.MISSING_ELEMENT: frozenset({_P, _A}),
    ErrorTag.BAD_ELEMENT: frozenset({_P, _A}),
    ErrorTag.UNKNOWN_ELEMENT: frozenset({_P, _A}),
    ErrorTag.UNKNOWN_NAMESPACE: frozenset({_P, _A}),
    ErrorTag.ACCESS_DENIED: frozenset({_P, _A}),
    ErrorTag.LOCK_DENIED: frozenset({_P}),
    ErrorTag.RESOURCE_DENIED: frozenset({_T, _R, _P, _A}),
    ErrorTag.ROLLBACK_FAILED: frozenset({_P, _A}),
    ErrorTag.DATA_EXISTS: frozenset({_A}),
    ErrorTag.DATA_MISSING: frozenset({_A}),
    ErrorTag.OPERATION_NOT_SUPPORTED: frozenset({_P, _A}),
    ErrorTag.OPERATION_FAILED: frozenset({_R, _P, _A}),
    ErrorTag.MALFORMED_MESSAGE: frozenset({_R}),
}


class ErrorDetails(TypedDict, total=False):
    """The optional fields of an ``<rpc-error>``."""

    severity: ErrorSeverity
    app_tag: str
    path: str
    # prefix -> namespace for the prefixes used inside ``path``
    path_namespaces: Mapping[str, str]
    message: str
    lang: str
    info: Sequence[etree._Element]


def info_element(local_name: str, text: str) -> etree._Element:
    """An ``<error-info>`` child in the base namespace (session-id, bad-element, ...)."""
    element = etree.Element(qname(local_name), nsmap=BASE_NSMAP)
    element.text = text
    return element


class RpcError(Exception):
    """An ``<rpc-error>``: raise it from any handler, the session layer serialises it."""

    def __init__(
        self, tag: ErrorTag, error_type: ErrorType, **details: Unpack[ErrorDetails]
    ) -> None:
        if error_type not in ALLOWED_TYPES[tag]:
            allowed = ", ".join(sorted(ALLOWED_TYPES[tag]))
            raise ValueError(
                f"error-tag {tag} cannot have error-type {error_type} (allowed: {allowed})"
            )
        self.tag = tag
        self.error_type = error_type
        self.severity = details.get("severity", ErrorSeverity.ERROR)
        self.app_tag = details.get("app_tag")
        self.path = details.get("path")
        self.path_namespaces: Mapping[str, str] = details.get("path_namespaces", {})
        self.message = details.get("message")
        self.lang = details.get("lang", "en")
        self.info: tuple[etree._Element, ...] = tuple(details.get("info", ()))
        super().__init__(self.message or str(tag))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.tag!s}, {self.error_type!s}, {self.message!r})"

    def to_xml(self) -> etree._Element:
        """The ``<rpc-error>`` element, children in the order of the RFC 6241 schema."""
        error = etree.Element(qname("rpc-error"), nsmap=BASE_NSMAP)
        etree.SubElement(error, qname("error-type")).text = str(self.error_type)
        etree.SubElement(error, qname("error-tag")).text = str(self.tag)
        etree.SubElement(error, qname("error-severity")).text = str(self.severity)
        if self.app_tag is not None:
            etree.SubElement(error, qname("error-app-tag")).text = self.app_tag
        if self.path is not None:
            path = etree.SubElement(error, qname("error-path"), nsmap=dict(self.path_namespaces))
            path.text = self.path
        if self.message is not None:
            message = etree.SubElement(error, qname("error-message"))
            message.set(f"{{{XML_NS}}}lang", self.lang)
            message.text = self.message
        if self.info:
            info = etree.SubElement(error, qname("error-info"))
            for child in self.info:
                # appending moves an lxml element; a copy keeps the error re-serialisable
                info.append(copy.deepcopy(child))
        return error


class _SingleTypeError(RpcError):
    """A tag that Appendix A allows with exactly one error-type."""

    TAG: ClassVar[ErrorTag]

    def __init__(self, **details: Unpack[ErrorDetails]) -> None:
        (error_type,) = ALLOWED_TYPES[self.TAG]
        super().__init__(self.TAG, error_type, **details)


class _MultiTypeError(RpcError):
    """A tag that Appendix A allows with several error-types: the raiser says which."""

    TAG: ClassVar[ErrorTag]

    def __init__(self, error_type: ErrorType, **details: Unpack[ErrorDetails]) -> None:
        super().__init__(self.TAG, error_type, **details)


def _with_info(details: ErrorDetails, *extra: etree._Element) -> ErrorDetails:
    merged: ErrorDetails = {**details}
    merged["info"] = (*extra, *details.get("info", ()))
    return merged


class InUseError(_MultiTypeError):
    TAG = ErrorTag.IN_USE


class InvalidValueError(_MultiTypeError):
    TAG = ErrorTag.INVALID_VALUE


class TooBigError(_MultiTypeError):
    TAG = ErrorTag.TOO_BIG


class _AttributeTagError(RpcError):
    """Attribute tags carry the attribute and its element in error-info."""

    TAG: ClassVar[ErrorTag]

    def __init__(
        self,
        error_type: ErrorType,
        bad_attribute: str,
        bad_element: str,
        **details: Unpack[ErrorDetails],
    ) -> None:
        super().__init__(
            self.TAG,
            error_type,
            **_with_info(
                details,
                info_element("bad-attribute", bad_attribute),
                info_element("bad-element", bad_element),
            ),
        )


class MissingAttributeError(_AttributeTagError):
    TAG = ErrorTag.MISSING_ATTRIBUTE


class BadAttributeError(_AttributeTagError):
    TAG = ErrorTag.BAD_ATTRIBUTE


class UnknownAttributeError(_AttributeTagError):
    TAG = ErrorTag.UNKNOWN_ATTRIBUTE


class _ElementTagError(RpcError):
    """Element tags carry the element's name in error-info."""

    TAG: ClassVar[ErrorTag]

    def __init__(
        self, error_type: ErrorType, bad_element: str, **details: Unpack[ErrorDetails]
    ) -> None:
        super().__init__(
            self.TAG, error_type, **_with_info(details, info_element("bad-element", bad_element))
        )


class MissingElementError(_ElementTagError):
    TAG = ErrorTag.MISSING_ELEMENT


class BadElementError(_ElementTagError):
    TAG = ErrorTag.BAD_ELEMENT


class UnknownElementError(_ElementTagError):
    TAG = ErrorTag.UNKNOWN_ELEMENT


class UnknownNamespaceError(RpcError):
    def __init__(
        self,
        error_type: ErrorType,
        bad_element: str,
        bad_namespace: str,
        **details: Unpack[ErrorDetails],
    ) -> None:
        super().__init__(
            ErrorTag.UNKNOWN_NAMESPACE,
            error_type,
            **_with_info(
                details,
                info_element("bad-element", bad_element),
                info_element("bad-namespace", bad_namespace),
            ),
        )


class AccessDeniedError(_MultiTypeError):
    TAG = ErrorTag.ACCESS_DENIED


class LockDeniedError(RpcError):
    """The lock is held by another session; error-info names it (0: not a NETCONF session)."""

    def __init__(self, holder_session_id: int, **details: Unpack[ErrorDetails]) -> None:
        super().__init__(
            ErrorTag.LOCK_DENIED,
            ErrorType.PROTOCOL,
            **_with_info(details, info_element("session-id", str(holder_session_id))),
        )
        self.holder_session_id = holder_session_id


class ResourceDeniedError(_MultiTypeError):
    TAG = ErrorTag.RESOURCE_DENIED


class RollbackFailedError(_MultiTypeError):
    TAG = ErrorTag.ROLLBACK_FAILED


class DataExistsError(_SingleTypeError):
    TAG = ErrorTag.DATA_EXISTS


class DataMissingError(_SingleTypeError):
    TAG = ErrorTag.DATA_MISSING


class OperationNotSupportedError(_MultiTypeError):
    TAG = ErrorTag.OPERATION_NOT_SUPPORTED


class OperationFailedError(_MultiTypeError):
    TAG = ErrorTag.OPERATION_FAILED


class MalformedMessageError(_SingleTypeError):
    TAG = ErrorTag.MALFORMED_MESSAGE


# RFC 8640 §2.5: the error-tag of each reason an RFC 8639 or RFC 8641 subscription RPC fails
SUBSCRIPTION_ERROR_TAGS: Mapping[str, ErrorTag] = {
    # ietf-subscribed-notifications
    "dscp-unavailable": ErrorTag.INVALID_VALUE,
    "encoding-unsupported": ErrorTag.INVALID_VALUE,
    "filter-unsupported": ErrorTag.INVALID_VALUE,
    "insufficient-resources": ErrorTag.RESOURCE_DENIED,
    "no-such-subscription": ErrorTag.INVALID_VALUE,
    "replay-unsupported": ErrorTag.OPERATION_NOT_SUPPORTED,
    # ietf-yang-push
    "cant-exclude": ErrorTag.OPERATION_NOT_SUPPORTED,
    "datastore-not-subscribable": ErrorTag.INVALID_VALUE,
    "no-such-subscription-resync": ErrorTag.INVALID_VALUE,
    "on-change-unsupported": ErrorTag.OPERATION_NOT_SUPPORTED,
    "on-change-sync-unsupported": ErrorTag.OPERATION_NOT_SUPPORTED,
    "period-unsupported": ErrorTag.INVALID_VALUE,
    "update-too-big": ErrorTag.TOO_BIG,
    "sync-too-big": ErrorTag.TOO_BIG,
    "unchanging-selection": ErrorTag.OPERATION_FAILED,
}


class SubscriptionError(RpcError):
    """A subscription RPC refused for one of RFC 8639's or RFC 8641's reasons: ``reason`` is
    the identity as ``module:name``, the error-app-tag; the error-info, the RPC's yang-data
    structure (``yang_data``) repeats the reason and may hint at what would be accepted."""

    def __init__(
        self, reason: str, yang_data: etree._Element, **details: Unpack[ErrorDetails]
    ) -> None:
        tagged: ErrorDetails = {**details}
        tagged["app_tag"] = reason
        super().__init__(
            SUBSCRIPTION_ERROR_TAGS[reason.partition(":")[2]],
            ErrorType.APPLICATION,
            **_with_info(tagged, yang_data),
        )
        self.reason = reason
