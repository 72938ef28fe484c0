"""The session state machine: hello exchange, framing negotiation, rpc checks, replies."""

import itertools

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, RpcError, TooBigError
from smartupgrade_server.netconf.framing import (
    END_OF_MESSAGE,
    FrameDecoder,
    Framing,
    encode_chunked,
)
from smartupgrade_server.netconf.session import (
    Event,
    HelloReceived,
    ProtocolViolation,
    RpcRejected,
    RpcRequest,
    RpcToParse,
    ServerSession,
    SessionClosed,
    SessionState,
    rpc_attributes,
)

NC = f"{{{BASE_NS}}}"


def client_hello(*capabilities: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    caps = "".join(f"<{p}capability>{c}</{p}capability>" for c in capabilities)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}hello {xmlns}="{BASE_NS}">'
        f"<{p}capabilities>{caps}</{p}capabilities></{p}hello>"
    ).encode() + END_OF_MESSAGE


def rpc(message_id: str = "101", body: str = "<get/>", attributes: str = "") -> bytes:
    return (f'<rpc message-id="{message_id}" xmlns="{BASE_NS}"{attributes}>{body}</rpc>').encode()


def established(*capabilities: str) -> ServerSession:
    session = ServerSession(42, ["urn:example:extra"])
    session.hello()
    events = session.receive_data(client_hello(*(capabilities or (BASE_1_0, BASE_1_1))))
    assert isinstance(events[0], HelloReceived)
    return session


def one_reply(data: bytes, framing: Framing) -> etree._Element:
    decoder = FrameDecoder()
    if framing is Framing.CHUNKED:
        decoder.switch_to_chunked()
    (message,) = decoder.feed(data)
    assert isinstance(message, bytes)
    return etree.fromstring(message)


def rejected_error(event: Event, framing: Framing = Framing.CHUNKED) -> etree._Element:
    assert isinstance(event, RpcRejected)
    reply = one_reply(event.reply, framing)
    assert reply.tag == f"{NC}rpc-reply"
    error = reply.find(f"{NC}rpc-error")
    assert error is not None
    return error


def test_server_hello_lists_base_capabilities_and_session_id_end_of_message_framed() -> None:
    hello_bytes = ServerSession(7, [" urn:example:cap ", BASE_1_1]).hello()
    assert hello_bytes.endswith(END_OF_MESSAGE)
    hello = etree.fromstring(hello_bytes[: -len(END_OF_MESSAGE)])
    assert hello.tag == f"{NC}hello"
    assert [c.text for c in hello.iter(f"{NC}capability")] == [
        BASE_1_0,
        BASE_1_1,
        "urn:example:cap",
    ]
    assert hello.findtext(f"{NC}session-id") == "7"


def test_base_1_1_on_both_sides_switches_to_chunked_in_the_same_read() -> None:
    session = ServerSession(1)
    events = session.receive_data(
        client_hello(BASE_1_1) + encode_chunked(rpc("1")) + encode_chunked(rpc("2"))
    )
    assert events[0] == HelloReceived((BASE_1_1,), Framing.CHUNKED)
    requests = [e for e in events[1:] if isinstance(e, RpcRequest)]
    assert [r.message_id for r in requests] == ["1", "2"]
    assert session.reply_ok(requests[0]).startswith(b"\n#")


def test_base_1_0_client_keeps_end_of_message_framing() -> None:
    session = established(BASE_1_0)
    assert session.framing is Framing.END_OF_MESSAGE
    (request,) = session.receive_data(rpc() + END_OF_MESSAGE)
    assert isinstance(request, RpcRequest)
    assert session.reply_ok(request).endswith(END_OF_MESSAGE)


def test_any_prefix_on_hello_and_rpc() -> None:
    session = ServerSession(1)
    session.receive_data(client_hello(BASE_1_1, prefix="nc"))
    (request,) = session.receive_data(
        encode_chunked(f'<nc:rpc xmlns:nc="{BASE_NS}" message-id="m"><nc:get/></nc:rpc>'.encode())
    )
    assert isinstance(request, RpcRequest)
    assert request.operation_tag == f"{NC}get"


def test_hello_without_a_common_base_capability_closes() -> None:
    session = ServerSession(1)
    (event,) = session.receive_data(client_hello("urn:ietf:params:netconf:base:2.0"))
    assert isinstance(event, ProtocolViolation)
    assert session.state is SessionState.CLOSED
    assert session.receive_data(rpc()) == []


