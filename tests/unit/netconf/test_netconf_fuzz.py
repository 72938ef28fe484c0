"""Fuzz campaign against the I/O-free protocol core (issue #13): framing 1.0 and 1.1, XML.

Whatever arrives, ServerSession only returns events: requests, rejections whose reply is a
well-formed ``<rpc-reply>`` with an ``<rpc-error>`` of the protocol, or the end of the session;
the decoder holds at most one message of the limit. A normal run tries a few thousand inputs;
``FUZZ_EXAMPLES=N`` tries N per test (tests/support/fuzz.py).
"""

import itertools
import random
import string

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import (
    FrameDecoder,
    Framing,
    MessageTooBig,
    encode,
    encode_chunked,
)
from smartupgrade_server.netconf.session import (
    Event,
    HelloReceived,
    ProtocolViolation,
    RpcRejected,
    RpcRequest,
    ServerSession,
    SessionClosed,
)
from smartupgrade_server.netconf.xml_parser import DOCTYPE_REFUSED
from tests.support.fuzz import VALID, fuzz_settings, mutated
from tests.support.hostile_xml import NC, RPC_BODY

LIMIT = 4096
HELD = LIMIT + len(b"\n#4294967295\n")
# what the session layer itself answers (handlers' errors come later, from the dispatcher)
SESSION_TAGS = {
    "malformed-message",
    "operation-failed",  # malformed-message as a base:1.0 client is told it (RFC 6241 App. A)
    "too-big",
    "unknown-element",
    "missing-attribute",
    "missing-element",
}
NS = f"{{{BASE_NS}}}"
STRICT = etree.XMLParser(resolve_entities=False, no_network=True)


def session(framing: Framing) -> ServerSession:
    server = ServerSession(1, max_message_size=LIMIT)
    capability = BASE_1_1 if framing is Framing.CHUNKED else BASE_1_0
    hello = f'<hello xmlns="{NC}"><capabilities><capability>{capability}</capability>'
    (event,) = server.receive_data(
        encode(f"{hello}</capabilities></hello>".encode(), Framing.END_OF_MESSAGE)
    )
    assert isinstance(event, HelloReceived)
    return server


def split(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def reply_of(event: RpcRejected, framing: Framing) -> etree._Element:
    decoder = FrameDecoder()
    if framing is Framing.CHUNKED:
        decoder.switch_to_chunked()
    (message,) = decoder.feed(event.reply)
    assert isinstance(message, bytes)
    return etree.fromstring(message, STRICT)


def run(server: ServerSession, pieces: list[bytes]) -> list[Event]:
    """Feed ``pieces`` one by one and check every invariant on the way."""
    events: list[Event] = []
    for piece in pieces:
        new = server.receive_data(piece)
        assert server._decoder.buffered <= HELD
        for event in new:
            assert isinstance(
                event, HelloReceived | RpcRequest | RpcRejected | ProtocolViolation | SessionClosed
            )
            if isinstance(event, RpcRejected):
                reply = reply_of(event, server.framing)
                assert reply.tag == f"{NS}rpc-reply"
                assert reply.findtext(f"{NS}rpc-error/{NS}error-tag") in SESSION_TAGS
            if isinstance(event, RpcRequest):
                assert event.rpc.get("message-id") == event.message_id
        events.extend(new)
        if not server.is_open:
            assert not server.receive_data(b"<rpc/>]]>]]>\n#1\nx\n##\n")
            break
    return events


framings = st.sampled_from([Framing.END_OF_MESSAGE, Framing.CHUNKED])
points = st.lists(st.integers(min_value=0, max_value=1 << 16), max_size=12)


@fuzz_settings(600)
@given(framings, st.binary(max_size=2000), points)
def test_random_bytes(framing: Framing, data: bytes, cuts: list[int]) -> None:
    run(session(framing), split(data, cuts))


@fuzz_settings(400)
@given(
    framings,
    st.lists(st.sampled_from(VALID), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=12)), max_size=3),
    points,
)
def test_valid_messages_with_random_garbage(
    framing: Framing, messages: list[bytes], garbage: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    stream = bytearray(b"".join(encode(message, framing) for message in messages))
    for position, junk in garbage:
        stream[position % (len(stream) + 1) : position % (len(stream) + 1)] = junk
    events = run(session(framing), split(bytes(stream), cuts))
    if not garbage:
        assert [e.message_id for e in events if isinstance(e, RpcRequest)] == [
            etree.fromstring(m).get("message-id") for m in messages
        ]


@fuzz_settings(300)
@given(
    st.integers(min_value=1, max_value=4294967295),
    st.integers(min_value=0, max_value=3 * LIMIT),
    points,
)
def test_huge_chunk_headers(size: int, sent: int, cuts: list[int]) -> None:
    server = session(Framing.CHUNKED)
    stream = b"\n#%d\n" % size + b"x" * min(size, sent)
    if sent >= size:
        stream += b"\n##\n" + encode_chunked(VALID[0])
    events = run(server, split(stream, cuts))
    if sent >= size:
        *first, last = events
        assert isinstance(last, RpcRequest)
        if size > LIMIT:
            (too_big,) = first
            assert isinstance(too_big, RpcRejected)
            assert too_big.error.tag == "too-big"


_names = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_letters + "_"),
    st.text(string.ascii_letters + string.digits + "_.-", max_size=8),
).filter(lambda name: not name.lower().startswith("xml"))
# XML's special characters, whitespace that attribute normalisation would change, non-ASCII
_text = st.text(st.sampled_from(list("ab <>&\"'\t\n\r\x7f\u00e9\u20ac\U0001f600]")), max_size=20)
_namespaces = st.sampled_from([None, BASE_NS, "urn:x", "urn:y:" + "z" * 40, "http://e.com/a?b"])


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    namespace = draw(_namespaces)
    name = draw(_names)
    element = etree.Element(f"{{{namespace}}}{name}" if namespace else name)
    for attribute in draw(st.lists(_names, max_size=4, unique=True)):
        element.set(attribute, draw(_text))
    element.text = draw(_text)
    if depth < 3:
        for child in draw(st.lists(_element(depth + 1), max_size=3)):
            element.append(child)
    return element


