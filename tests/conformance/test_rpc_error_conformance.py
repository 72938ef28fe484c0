"""The exact ``<rpc-reply>``/``<rpc-error>`` the protocol core sends, per RFC 6241 Appendix A.

Each case goes through the same session code the server runs: bytes in, reply bytes out.
"""

import pytest
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.errors import (
    AccessDeniedError,
    BadAttributeError,
    BadElementError,
    DataExistsError,
    DataMissingError,
    ErrorType,
    InUseError,
    InvalidValueError,
    LockDeniedError,
    MalformedMessageError,
    MissingAttributeError,
    MissingElementError,
    OperationFailedError,
    OperationNotSupportedError,
    ResourceDeniedError,
    RollbackFailedError,
    RpcError,
    TooBigError,
    UnknownAttributeError,
    UnknownElementError,
    UnknownNamespaceError,
)
from smartupgrade_server.netconf.framing import (
    END_OF_MESSAGE,
    FrameDecoder,
    Framing,
    encode_chunked,
)
from smartupgrade_server.netconf.operations import OperationTable, kill_session_target
from smartupgrade_server.netconf.registry import SessionContext, SessionRegistry
from smartupgrade_server.netconf.session import RpcRejected, RpcRequest, ServerSession
from tests.support.xml import canonical


def session_with(*client_capabilities: str) -> ServerSession:
    session = ServerSession(1)
    session.hello()
    hello = (
        f'<hello xmlns="{BASE_NS}"><capabilities>'
        + "".join(f"<capability>{c}</capability>" for c in client_capabilities)
        + "</capabilities></hello>"
    )
    session.receive_data(hello.encode() + END_OF_MESSAGE)
    return session


def reply_to(session: ServerSession, message: bytes) -> bytes:
    framed = (
        encode_chunked(message) if session.framing is Framing.CHUNKED else message + END_OF_MESSAGE
    )
    (event,) = session.receive_data(framed)
    assert isinstance(event, RpcRejected)
    decoder = FrameDecoder()
    if session.framing is Framing.CHUNKED:
        decoder.switch_to_chunked()
    (reply,) = decoder.feed(event.reply)
    assert isinstance(reply, bytes)
    return reply


def request(session: ServerSession, operation: str) -> RpcRequest:
    (event,) = session.receive_data(
        encode_chunked(f'<rpc message-id="5" xmlns="{BASE_NS}">{operation}</rpc>'.encode())
    )
    assert isinstance(event, RpcRequest)
    return event


def decode(data: bytes) -> bytes:
    decoder = FrameDecoder()
    decoder.switch_to_chunked()
    (reply,) = decoder.feed(data)
    assert isinstance(reply, bytes)
    return reply


def test_missing_message_id() -> None:
    reply = reply_to(session_with(BASE_1_1), f'<rpc xmlns="{BASE_NS}"><get/></rpc>'.encode())
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}">
          <rpc-error>
            <error-type>rpc</error-type>
            <error-tag>missing-attribute</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">&lt;rpc&gt; has no message-id</error-message>
            <error-info>
              <bad-attribute>message-id</bad-attribute>
              <bad-element>rpc</bad-element>
            </error-info>
          </rpc-error>
        </rpc-reply>""")


def test_rpc_without_operation() -> None:
    reply = reply_to(session_with(BASE_1_1), f'<rpc message-id="3" xmlns="{BASE_NS}"/>'.encode())
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}" message-id="3">
          <rpc-error>
            <error-type>protocol</error-type>
            <error-tag>missing-element</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">&lt;rpc&gt; contains no operation</error-message>
            <error-info><bad-element>rpc</bad-element></error-info>
          </rpc-error>
        </rpc-reply>""")


def test_rpc_with_two_operations() -> None:
    reply = reply_to(
        session_with(BASE_1_1),
        f'<rpc message-id="4" xmlns="{BASE_NS}"><get/><lock/></rpc>'.encode(),
    )
    message = "&lt;rpc&gt; contains more than one operation"
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}" message-id="4">
          <rpc-error>
            <error-type>protocol</error-type>
            <error-tag>unknown-element</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">{message}</error-message>
            <error-info><bad-element>lock</bad-element></error-info>
          </rpc-error>
        </rpc-reply>""")


def test_message_that_is_not_an_rpc() -> None:
    reply = reply_to(session_with(BASE_1_1), b'<notification xmlns="urn:x" message-id="9"/>')
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}" message-id="9">
          <rpc-error>
            <error-type>protocol</error-type>
            <error-tag>unknown-element</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">expected &lt;rpc&gt; in namespace {BASE_NS}</error-message>
            <error-info><bad-element>notification</bad-element></error-info>
          </rpc-error>
        </rpc-reply>""")


@pytest.mark.parametrize(
    ("capabilities", "expected_tag"),
    [((BASE_1_0, BASE_1_1), "malformed-message"), ((BASE_1_0,), "operation-failed")],
    ids=["base-1.1", "base-1.0"],
)
def test_not_well_formed(capabilities: tuple[str, ...], expected_tag: str) -> None:
    reply = reply_to(session_with(*capabilities), b"<rpc message-id='1'><get></rpc>")
    parsed = etree.fromstring(reply)
    message = parsed.findtext(f"{{{BASE_NS}}}rpc-error/{{{BASE_NS}}}error-message")
    assert message is not None
    assert message.startswith("not well-formed XML: ")
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}">
          <rpc-error>
            <error-type>rpc</error-type>
            <error-tag>{expected_tag}</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">{message.replace("<", "&lt;")}</error-message>
          </rpc-error>
        </rpc-reply>""")


def test_doctype() -> None:
    reply = reply_to(
        session_with(BASE_1_1),
        b'<!DOCTYPE rpc [<!ENTITY x "y">]><rpc message-id="1" xmlns="'
        + BASE_NS.encode()
        + b'"><get>&x;</get></rpc>',
    )
    message = "a DOCTYPE is not allowed in a NETCONF message"
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}">
          <rpc-error>
            <error-type>rpc</error-type>
            <error-tag>malformed-message</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">{message}</error-message>
          </rpc-error>
        </rpc-reply>""")