def test_a_chunked_only_session_offers_base_1_1_alone_and_refuses_a_base_1_0_client() -> None:
    # NETCONF over TLS (RFC 7589 §3): chunked framing only
    session = ServerSession(1, [BASE_1_0, "urn:example:cap"], chunked_only=True)
    hello = etree.fromstring(session.hello()[: -len(END_OF_MESSAGE)])
    assert [c.text for c in hello.iter(f"{NC}capability")] == [BASE_1_1, "urn:example:cap"]
    (event,) = session.receive_data(client_hello(BASE_1_0))
    assert event == ProtocolViolation(
        f"no base capability in common with the client: the server needs {BASE_1_1}"
    )
    assert session.state is SessionState.CLOSED


def test_a_chunked_only_session_takes_a_base_1_1_client() -> None:
    session = ServerSession(1, chunked_only=True)
    (event,) = session.receive_data(client_hello(BASE_1_0, BASE_1_1))
    assert event == HelloReceived((BASE_1_0, BASE_1_1), Framing.CHUNKED)


def test_client_hello_with_a_session_id_closes() -> None:
    hello = (
        f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
        f"</capabilities><session-id>4</session-id></hello>"
    ).encode() + END_OF_MESSAGE
    (event,) = ServerSession(1).receive_data(hello)
    assert isinstance(event, ProtocolViolation)


def test_rpc_or_garbage_before_hello_closes() -> None:
    for data in (rpc() + END_OF_MESSAGE, b"garbage]]>]]>", b"<hello/>]]>]]>"):
        session = ServerSession(1)
        (event,) = session.receive_data(data)
        assert isinstance(event, ProtocolViolation)
        assert session.state is SessionState.CLOSED


def test_second_hello_closes() -> None:
    session = established()
    (event,) = session.receive_data(encode_chunked(client_hello(BASE_1_1)[:-6]))
    assert isinstance(event, ProtocolViolation)


def test_framing_error_closes() -> None:
    session = established()
    (event,) = session.receive_data(b"\n#99999999999999\n")
    assert isinstance(event, ProtocolViolation)
    assert "framing" in event.reason


def test_reply_echoes_every_rpc_attribute_in_the_base_namespace() -> None:
    session = established()
    (request,) = session.receive_data(
        encode_chunked(rpc("urn:uuid:1", attributes=' xmlns:ex="urn:ex" ex:user="u" trace="t"'))
    )
    assert isinstance(request, RpcRequest)
    assert request.attributes == {"message-id": "urn:uuid:1", "{urn:ex}user": "u", "trace": "t"}
    reply = one_reply(session.reply_ok(request), Framing.CHUNKED)
    assert reply.tag == f"{NC}rpc-reply"
    assert {str(k): str(v) for k, v in reply.attrib.items()} == {
        "message-id": "urn:uuid:1",
        "{urn:ex}user": "u",
        "trace": "t",
    }
    assert [child.tag for child in reply] == [f"{NC}ok"]


def test_reply_data_leaves_the_content_in_its_tree() -> None:
    session = established()
    (request,) = session.receive_data(encode_chunked(rpc()))
    assert isinstance(request, RpcRequest)
    live = etree.fromstring(b'<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><x/></data>')
    reply = one_reply(session.reply_data(request, live), Framing.CHUNKED)
    assert [child.tag for child in reply] == [f"{NC}data"]
    assert len(live) == 1


def test_missing_message_id_is_missing_attribute_and_other_attributes_are_echoed() -> None:
    session = established()
    (event,) = session.receive_data(
        encode_chunked(f'<rpc xmlns="{BASE_NS}" trace="t"><get/></rpc>'.encode())
    )
    error = rejected_error(event)
    assert error.findtext(f"{NC}error-tag") == "missing-attribute"
    assert isinstance(event, RpcRejected)
    assert one_reply(event.reply, Framing.CHUNKED).get("trace") == "t"


def test_rpc_with_no_operation_or_two_operations() -> None:
    session = established()
    none, two = session.receive_data(
        encode_chunked(rpc(body="")) + encode_chunked(rpc(body="<get/><get-config/>"))
    )
    assert rejected_error(none).findtext(f"{NC}error-tag") == "missing-element"
    assert rejected_error(two).findtext(f"{NC}error-tag") == "unknown-element"


def test_xxe_in_an_rpc_is_malformed_message_not_expanded() -> None:
    session = established()
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rpc [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>&x;</get></rpc>'
    )
    (event,) = session.receive_data(encode_chunked(xxe))
    assert isinstance(event, RpcRejected)
    assert b"root:" not in event.reply
    assert rejected_error(event).findtext(f"{NC}error-tag") == "malformed-message"
    assert session.state is SessionState.ESTABLISHED


