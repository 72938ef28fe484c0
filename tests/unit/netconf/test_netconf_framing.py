"""RFC 6242 framing: both mechanisms, any split of the byte stream, bounded buffering."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartupgrade_server.netconf.framing import (
    END_OF_MESSAGE,
    FrameDecoder,
    Framing,
    FramingError,
    encode_chunked,
    encode_end_of_message,
)


def split_at(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def feed_all(decoder: FrameDecoder, pieces: list[bytes]) -> list[bytes]:
    messages = []
    for piece in pieces:
        messages.extend(decoder.feed(piece))
    return messages


def chunked_decoder(max_message_size: int = 1 << 20) -> FrameDecoder:
    decoder = FrameDecoder(max_message_size)
    decoder.switch_to_chunked()
    return decoder


# What end-of-message framing can carry unambiguously: the delimiter must first occur at the
# end, and leading whitespace is dropped by design (scrapli sends "\n<?xml").
eom_messages = st.binary(min_size=1, max_size=300).filter(
    lambda m: (m + END_OF_MESSAGE).find(END_OF_MESSAGE) == len(m) and m[:1] not in b" \t\r\n"
)
split_points = st.lists(st.integers(min_value=0, max_value=10_000), max_size=20)


@given(st.lists(eom_messages, max_size=5), split_points)
def test_end_of_message_any_split_gives_the_same_messages(
    messages: list[bytes], points: list[int]
) -> None:
    stream = b"".join(encode_end_of_message(m) for m in messages)
    assert feed_all(FrameDecoder(), split_at(stream, points)) == messages


@given(
    st.lists(st.binary(min_size=1, max_size=300), max_size=5),
    st.integers(min_value=1, max_value=64),
    split_points,
)
def test_chunked_any_split_and_chunk_size_gives_the_same_messages(
    messages: list[bytes], chunk_size: int, points: list[int]
) -> None:
    stream = b"".join(encode_chunked(m, max_chunk_size=chunk_size) for m in messages)
    decoder = chunked_decoder()
    assert feed_all(decoder, split_at(stream, points)) == messages
    assert decoder.at_message_boundary


@given(st.binary(max_size=400), split_points, st.booleans())
def test_random_bytes_give_messages_or_framing_error(
    data: bytes, points: list[int], chunked: bool
) -> None:
    decoder = chunked_decoder(256) if chunked else FrameDecoder(256)
    try:
        messages = feed_all(decoder, split_at(data, points))
    except FramingError:
        return
    assert all(isinstance(m, bytes) and len(m) <= 256 for m in messages)


def test_switch_to_chunked_between_messages_of_one_read() -> None:
    decoder = FrameDecoder()
    decoder.receive_data(b"<hello/>]]>]]>\n#5\n<rpc/\n#1\n>\n##\n")
    assert decoder.next_message() == b"<hello/>"
    decoder.switch_to_chunked()
    assert decoder.next_message() == b"<rpc/>"
    assert decoder.next_message() is None
    assert decoder.framing is Framing.CHUNKED


def test_leading_whitespace_is_dropped_in_both_framings() -> None:
    assert FrameDecoder().feed(b'\n\n<?xml version="1.0"?><a/>]]>]]>\n') == [
        b'<?xml version="1.0"?><a/>'
    ]
    assert chunked_decoder().feed(b"\n\n\n#4\n<a/>\n##\n\n\n#4\n<b/>\n##\n") == [
        b"<a/>",
        b"<b/>",
    ]


def test_chunk_header_is_parsed_byte_by_byte() -> None:
    decoder = chunked_decoder()
    stream = encode_chunked(b"<rpc/>", max_chunk_size=2)
    assert feed_all(decoder, [bytes([b]) for b in stream]) == [b"<rpc/>"]


@pytest.mark.parametrize(
    "stream",
    [
        b"\n#0\n",  # size zero
        b"\n#01\n<",  # leading zero
        b"\n#\n",  # no size
        b"\n#4294967296\n",  # one more than the RFC's maximum
        b"\n#99999999999",  # too many digits, rejected before the newline arrives
        b"\n#12x",  # not a digit
        b"\n#12 \n",  # trailing space
        b"\n##\n",  # end of chunks before any chunk
        b"\n#3\nabc\n#",  # a second header without its size or end marker...
        b"\n#3\nabcX",  # data past the announced size
        b"\n#3\nabc\n##X",  # end marker not followed by a newline
        b"<rpc/>",  # end-of-message data on a chunked session
    ],
)
def test_malformed_chunk_headers_raise(stream: bytes) -> None:
    decoder = chunked_decoder()
    with pytest.raises(FramingError):
        decoder.feed(stream)
        decoder.feed(b"\n\n")


def test_chunks_beyond_the_maximum_message_size_raise_before_the_data_arrives() -> None:
    decoder = chunked_decoder(max_message_size=100)
    decoder.feed(b"\n#60\n" + b"a" * 60)
    with pytest.raises(FramingError, match="larger than 100"):
        decoder.feed(b"\n#41\n")


def test_huge_chunk_header_raises_without_waiting_for_the_data() -> None:
    with pytest.raises(FramingError):
        chunked_decoder().feed(b"\n#4294967295\n")


def test_end_of_message_without_delimiter_is_bounded() -> None:
    decoder = FrameDecoder(max_message_size=100)
    assert decoder.feed(b"a" * 105) == []
    with pytest.raises(FramingError):
        decoder.feed(b"a")


def test_end_of_message_of_exactly_the_maximum_size_is_accepted() -> None:
    decoder = FrameDecoder(max_message_size=100)
    assert decoder.feed(b"a" * 100 + END_OF_MESSAGE) == [b"a" * 100]


def test_message_boundary_tracks_partial_messages() -> None:
    decoder = chunked_decoder()
    assert decoder.at_message_boundary
    decoder.feed(b"\n#10\nabc")
    assert not decoder.at_message_boundary
    decoder.feed(b"defghij\n##\n")
    assert decoder.at_message_boundary


def test_encoders() -> None:
    assert encode_end_of_message(b"<a/>") == b"<a/>]]>]]>"
    assert encode_chunked(b"<abc/>", max_chunk_size=4) == b"\n#4\n<abc\n#2\n/>\n##\n"
    with pytest.raises(ValueError):
        encode_chunked(b"")
