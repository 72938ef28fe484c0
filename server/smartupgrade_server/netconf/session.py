"""The server side of one NETCONF session as a state machine: bytes in, events and bytes out.

States: hello-wait → established → closed. The transport feeds received bytes to
:meth:`ServerSession.receive_data`, acts on the returned events in order, and sends what the
``hello``/``reply_*`` methods return. Nothing here touches a socket or an event loop.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import cast

from lxml import etree

from smartupgrade_server.netconf.capabilities import (
    BASE_1_0,
    BASE_1_1,
    BASE_NS,
    BASE_NSMAP,
    XML_NS,
    qname,
)
from smartupgrade_server.netconf.errors import (
    ErrorType,
    MalformedMessageError,
    MissingAttributeError,
    MissingElementError,
    OperationFailedError,
    RpcError,
    TooBigError,
    UnknownElementError,
)
from smartupgrade_server.netconf.framing import (
    DEFAULT_MAX_MESSAGE_SIZE,
    FrameDecoder,
    Framing,
    FramingError,
    MessageTooBig,
    encode,
)
from smartupgrade_server.netconf.xml_parser import parse_message

MAX_SESSION_ID = 4294967295
# An established session's messages longer than this are handed to the transport unparsed
# (RpcToParse): parsing a message of 1 MiB of dense markup takes ~0.1 s, time the transport
# spends on a worker thread while the switch's other sessions are answered. Most requests are
# far smaller, and a hello is parsed here whatever its size (it decides the framing of what
# follows).
INLINE_PARSE_LIMIT = 16 * 1024
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_OK = etree.tostring(etree.Element(qname("ok"), nsmap=BASE_NSMAP))
_REPLY_START = b'<rpc-reply xmlns="%s"' % BASE_NS.encode()
# attributes in document order, read in one pass: lxml's attrib.items() looks each value up by
# name, which costs the square of the number of attributes
_ATTRIBUTES = etree.XPath("@*")

# What a handler may return: nothing (the reply is <ok/>), or the reply's child element(s).
ReplyContent = etree._Element | Sequence[etree._Element] | None


class SessionState(Enum):
    HELLO_WAIT = "hello-wait"
    ESTABLISHED = "established"
    CLOSED = "closed"


@dataclass(frozen=True)
class HelloReceived:
    """The client's hello was accepted; ``framing`` is what both sides use from now on."""

    capabilities: tuple[str, ...]
    framing: Framing


@dataclass(frozen=True, eq=False)
class RpcRequest:
    """One well-formed ``<rpc>`` to execute and answer with one of the ``reply_*`` methods."""

    message_id: str
    # every attribute of <rpc> (message-id included), keys in Clark notation
    attributes: Mapping[str, str]
    operation: etree._Element
    rpc: etree._Element

    @property
    def operation_tag(self) -> str:
        """The operation's name in Clark notation, ``{namespace}local-name``."""
        return str(self.operation.tag)


@dataclass(frozen=True)
class RpcRejected:
    """A message the session answered itself with an ``<rpc-error>``: send ``reply``."""

    error: RpcError
    reply: bytes


@dataclass(frozen=True)
class RpcToParse:
    """A message of an established session longer than the session parses itself: parse it
    with :func:`~smartupgrade_server.netconf.xml_parser.parse_message` (on any thread, with a
    parser of that thread) and give the root or the :class:`RpcError` to
    :meth:`ServerSession.receive_parsed`, in the order of the events."""

    message: bytes


@dataclass(frozen=True)
class ProtocolViolation:
    """The peer broke the protocol so badly that the session is closed: close the transport."""

    reason: str


@dataclass(frozen=True)
class SessionClosed:
    """The peer closed its side; ``truncated`` if it did so in the middle of a message."""

    truncated: bool


Event = HelloReceived | RpcRequest | RpcToParse | RpcRejected | ProtocolViolation | SessionClosed