def test_malformed_message_is_not_sent_to_a_base_1_0_client() -> None:
    session = established(BASE_1_0)
    (event,) = session.receive_data(b"<rpc garbage" + END_OF_MESSAGE)
    error = rejected_error(event, Framing.END_OF_MESSAGE)
    assert error.findtext(f"{NC}error-tag") == "operation-failed"
    assert error.findtext(f"{NC}error-type") == "rpc"


def test_leading_whitespace_and_xml_declaration_from_scrapli() -> None:
    session = established(BASE_1_0)
    (request,) = session.receive_data(
        b'\n<?xml version="1.0" encoding="utf-8"?>\n' + rpc() + END_OF_MESSAGE + b"\n\n"
    )
    assert isinstance(request, RpcRequest)


def test_eof_at_a_boundary_or_mid_message() -> None:
    clean = established()
    assert clean.receive_eof() == [SessionClosed(truncated=False)]
    truncated = established()
    truncated.receive_data(b"\n#100\n<rpc")
    assert truncated.receive_eof() == [SessionClosed(truncated=True)]
    assert truncated.receive_eof() == []


def test_reply_error_without_request_has_no_message_id() -> None:
    session = established()
    reply = one_reply(session.reply_error(None, []), Framing.CHUNKED)
    assert reply.get("message-id") is None


REQUESTS = [rpc(str(n), body=f"<get><filter>{'x' * n}</filter></get>") for n in range(1, 6)]


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=30))
def test_a_conversation_split_anywhere_gives_the_same_events(points: list[int]) -> None:
    stream = client_hello(BASE_1_0, BASE_1_1) + b"".join(encode_chunked(r) for r in REQUESTS)
    cuts = sorted({0, len(stream), *(p % (len(stream) + 1) for p in points)})
    session = ServerSession(9)
    events: list[Event] = []
    for start, end in itertools.pairwise(cuts):
        events.extend(session.receive_data(stream[start:end]))
    assert isinstance(events[0], HelloReceived)
    assert [e.message_id for e in events[1:] if isinstance(e, RpcRequest)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


@given(st.binary(max_size=300), st.booleans())
def test_random_bytes_only_ever_produce_events(data: bytes, after_hello: bool) -> None:
    session = established() if after_hello else ServerSession(3)
    for event in session.receive_data(data):
        assert isinstance(
            event, HelloReceived | RpcRequest | RpcRejected | ProtocolViolation | SessionClosed
        )
        if isinstance(event, RpcRejected):
            assert isinstance(event.error, RpcError)
            assert event.error.tag in set(ErrorTag)


def test_a_message_over_the_size_limit_is_too_big_and_the_session_goes_on() -> None:
    session = ServerSession(5, max_message_size=200)
    session.receive_data(client_hello(BASE_1_1))
    big = rpc("1", body=f"<get><filter>{'x' * 300}</filter></get>")
    too_big, request = session.receive_data(encode_chunked(big) + encode_chunked(rpc("2")))
    error = rejected_error(too_big)
    assert error.findtext(f"{NC}error-tag") == "too-big"
    assert error.findtext(f"{NC}error-type") == "rpc"
    assert error.findtext(f"{NC}error-message") == (
        f"a message of {len(big)} bytes, over the limit of 200 bytes was not read"
    )
    assert isinstance(too_big, RpcRejected)
    assert one_reply(too_big.reply, Framing.CHUNKED).get("message-id") is None
    assert isinstance(request, RpcRequest) and request.message_id == "2"


def test_a_hello_over_the_size_limit_closes() -> None:
    session = ServerSession(5, max_message_size=100)
    (event,) = session.receive_data(client_hello(BASE_1_0, "urn:x:" + "y" * 100))
    assert isinstance(event, ProtocolViolation)
    assert event.reason.startswith("hello too big")


def test_a_doctype_in_the_hello_closes_with_the_doctype_error() -> None:
    session = ServerSession(5)
    hello = client_hello(BASE_1_0)
    (event,) = session.receive_data(
        hello.replace(b"?>", b'?><!DOCTYPE hello SYSTEM "/etc/passwd">', 1)
    )
    assert event == ProtocolViolation(
        "unparsable hello: a DOCTYPE is not allowed in a NETCONF message"
    )


def test_too_many_attributes_are_too_big_without_an_echo() -> None:
    session = established()
    attributes = "".join(f' a{i}="v"' for i in range(100))
    (event,) = session.receive_data(encode_chunked(rpc("7", attributes=attributes)))
    error = rejected_error(event)
    assert error.findtext(f"{NC}error-tag") == "too-big"
    assert isinstance(event, RpcRejected)
    assert len(one_reply(event.reply, Framing.CHUNKED).attrib) == 0


_attribute_names = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True).filter(
    lambda name: not name.startswith("xml")
)
_attribute_values = st.text(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs", "Cc")).filter(
        lambda c: c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff")
    ),
    max_size=12,
)


