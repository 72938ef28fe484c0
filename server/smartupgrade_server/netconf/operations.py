"""The operations the core itself answers, and the interface for all the others.

close-session and kill-session are about sessions, so the transport runs them with the
:class:`~smartupgrade_server.netconf.registry.SessionRegistry`; every other operation goes to
a :class:`Dispatcher` (the datastore layer), which raises :class:`RpcError` to refuse.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

from lxml import etree

from smartupgrade_server.netconf.capabilities import qname
from smartupgrade_server.netconf.errors import (
    ErrorType,
    InvalidValueError,
    MissingElementError,
    OperationNotSupportedError,
)
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

CLOSE_SESSION = qname("close-session")
KILL_SESSION = qname("kill-session")


class Dispatcher(Protocol):
    async def dispatch(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        """Execute the request: return the reply content (None for <ok/>) or raise RpcError."""
        ...


Handler = Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]


class OperationTable:
    """A dispatcher that routes on the operation's qualified name."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, namespace: str, name: str, handler: Handler) -> None:
        tag = f"{{{namespace}}}{name}"
        if tag in self._handlers:
            raise ValueError(f"operation {tag} is already registered")
        self._handlers[tag] = handler

    async def dispatch(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        handler = self._handlers.get(request.operation_tag)
        if handler is None:
            raise operation_not_supported(request)
        return await handler(context, request)


def operation_not_supported(request: RpcRequest) -> OperationNotSupportedError:
    name = etree.QName(request.operation)
    return OperationNotSupportedError(
        ErrorType.PROTOCOL,
        message=f"operation {name.localname!r} in namespace {name.namespace or ''!r} "
        "is not supported",
    )


def kill_session_target(request: RpcRequest) -> int:
    """The session-id parameter of a kill-session request."""
    element = request.operation.find(qname("session-id"))
    if element is None:
        raise MissingElementError(
            ErrorType.PROTOCOL, "session-id", message="kill-session needs a session-id"
        )
    text = (element.text or "").strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise InvalidValueError(
            ErrorType.PROTOCOL, message=f"session-id {text!r} is not a session id"
        )
    return int(text)