async def test_operation_not_supported() -> None:
    session = session_with(BASE_1_1)
    req = request(session, '<frob xmlns="urn:x"/>')
    with pytest.raises(RpcError) as caught:
        await OperationTable().dispatch(SessionContext(1, "admin", 3, "peer"), req)
    reply = decode(session.reply_error(req, [caught.value]))
    message = "operation 'frob' in namespace 'urn:x' is not supported"
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}" message-id="5">
          <rpc-error>
            <error-type>protocol</error-type>
            <error-tag>operation-not-supported</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">{message}</error-message>
          </rpc-error>
        </rpc-reply>""")


@pytest.mark.parametrize(
    ("operation", "tag", "message", "info"),
    [
        (
            "<kill-session/>",
            "missing-element",
            "kill-session needs a session-id",
            "<error-info><bad-element>session-id</bad-element></error-info>",
        ),
        (
            "<kill-session><session-id>abc</session-id></kill-session>",
            "invalid-value",
            "session-id 'abc' is not a session id",
            "",
        ),
        (
            "<kill-session><session-id>1</session-id></kill-session>",
            "invalid-value",
            "a session cannot kill itself; use close-session",
            "",
        ),
        (
            "<kill-session><session-id>77</session-id></kill-session>",
            "invalid-value",
            "no session 77",
            "",
        ),
    ],
)
def test_kill_session_errors(operation: str, tag: str, message: str, info: str) -> None:
    registry = SessionRegistry()
    me = registry.open("admin", 3, "peer", lambda: None)
    session = session_with(BASE_1_1)
    req = request(session, operation)
    with pytest.raises(RpcError) as caught:
        registry.kill(kill_session_target(req), by=me.session_id)
    reply = decode(session.reply_error(req, [caught.value]))
    assert canonical(reply) == canonical(f"""
        <rpc-reply xmlns="{BASE_NS}" message-id="5">
          <rpc-error>
            <error-type>protocol</error-type>
            <error-tag>{tag}</error-tag>
            <error-severity>error</error-severity>
            <error-message xml:lang="en">{message}</error-message>
            {info}
          </rpc-error>
        </rpc-reply>""")


A = ErrorType.APPLICATION
P = ErrorType.PROTOCOL

# Every per-tag constructor the layers above raise, with its exact serialisation.
CONSTRUCTED: list[tuple[RpcError, str, str, str]] = [
    (InUseError(P), "protocol", "in-use", ""),
    (InvalidValueError(A), "application", "invalid-value", ""),
    (TooBigError(ErrorType.TRANSPORT), "transport", "too-big", ""),
    (
        MissingAttributeError(A, "type", "filter"),
        "application",
        "missing-attribute",
        "<bad-attribute>type</bad-attribute><bad-element>filter</bad-element>",
    ),
    (
        BadAttributeError(ErrorType.RPC, "type", "filter"),
        "rpc",
        "bad-attribute",
        "<bad-attribute>type</bad-attribute><bad-element>filter</bad-element>",
    ),
    (
        UnknownAttributeError(P, "foo", "get"),
        "protocol",
        "unknown-attribute",
        "<bad-attribute>foo</bad-attribute><bad-element>get</bad-element>",
    ),
    (
        MissingElementError(A, "url"),
        "application",
        "missing-element",
        "<bad-element>url</bad-element>",
    ),
    (BadElementError(A, "url"), "application", "bad-element", "<bad-element>url</bad-element>"),
    (UnknownElementError(A, "x"), "application", "unknown-element", "<bad-element>x</bad-element>"),
    (
        UnknownNamespaceError(P, "config", "urn:nowhere"),
        "protocol",
        "unknown-namespace",
        "<bad-element>config</bad-element><bad-namespace>urn:nowhere</bad-namespace>",
    ),
    (AccessDeniedError(A), "application", "access-denied", ""),
    (LockDeniedError(12), "protocol", "lock-denied", "<session-id>12</session-id>"),
    (ResourceDeniedError(A), "application", "resource-denied", ""),
    (RollbackFailedError(A), "application", "rollback-failed", ""),
    (DataExistsError(), "application", "data-exists", ""),
    (DataMissingError(), "application", "data-missing", ""),
    (OperationNotSupportedError(A), "application", "operation-not-supported", ""),
    (OperationFailedError(A), "application", "operation-failed", ""),
    (MalformedMessageError(), "rpc", "malformed-message", ""),
]


@pytest.mark.parametrize(
    ("error", "error_type", "tag", "info"), CONSTRUCTED, ids=[c[2] for c in CONSTRUCTED]
)
def test_constructed_errors(error: RpcError, error_type: str, tag: str, info: str) -> None:
    info_xml = f"<error-info>{info}</error-info>" if info else ""
    assert canonical(error.to_xml()) == canonical(f"""
        <rpc-error xmlns="{BASE_NS}">
          <error-type>{error_type}</error-type>
          <error-tag>{tag}</error-tag>
          <error-severity>error</error-severity>
          {info_xml}
        </rpc-error>""")
