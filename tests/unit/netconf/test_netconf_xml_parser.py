"""Untrusted XML: no DTD, no entities, no network; every refusal is malformed-message."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.framing import FrameDecoder, FramingError
from smartupgrade_server.netconf.xml_parser import parse_message

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rpc message-id="&lol9;" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>&lol9;</get></rpc>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rpc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>&xxe;</get></rpc>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE rpc SYSTEM "http://127.0.0.1:1/evil.dtd">
<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rpc [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/x"> %remote;]>
<rpc message-id="1"/>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        XXE,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        b"<!DOCTYPE a><a/>",
        b"<a>&undefined;</a>",
        b"",
        b"<a>",
        b"<a></b>",
        b"\x00\xff garbage",
        b"<a/><b/>",
    ],
)
def test_refused_as_malformed_message(data: bytes) -> None:
    with pytest.raises(RpcError) as caught:
        parse_message(data)
    assert caught.value.tag is ErrorTag.MALFORMED_MESSAGE


def test_predefined_and_character_entities_are_plain_xml() -> None:
    root = parse_message(b"<a>&lt;&amp;&#65;</a>")
    assert root.text == "<&A"


def test_comments_and_processing_instructions_are_dropped() -> None:
    root = parse_message(b'<?xml version="1.0"?><a><!-- c --><?pi x?><b/></a>')
    assert [child.tag for child in root] == ["b"]


@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_parse_or_raise_only_the_protocols_errors(data: bytes, chunked: bool) -> None:
    decoder = FrameDecoder(512)
    if chunked:
        decoder.switch_to_chunked()
    try:
        messages = decoder.feed(data)
    except FramingError:
        return
    for message in messages:
        try:
            parse_message(message)
        except RpcError as error:
            assert error.tag is ErrorTag.MALFORMED_MESSAGE
