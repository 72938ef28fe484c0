"""Untrusted XML: no DOCTYPE, no entities, no file or URL opened, UTF-8 only, bounded."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.framing import FrameDecoder, FramingError, MessageTooBig
from smartupgrade_server.netconf.xml_parser import (
    DOCTYPE_REFUSED,
    MAX_ATTRIBUTES,
    MAX_NAMESPACE_DECLARATIONS,
    parse_message,
)
from tests.support.hostile_xml import HARMLESS, REFUSED_DOCTYPE, REFUSED_ENCODING


def refusal(data: bytes) -> RpcError:
    with pytest.raises(RpcError) as caught:
        parse_message(data)
    return caught.value


@pytest.mark.parametrize("name", sorted(REFUSED_DOCTYPE))
def test_every_doctype_gets_one_identical_error(name: str) -> None:
    error = refusal(REFUSED_DOCTYPE[name])
    assert (error.tag, error.message) == (ErrorTag.MALFORMED_MESSAGE, DOCTYPE_REFUSED)


@pytest.mark.parametrize("name", sorted(REFUSED_ENCODING))
def test_anything_but_utf8_is_malformed(name: str) -> None:
    error = refusal(REFUSED_ENCODING[name])
    assert error.tag is ErrorTag.MALFORMED_MESSAGE
    assert error.message != DOCTYPE_REFUSED
    assert "UTF-8" in (error.message or "")


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_features_that_fetch_elsewhere_are_plain_xml_here(name: str) -> None:
    root = parse_message(HARMLESS[name])
    assert root.get("message-id") == "1"


@pytest.mark.parametrize(
    "data",
    [
        b"<a>&undefined;</a>",
        b"",
        b"   ",
        b"<a>",
        b"<a></b>",
        b"\x00\xff garbage",
        b"<a/><b/>",
        b"text<a/>",
        b"<!-- unterminated <a/>",
        b"<!doctype a><a/>",
        b'<?xml version="1.0" encoding="UTF-8"<a/>',
        b"<a>\xff</a>",
        b"<a>&#0;</a>",
    ],
)
def test_not_well_formed_is_malformed_message(data: bytes) -> None:
    assert refusal(data).tag is ErrorTag.MALFORMED_MESSAGE


def test_predefined_and_character_entities_are_plain_xml() -> None:
    root = parse_message(b"<a>&lt;&amp;&#65;</a>")
    assert root.text == "<&A"


def test_comments_and_processing_instructions_are_dropped() -> None:
    root = parse_message(b'<?xml version="1.0"?><a><!-- c --><?pi x?><b/></a>')
    assert [child.tag for child in root] == ["b"]


def test_attributes_up_to_the_limit_are_accepted_one_more_is_too_big() -> None:
    def element(count: int) -> bytes:
        return b"<a><b " + b" ".join(b'x%d="="' % i for i in range(count)) + b"/></a>"

    assert len(parse_message(element(MAX_ATTRIBUTES))[0].attrib) == MAX_ATTRIBUTES
    error = refusal(element(MAX_ATTRIBUTES + 1))
    assert error.tag is ErrorTag.TOO_BIG
    assert error.error_type == "rpc"
    assert error.message == f"an element has more than {MAX_ATTRIBUTES} attributes"


def test_namespace_declarations_up_to_the_limit_are_accepted_one_more_is_too_big() -> None:
    def message(count: int) -> bytes:
        return b"<a" + b"".join(b' xmlns:p%d="urn:p"' % i for i in range(count)) + b"/>"

    assert parse_message(message(MAX_NAMESPACE_DECLARATIONS)) is not None
    error = refusal(message(MAX_NAMESPACE_DECLARATIONS + 1))
    assert (error.tag, error.error_type) == (ErrorTag.TOO_BIG, "rpc")
    assert error.message == f"more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations"


@pytest.mark.parametrize(
    "data",
    [
        b"<a>" * 257 + b"</a>" * 257,  # libxml2's depth limit is 256 without huge_tree
        b"<" + b"n" * 50_001 + b"/>",  # and a name of at most 50,000 characters
    ],
)
def test_beyond_libxml2s_limits_is_too_big(data: bytes) -> None:
    error = refusal(data)
    assert error.tag is ErrorTag.TOO_BIG
    assert (error.message or "").startswith("beyond the XML parser's limits")


def test_libxml2s_depth_limit_itself_is_accepted() -> None:
    assert parse_message(b"<a>" * 256 + b"</a>" * 256) is not None


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
        if isinstance(message, MessageTooBig):
            continue
        try:
            parse_message(message)
        except RpcError as error:
            assert error.tag in (ErrorTag.MALFORMED_MESSAGE, ErrorTag.TOO_BIG)
