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
    MessageTooBig,
    encode_chunked,
    encode_end_of_message,
)


def split_at(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def feed_all(decoder: FrameDecoder, pieces: list[bytes]) -> list[bytes | MessageTooBig]:
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


LIMIT = 64
# held at most: one message within the limit, and a chunk header or a partial delimiter
HELD = LIMIT + len(b"\n#4294967295\n")


def feed_bounded(decoder: FrameDecoder, pieces: list[bytes]) -> list[bytes | MessageTooBig]:
    messages = []
    for piece in pieces:
        messages.extend(decoder.feed(piece))
        assert decoder.buffered <= HELD
    return messages


@given(st.lists(st.integers(min_value=1, max_value=3 * LIMIT), max_size=6), split_points)
def test_end_of_message_too_big_ones_are_dropped_and_the_rest_kept(
    sizes: list[int], points: list[int]
) -> None:
    messages = [b"%d" % i + b"x" * (size - len(b"%d" % i)) for i, size in enumerate(sizes)]
    stream = b"".join(encode_end_of_message(m) for m in messages)
    expected = [m if len(m) <= LIMIT else MessageTooBig(len(m), LIMIT) for m in messages]
    decoder = FrameDecoder(LIMIT)
    assert feed_bounded(decoder, split_at(stream, points)) == expected
    assert decoder.at_message_boundary


@given(
    st.lists(st.integers(min_value=1, max_value=3 * LIMIT), max_size=6),
    st.integers(min_value=1, max_value=2 * LIMIT),
    split_points,
)
def test_chunked_too_big_ones_are_dropped_and_the_rest_kept(
    sizes: list[int], chunk_size: int, points: list[int]
) -> None:
    messages = [bytes([65 + i % 26]) * size for i, size in enumerate(sizes)]
    stream = b"".join(encode_chunked(m, max_chunk_size=chunk_size) for m in messages)
    expected = [m if len(m) <= LIMIT else MessageTooBig(len(m), LIMIT) for m in messages]
    decoder = chunked_decoder(LIMIT)
    assert feed_bounded(decoder, split_at(stream, points)) == expected
    assert decoder.at_message_boundary


@given(st.binary(max_size=400), split_points, st.booleans())
def test_random_bytes_give_messages_or_framing_error(
    data: bytes, points: list[int], chunked: bool
) -> None:
    decoder = chunked_decoder(LIMIT) if chunked else FrameDecoder(LIMIT)
    try:
        messages = feed_bounded(decoder, split_at(data, points))
    except FramingError:
        return
    assert all(
        (isinstance(m, MessageTooBig) and m.size > LIMIT)
        or (isinstance(m, bytes) and len(m) <= LIMIT)
        for m in messages
    )


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


def test_a_chunk_beyond_the_maximum_message_size_is_dropped_as_it_arrives() -> None:
    decoder = chunked_decoder(max_message_size=100)
    decoder.feed(b"\n#60\n" + b"a" * 60)
    # announced past the limit: the chunks already held are let go at once
    assert decoder.feed(b"\n#41\n" + b"b" * 20) == []
    assert decoder.buffered == 0
    assert decoder.feed(b"b" * 21 + b"\n#7\nccccccc\n##\n#4\n<a/>\n##\n") == [
        MessageTooBig(108, 100),
        b"<a/>",
    ]


def test_the_largest_chunk_header_is_dropped_without_buffering() -> None:
    decoder = chunked_decoder(max_message_size=100)
    assert decoder.feed(b"\n#4294967295\n" + b"x" * 10_000) == []
    assert decoder.buffered == 0
    assert not decoder.at_message_boundary


def test_end_of_message_without_delimiter_is_dropped_with_bounded_memory() -> None:
    decoder = FrameDecoder(max_message_size=100)
    assert decoder.feed(b"a" * 105) == []
    assert decoder.buffered == 105
    for _ in range(100):
        assert decoder.feed(b"a" * 1000) == []
        assert decoder.buffered < len(END_OF_MESSAGE)
    assert decoder.feed(b"]]>]]><b/>]]>]]>") == [MessageTooBig(100_105, 100), b"<b/>"]
    assert decoder.at_message_boundary


def test_end_of_message_of_exactly_the_maximum_size_is_accepted() -> None:
    decoder = FrameDecoder(max_message_size=100)
    assert decoder.feed(b"a" * 100 + END_OF_MESSAGE) == [b"a" * 100]
    assert decoder.feed(b"a" * 101 + END_OF_MESSAGE) == [MessageTooBig(101, 100)]


def test_a_delimiter_split_at_the_maximum_size_still_ends_the_message() -> None:
    for i in range(len(END_OF_MESSAGE)):
        decoder = FrameDecoder(max_message_size=100)
        assert decoder.feed(b"a" * 100 + END_OF_MESSAGE[:i]) == []
        assert decoder.feed(END_OF_MESSAGE[i:]) == [b"a" * 100]


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
