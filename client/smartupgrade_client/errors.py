"""Typed exceptions of the SDK, and the parser that turns ``<rpc-error>`` into them.

Every failure a caller may want to handle differently has its own class:

- :class:`ConnectionFailed` (and its subclass :class:`AuthenticationFailed`): no session;
- :class:`ConnectionLost`: the session ended under a request (a reboot by ``right-now`` does so);
- :class:`RpcTimeout`: no reply in time;
- :class:`RpcFailed`: the server answered with ``<rpc-error>``; one subclass per RFC 6241
  error-tag (:class:`InvalidValue`, :class:`DataMissing`, ...), each keeping every field of every
  error (type, tag, severity, app-tag, path, message, info);
- :class:`UpgradeFailed` (and :class:`UpgradeCancelled`): an operation ended in a final status
  other than success;
- :class:`ReplyParseError`: the server's reply does not match the YANG module;
- :class:`InvalidArgument`: a parameter fails the module's own checks before anything is sent;
- :class:`SmartUpgradeUnsupported`: the switch has no Smart Upgrade (its hello does not announce
  the module); nothing was sent.
"""

# The names say what failed (ConnectionFailed, RpcFailed, UpgradeFailed), as the issue asks.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree

from smartupgrade_model.model import CONSTRAINTS, Constraint, UpgradeInformation, UpgradeStatus

NETCONF_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"


class SmartUpgradeError(Exception):
    """Base class of every exception the SDK raises."""


class InvalidArgument(SmartUpgradeError, ValueError):
    """A parameter is outside what the YANG module allows; nothing was sent."""


class SmartUpgradeUnsupported(SmartUpgradeError):
    """The switch does not implement the smart-upgrade module, as its hello says: a model
    without Smart Upgrade (the seed's S5751-L, S5731-L, S5731S-L). Nothing was sent."""


class ConnectionFailed(SmartUpgradeError):
    """No NETCONF session could be opened (socket, SSH negotiation, host key, hello)."""


class AuthenticationFailed(ConnectionFailed):
    """The SSH server rejected the credentials."""


class ConnectionLost(SmartUpgradeError):
    """The session ended while a request was outstanding or about to be sent."""


class RpcTimeout(SmartUpgradeError):
    """The server did not reply within the client's timeout."""


class WaitTimeout(SmartUpgradeError):
    """An operation did not reach a final status within the time given to ``wait``."""


class ReplyParseError(SmartUpgradeError):
    """A reply is not well-formed or does not match the YANG module."""


@dataclass(frozen=True)
class RpcErrorInfo:
    """One ``<rpc-error>`` with the fields of RFC 6241 §4.3.

    ``info`` maps the local name of each child of ``<error-info>`` to its text (for a child with
    element content, its serialised XML).
    """

    error_type: str
    error_tag: str
    severity: str
    app_tag: str | None = None
    path: str | None = None
    message: str | None = None
    info: Mapping[str, str] = field(default_factory=dict)


class RpcFailed(SmartUpgradeError):
    """The server answered with one or more ``<rpc-error>`` of severity error.

    The attributes describe the first error of severity error (warnings may come before it);
    :attr:`errors` holds all of them in the server's order. The subclass is chosen by that
    error's tag.
    """

    error_tag: ClassVar[str | None] = None

    def __init__(self, errors: Iterable[RpcErrorInfo]) -> None:
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("RpcFailed needs at least one rpc-error")
        first = _primary(self.errors)
        self.error_type = first.error_type
        self.tag = first.error_tag
        self.severity = first.severity
        self.app_tag = first.app_tag
        self.path = first.path
        self.message = first.message
        self.info = first.info
        super().__init__(_describe(first))

    @property
    def constraint(self) -> Constraint | None:
        """The module's ``must`` statement that failed, when the error-app-tag names one."""
        return CONSTRAINTS.get(self.app_tag) if self.app_tag is not None else None


def _primary(errors: tuple[RpcErrorInfo, ...]) -> RpcErrorInfo:
    return next((error for error in errors if error.severity == "error"), errors[0])


def _describe(error: RpcErrorInfo) -> str:
    parts = [f"{error.error_type} {error.error_tag}"]
    if error.app_tag:
        parts.append(f"({error.app_tag})")
    if error.path:
        parts.append(f"at {error.path}")
    if error.message:
        parts.append(f": {error.message}")
    return " ".join(parts)


class InUse(RpcFailed):
    error_tag = "in-use"


class InvalidValue(RpcFailed):
    error_tag = "invalid-value"