class ServerSession:
    """One NETCONF session as seen by the server."""

    def __init__(
        self,
        session_id: int,
        capabilities: Iterable[str] = (),
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        chunked_only: bool = False,
        inline_parse_limit: int = INLINE_PARSE_LIMIT,
    ) -> None:
        """``chunked_only``: the transport allows only the chunked framing (NETCONF over TLS,
        RFC 7589 §3), so the hello offers base:1.1 alone and a client without it is refused.
        ``inline_parse_limit``: see :data:`INLINE_PARSE_LIMIT`."""
        if not 1 <= session_id <= MAX_SESSION_ID:
            raise ValueError(f"session-id must be within 1..{MAX_SESSION_ID}")
        self.session_id = session_id
        self.capabilities = _advertised(tuple(capabilities), chunked_only)
        self.state = SessionState.HELLO_WAIT
        self.framing = Framing.END_OF_MESSAGE
        self.client_capabilities: tuple[str, ...] = ()
        self._decoder = FrameDecoder(max_message_size)
        self._inline_parse_limit = inline_parse_limit

    def hello(self) -> bytes:
        """The server's hello, always end-of-message framed; send it before anything else."""
        message = _hello_start(self.capabilities) + b"<session-id>%d</session-id></hello>" % (
            self.session_id
        )
        return encode(message, Framing.END_OF_MESSAGE)

    def receive_data(self, data: bytes) -> list[Event]:
        if not self.is_open:
            return []
        self._decoder.receive_data(data)
        events: list[Event] = []
        # a message may close the session (a violation), and then the rest is not read
        while self.is_open:
            try:
                message = self._decoder.next_message()
            except FramingError as error:
                events.append(self._violation(f"framing error: {error}"))
                break
            if message is None:
                break
            if isinstance(message, MessageTooBig):
                events.append(self._too_big(message))
            else:
                events.append(self._receive_message(message))
        return events

    def receive_eof(self) -> list[Event]:
        if not self.is_open:
            return []
        self.state = SessionState.CLOSED
        return [SessionClosed(truncated=not self._decoder.at_message_boundary)]

    @property
    def is_open(self) -> bool:
        return self.state is not SessionState.CLOSED

    def close(self) -> None:
        """No more input is processed (after close-session, kill-session or a transport error)."""
        self.state = SessionState.CLOSED

    def reply_ok(self, request: RpcRequest) -> bytes:
        return self._reply(request.rpc, request.attributes, _OK)

    def reply_data(self, request: RpcRequest, content: ReplyContent) -> bytes:
        """``<ok/>`` for None, else the given element(s) as the children of ``<rpc-reply>``.

        The elements are serialised, not moved, so they may belong to a live tree.
        """
        if content is None:
            return self.reply_ok(request)
        if isinstance(content, etree._Element):
            content = [content]
        # one by one, which leaves them in their own trees
        return self._reply(
            request.rpc,
            request.attributes,
            b"".join(etree.tostring(child, with_tail=False) for child in content),
        )

    def reply_error(self, request: RpcRequest | None, errors: Sequence[RpcError]) -> bytes:
        """An ``<rpc-reply>`` with one ``<rpc-error>`` per error (no message-id if no request)."""
        return self._reply(
            request.rpc if request else None,
            request.attributes if request else {},
            b"".join(etree.tostring(self._for_client(e).to_xml()) for e in errors),
        )

    def notification(self, message: bytes) -> bytes:
        """A ``<notification>`` document (netconf/notification.py) in the session's framing."""
        return encode(message, self.framing)

    def _for_client(self, error: RpcError) -> RpcError:
        # RFC 6241 §A: malformed-message "MUST NOT be sent to old clients" (base:1.0 only)
        if isinstance(error, MalformedMessageError) and self.framing is Framing.END_OF_MESSAGE:
            return OperationFailedError(ErrorType.RPC, message=error.message or "malformed message")
        return error

    def _reply(
        self, source: etree._Element | None, attributes: Mapping[str, str], body: bytes
    ) -> bytes:
        """An ``<rpc-reply>`` with the rpc's ``attributes`` around serialised children."""
        message = _XML_DECLARATION + _reply_start(source, attributes) + body + b"</rpc-reply>"
        return encode(message, self.framing)

    def _violation(self, reason: str) -> ProtocolViolation:
        self.state = SessionState.CLOSED
        return ProtocolViolation(reason)

    def _too_big(self, message: MessageTooBig) -> Event:
        description = f"a message of {message.size} bytes, over the limit of {message.limit}"
        if self.state is SessionState.HELLO_WAIT:
            return self._violation(f"hello too big: {description}")
        error = TooBigError(ErrorType.RPC, message=f"{description} bytes was not read")
        return RpcRejected(error, self.reply_error(None, [error]))

    def _receive_message(self, message: bytes) -> Event:
        if self.state is SessionState.ESTABLISHED and len(message) > self._inline_parse_limit:
            return RpcToParse(message)
        try:
            root = parse_message(message)
        except RpcError as error:
            if self.state is SessionState.HELLO_WAIT:
                return self._violation(f"unparsable hello: {error.message}")
            return self.receive_parsed(error)
        if self.state is SessionState.HELLO_WAIT:
            return self._receive_hello(root)
        return self.receive_parsed(root)

    def receive_parsed(self, parsed: etree._Element | RpcError) -> Event:
        """What a message of the established session is, from its root element or its parse
        error (:class:`RpcToParse`). It may come after a later message closed the session: it
        was received before that one, and is answered."""
        if isinstance(parsed, RpcError):
            return RpcRejected(parsed, self.reply_error(None, [parsed]))
        if parsed.tag == qname("hello"):
            return self._violation("a second <hello> after the session was established")
        return self._receive_rpc(parsed)

    def _receive_hello(self, root: etree._Element) -> Event:
        if root.tag != qname("hello"):
            return self._violation(f"expected <hello> first, got <{etree.QName(root).localname}>")
        if root.find(qname("session-id")) is not None:
            # RFC 6241 §8.1: a client hello with a session-id terminates the session
            return self._violation("the client's <hello> carries a <session-id>")
        container = root.find(qname("capabilities"))
        if container is None:
            return self._violation("the client's <hello> has no <capabilities>")
        offered = tuple(
            (element.text or "").strip() for element in container.iter(qname("capability"))
        )
        if BASE_1_1 in offered and BASE_1_1 in self.capabilities:
            self.framing = Framing.CHUNKED
            self._decoder.switch_to_chunked()
        elif BASE_1_0 not in offered or BASE_1_0 not in self.capabilities:
            needed = " or ".join(base for base in (BASE_1_0, BASE_1_1) if base in self.capabilities)
            return self._violation(
                f"no base capability in common with the client: the server needs {needed}"
            )
        self.client_capabilities = offered
        self.state = SessionState.ESTABLISHED
        return HelloReceived(offered, self.framing)

    def _receive_rpc(self, root: etree._Element) -> Event:
        try:
            return self._request(root)
        except RpcError as error:
            return RpcRejected(
                error,
                self._reply(
                    root, rpc_attributes(root), etree.tostring(self._for_client(error).to_xml())
                ),
            )

    def _request(self, root: etree._Element) -> RpcRequest:
        if root.tag != qname("rpc"):
            raise UnknownElementError(
                ErrorType.PROTOCOL,
                etree.QName(root).localname,
                message=f"expected <rpc> in namespace {BASE_NS}",
            )
        message_id = root.get("message-id")
        if message_id is None:
            raise MissingAttributeError(
                ErrorType.RPC, "message-id", "rpc", message="<rpc> has no message-id"
            )
        operations = list(root)
        if not operations:
            raise MissingElementError(
                ErrorType.PROTOCOL, "rpc", message="<rpc> contains no operation"
            )
        if len(operations) > 1:
            raise UnknownElementError(
                ErrorType.PROTOCOL,
                etree.QName(operations[1]).localname,
                message="<rpc> contains more than one operation",
            )
        return RpcRequest(message_id, rpc_attributes(root), operations[0], root)