@fuzz_settings(500)
@given(framings, st.lists(_element(), max_size=3), _names, _text, points)
def test_random_well_formed_documents(
    framing: Framing,
    operations: list[etree._Element],
    attribute: str,
    value: str,
    cuts: list[int],
) -> None:
    rpc = etree.Element(f"{NS}rpc", nsmap={None: BASE_NS})  # type: ignore[dict-item]
    rpc.set("message-id", value)
    rpc.set(attribute, value)
    rpc.extend(operations)
    message = etree.tostring(rpc)
    events = run(session(framing), split(encode(message, framing), cuts))
    if len(message) <= LIMIT:
        (event,) = events
        if isinstance(event, RpcRejected):
            reply = reply_of(event, framing)
            assert reply.get("message-id") == value
        else:
            assert isinstance(event, RpcRequest)
            assert event.attributes == {"message-id": value, attribute: value}


@fuzz_settings(800)
@given(framings, st.integers(min_value=0))
def test_mutated_messages(framing: Framing, seed: int) -> None:
    message = mutated(random.Random(seed))
    if message:
        run(session(framing), [encode(message, framing)])


_misc = st.lists(
    st.sampled_from([" ", "\n", "\t", "<!-- c -->", "<?pi x?>", "<!-- <!DOCTYPE -->"]), max_size=3
)
_uri = st.sampled_from(
    ["/etc/passwd", "/dev/stdin", "file:///etc/hostname", "http://127.0.0.1:1/", "x", ""]
)


@st.composite
def _doctype(draw: st.DrawFn) -> str:
    name = draw(_names)
    external = draw(
        st.sampled_from(["", ' SYSTEM "{0}"', ' PUBLIC "-//x//y" "{0}"', " SYSTEM '{0}'"])
    ).format(draw(_uri))
    declarations: list[str] = draw(
        st.lists(
            st.sampled_from(
                [
                    '<!ENTITY e SYSTEM "{0}">',
                    '<!ENTITY % p SYSTEM "{0}"> %p;',
                    '<!ENTITY x "{0}">',
                    "<!ELEMENT rpc ANY>",
                    '<!ATTLIST rpc message-id CDATA "{0}">',
                ]
            ).map(lambda declaration: declaration.format("/etc/passwd")),
            max_size=3,
        )
    )
    empty_subset: bool = draw(st.booleans())
    subset = f" [{''.join(declarations)}]" if declarations or empty_subset else ""
    return f"<!DOCTYPE {name}{external}{subset}>"


@fuzz_settings(500)
@given(framings, st.tuples(st.booleans(), st.booleans()), _misc, _doctype(), _misc)
def test_every_doctype_gets_the_doctype_error(
    framing: Framing, starts: tuple[bool, bool], before: list[str], doctype: str, after: list[str]
) -> None:
    bom, declaration = starts
    prolog = ('<?xml version="1.0" encoding="UTF-8"?>' if declaration else "") + "".join(before)
    message = (b"\xef\xbb\xbf" if bom else b"") + (
        prolog + doctype + "".join(after) + RPC_BODY
    ).encode()
    (event,) = run(session(framing), [encode(message, framing)])
    assert isinstance(event, RpcRejected)
    assert event.error.message == DOCTYPE_REFUSED


def test_a_message_too_big_for_the_fuzz_limit_is_dropped_not_held() -> None:
    events = run(session(Framing.CHUNKED), [b"\n#%d\n" % (LIMIT + 1), b"x" * (LIMIT + 1)])
    assert events == []
    decoder = FrameDecoder(LIMIT)
    assert decoder.feed(b"x" * (LIMIT + 1) + b"]]>]]>") == [MessageTooBig(LIMIT + 1, LIMIT)]