class TooBig(RpcFailed):
    error_tag = "too-big"


class MissingAttribute(RpcFailed):
    error_tag = "missing-attribute"


class BadAttribute(RpcFailed):
    error_tag = "bad-attribute"


class UnknownAttribute(RpcFailed):
    error_tag = "unknown-attribute"


class MissingElement(RpcFailed):
    error_tag = "missing-element"


class BadElement(RpcFailed):
    error_tag = "bad-element"


class UnknownElement(RpcFailed):
    error_tag = "unknown-element"


class UnknownNamespace(RpcFailed):
    error_tag = "unknown-namespace"


class AccessDenied(RpcFailed):
    error_tag = "access-denied"


class LockDenied(RpcFailed):
    error_tag = "lock-denied"


class ResourceDenied(RpcFailed):
    error_tag = "resource-denied"


class RollbackFailed(RpcFailed):
    error_tag = "rollback-failed"


class DataExists(RpcFailed):
    error_tag = "data-exists"


class DataMissing(RpcFailed):
    error_tag = "data-missing"


class OperationNotSupported(RpcFailed):
    error_tag = "operation-not-supported"


class OperationFailed(RpcFailed):
    error_tag = "operation-failed"


class PartialOperation(RpcFailed):
    error_tag = "partial-operation"


class MalformedMessage(RpcFailed):
    error_tag = "malformed-message"


RPC_FAILED_BY_TAG: Mapping[str, type[RpcFailed]] = {
    cls.error_tag: cls for cls in RpcFailed.__subclasses__() if cls.error_tag is not None
}


class UpgradeFailed(SmartUpgradeError):
    """A download or upgrade ended with a final status other than success. ``said`` is what
    the switch said as it ended (its Error line without the prefix), when wait() could tell."""

    def __init__(self, information: UpgradeInformation, said: str | None = None) -> None:
        status = information.upgrade_status
        if status is None:
            raise ValueError("UpgradeFailed needs a final upgrade status")
        self.status: UpgradeStatus = status
        self.information = information
        self.said = said
        super().__init__(f"upgrade ended with status {status.display}")


class UpgradeCancelled(UpgradeFailed):
    """The operation was cancelled (``cancel``, CTRL+C on the switch, or the web system)."""


def upgrade_failure(information: UpgradeInformation, said: str | None = None) -> UpgradeFailed:
    """The exception for a failed final status."""
    if information.upgrade_status is UpgradeStatus.UPGRADE_CANCELLED:
        return UpgradeCancelled(information, said)
    return UpgradeFailed(information, said)


def parse_rpc_error(element: etree._Element) -> RpcErrorInfo:
    """One ``<rpc-error>`` element. Children are matched by local name: the base namespace is
    expected, but a reply from a server that forgets it still yields its fields."""
    fields: dict[str, str] = {}
    info: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "error-info":
            for item in child:
                if not isinstance(item.tag, str):
                    continue
                text = (
                    etree.tostring(item, encoding="unicode", with_tail=False)
                    if len(item)
                    else (item.text or "").strip()
                )
                info[etree.QName(item).localname] = text
        else:
            fields[name] = (child.text or "").strip()
    try:
        return RpcErrorInfo(
            error_type=fields["error-type"],
            error_tag=fields["error-tag"],
            severity=fields["error-severity"],
            app_tag=fields.get("error-app-tag"),
            path=fields.get("error-path"),
            message=fields.get("error-message"),
            info=info,
        )
    except KeyError as missing:
        raise ReplyParseError(f"rpc-error without {missing.args[0]}") from None


def rpc_errors(reply: etree._Element) -> tuple[RpcErrorInfo, ...]:
    """Every ``<rpc-error>`` directly under an ``<rpc-reply>``."""
    return tuple(
        parse_rpc_error(child)
        for child in reply
        if isinstance(child.tag, str) and etree.QName(child).localname == "rpc-error"
    )


def rpc_failed(errors: Iterable[RpcErrorInfo]) -> RpcFailed:
    """The exception for a list of errors, typed by the first one's tag."""
    errors = tuple(errors)
    cls = RPC_FAILED_BY_TAG.get(_primary(errors).error_tag, RpcFailed) if errors else RpcFailed
    return cls(errors)


def raise_for_errors(reply: etree._Element) -> None:
    """Raise :class:`RpcFailed` when the reply carries an error of severity error; warnings
    alone do not fail an operation (RFC 6241 §4.3)."""
    errors = rpc_errors(reply)
    if any(error.severity == "error" for error in errors):
        raise rpc_failed(errors)