@lru_cache(maxsize=8)
def _advertised(capabilities: tuple[str, ...], chunked_only: bool) -> tuple[str, ...]:
    """The capabilities a hello lists: the base ones first, each once (every session of a
    server starts from the same ones)."""
    bases = (BASE_1_1,) if chunked_only else (BASE_1_0, BASE_1_1)
    others = (c.strip() for c in capabilities)
    return tuple(dict.fromkeys([*bases, *(c for c in others if c not in (BASE_1_0, BASE_1_1))]))


@lru_cache(maxsize=8)
def _hello_start(capabilities: tuple[str, ...]) -> bytes:
    """A hello up to its session-id: every session of a server sends the same capabilities."""
    hello = etree.Element(qname("hello"), nsmap=BASE_NSMAP)
    container = etree.SubElement(hello, qname("capabilities"))
    for capability in capabilities:
        etree.SubElement(container, qname("capability")).text = capability
    return _XML_DECLARATION + etree.tostring(hello).removesuffix(b"</hello>")


def rpc_attributes(rpc: etree._Element) -> dict[str, str]:
    """Every attribute of ``rpc`` (message-id included), keys in Clark notation, in one pass."""
    values = cast(list[etree._ElementUnicodeResult], _ATTRIBUTES(rpc))
    return {str(value.attrname): str(value) for value in values}


def _reply_start(source: etree._Element | None, attributes: Mapping[str, str]) -> bytes:
    """``<rpc-reply xmlns=…>`` with ``attributes``, written out in one pass (lxml's set() of an
    attribute searches those already set), and the prefixes the namespaced ones need, taken
    from the rpc."""
    prefixes: dict[str, str] = {XML_NS: "xml"}
    if source is not None and any(name.startswith("{") for name in attributes):
        for prefix, uri in source.nsmap.items():
            if prefix is not None:
                prefixes.setdefault(uri, prefix)
    declared: dict[str, str] = {}
    parts = [_REPLY_START]
    for name, value in attributes.items():
        qualified = etree.QName(name)
        local = qualified.localname
        if qualified.namespace is not None:
            prefix = prefixes[qualified.namespace]
            if prefix != "xml" and prefix not in declared:
                declared[prefix] = qualified.namespace
                parts.append(b' xmlns:%s="%s"' % (prefix.encode(), _escape(qualified.namespace)))
            local = f"{prefix}:{local}"
        parts.append(b' %s="%s"' % (local.encode(), _escape(value)))
    parts.append(b">")
    return b"".join(parts)


_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def _escape(value: str) -> bytes:
    """An attribute value as XML, keeping the whitespace characters that normalisation would
    otherwise turn into spaces."""
    return value.translate(_ESCAPES).encode()