@given(
    st.dictionaries(_attribute_names, _attribute_values, max_size=8),
    st.dictionaries(_attribute_names, _attribute_values, max_size=4),
)
def test_reply_carries_exactly_the_rpcs_attributes(
    plain: dict[str, str], namespaced: dict[str, str]
) -> None:
    rpc_element = etree.Element(
        f"{NC}rpc",
        nsmap={None: BASE_NS, "ex": "urn:ex", "nc": BASE_NS},  # type: ignore[dict-item]
    )
    rpc_element.set("message-id", "m")
    for name, value in plain.items():
        rpc_element.set(name, value)
    for name, value in namespaced.items():
        rpc_element.set(f"{{urn:ex}}{name}", value)
    rpc_element.set(f"{NC}also", "base namespace")
    rpc_element.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    etree.SubElement(rpc_element, f"{NC}get")
    session = established()
    (request,) = session.receive_data(encode_chunked(etree.tostring(rpc_element)))
    assert isinstance(request, RpcRequest)
    reply = one_reply(session.reply_ok(request), Framing.CHUNKED)
    assert rpc_attributes(reply) == rpc_attributes(rpc_element)


def big_rpc(message_id: str, size: int) -> bytes:
    """An rpc of at least ``size`` bytes (a filter of many elements)."""
    body = "<get><filter>" + "<x/>" * (size // 4) + "</filter></get>"
    return rpc(message_id, body)


def test_a_large_rpc_is_left_to_the_transport_to_parse() -> None:
    session = ServerSession(42, [], inline_parse_limit=1000)
    session.receive_data(client_hello(BASE_1_0))
    small, large = rpc("1"), big_rpc("2", 2000)
    events = session.receive_data(small + END_OF_MESSAGE + large + END_OF_MESSAGE)
    assert isinstance(events[0], RpcRequest)
    (_, unparsed) = events
    assert unparsed == RpcToParse(large)
    request = session.receive_parsed(etree.fromstring(unparsed.message))
    assert isinstance(request, RpcRequest)
    assert request.message_id == "2"


def test_a_large_hello_is_parsed_by_the_session() -> None:
    # the hello decides the framing of what follows, so it is never left for later
    session = ServerSession(42, [], inline_parse_limit=10)
    (event,) = session.receive_data(client_hello(BASE_1_0, BASE_1_1))
    assert isinstance(event, HelloReceived)
    assert session.framing is Framing.CHUNKED


def test_what_a_large_message_parsed_to_is_answered_like_a_small_one() -> None:
    session = ServerSession(42, [], inline_parse_limit=10)
    session.receive_data(client_hello(BASE_1_0))
    assert isinstance(session.receive_parsed(etree.fromstring(rpc("7"))), RpcRequest)
    rejected = session.receive_parsed(etree.fromstring(b"<rpc xmlns='urn:x'/>"))
    assert isinstance(rejected, RpcRejected)
    too_big = TooBigError(ErrorType.RPC, message="beyond the XML parser's limits")
    assert session.receive_parsed(too_big) == RpcRejected(
        too_big, session.reply_error(None, [too_big])
    )
    violation = session.receive_parsed(
        etree.fromstring(client_hello(BASE_1_0)[: -len(END_OF_MESSAGE)])
    )
    assert isinstance(violation, ProtocolViolation)
    assert session.state is SessionState.CLOSED


def test_a_large_message_received_before_a_violation_is_still_answered() -> None:
    session = ServerSession(42, [], inline_parse_limit=1000)
    session.receive_data(client_hello(BASE_1_0))
    hello_again = client_hello(BASE_1_0)
    unparsed, violation = session.receive_data(big_rpc("3", 2000) + END_OF_MESSAGE + hello_again)
    assert isinstance(unparsed, RpcToParse) and isinstance(violation, ProtocolViolation)
    assert session.state is SessionState.CLOSED
    reply = session.receive_parsed(etree.fromstring(unparsed.message))
    assert isinstance(reply, RpcRequest)
    assert reply.message_id == "3"
