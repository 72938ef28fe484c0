"""RFC 6242 message framing: end-of-message (base:1.0) and chunked (base:1.1).

The decoder returns messages, :class:`MessageTooBig` for a message beyond ``max_message_size``,
or raises :class:`FramingError`: once that is raised the framing is lost and the session must
be closed. It holds at most ``max_message_size`` bytes of one message plus a chunk header: the
bytes of a message found too big are dropped as they arrive (its end is still found, so the
session goes on with the next message), and a chunk header that announces more than the limit
is acted on before its data arrives.
"""

from dataclasses import dataclass
from enum import Enum

END_OF_MESSAGE = b"]]>]]>"
MAX_CHUNK_SIZE = 4294967295
# A switch's messages are small (the largest: an edit of SSL policies with their CA
# certificates, a few KB each). Parsing a message of dense markup takes libxml2 about 50 ns a
# byte and 40 bytes of memory a byte on this project's machines, so 1 MiB bounds one message to
# ~50 ms on the event loop and ~40 MB (docs/server.md, Limits).
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024
_MAX_SIZE_DIGITS = len(str(MAX_CHUNK_SIZE))
_WHITESPACE = b" \t\r\n"
_DIGITS = b"0123456789"


class FramingError(Exception):
    """The byte stream does not follow the negotiated framing; the session cannot continue."""


@dataclass(frozen=True)
class MessageTooBig:
    """A whole message of ``size`` bytes (at least) arrived and was dropped unread."""

    size: int
    limit: int


class Framing(Enum):
    END_OF_MESSAGE = "end-of-message"
    CHUNKED = "chunked"


class FrameDecoder:
    """Splits a byte stream into NETCONF messages.

    Leading whitespace before a message is dropped in both framings (scrapli-netconf sends
    ``\\n<?xml…`` and trailing newlines, and an XML declaration must come first).
    """

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        if max_message_size < 1:
            raise ValueError("max_message_size must be positive")
        self.max_message_size = max_message_size
        self.framing = Framing.END_OF_MESSAGE
        self._buffer = bytearray()
        # end-of-message: how far the buffer has been searched for the delimiter
        self._scanned = 0
        # bytes of the current message dropped because it is too big (0: not dropping)
        self._dropped = 0
        # chunked: the chunks of the current message, its size so far and the bytes still due
        # in the current chunk
        self._chunks: list[bytes] = []
        self._message_size = 0
        self._chunk_remaining = 0

    def switch_to_chunked(self) -> None:
        """Use chunked framing from the next message on (after a base:1.1 hello exchange)."""
        self.framing = Framing.CHUNKED
        self._scanned = 0

    @property
    def at_message_boundary(self) -> bool:
        """True when no part of a message has been received (so an EOF here is clean)."""
        return not self._buffer and not self._message_size and not self._dropped

    @property
    def buffered(self) -> int:
        """Bytes held: at most ``max_message_size`` plus a chunk header once messages are taken
        out."""
        return len(self._buffer) + sum(len(chunk) for chunk in self._chunks)

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the peer; :meth:`next_message` takes messages out."""
        self._buffer += data

    def feed(self, data: bytes) -> list[bytes | MessageTooBig]:
        """Add bytes and return every message they complete."""
        self.receive_data(data)
        messages = []
        while (message := self.next_message()) is not None:
            messages.append(message)
        return messages

    def next_message(self) -> bytes | MessageTooBig | None:
        """The next complete message, or None until more data arrives.

        Taking one message at a time lets the caller switch framing right after the hello.
        """
        if self.framing is Framing.END_OF_MESSAGE:
            return self._next_end_of_message()
        return self._next_chunked()

    def _skip_leading_whitespace(self) -> None:
        start = 0
        while start < len(self._buffer) and self._buffer[start] in _WHITESPACE:
            start += 1
        if start:
            del self._buffer[:start]

    def _next_end_of_message(self) -> bytes | MessageTooBig | None:
        if self._scanned == 0 and not self._dropped:
            self._skip_leading_whitespace()
        # a delimiter may straddle the previous search's end
        start = max(0, self._scanned - len(END_OF_MESSAGE) + 1)
        end = self._buffer.find(END_OF_MESSAGE, start)
        if end < 0:
            # a message within the limit would have shown its delimiter by now
            if self._dropped or len(self._buffer) > self.max_message_size + len(END_OF_MESSAGE) - 1:
                # too big: keep only what may be the start of the delimiter
                excess = max(0, len(self._buffer) - len(END_OF_MESSAGE) + 1)
                self._dropped += excess
                del self._buffer[:excess]
            self._scanned = len(self._buffer)
            return None
        size = self._dropped + end
        message = bytes(self._buffer[:end]) if size <= self.max_message_size else None
        del self._buffer[: end + len(END_OF_MESSAGE)]
        self._scanned = 0
        self._dropped = 0
        return message if message is not None else MessageTooBig(size, self.max_message_size)

    def _next_chunked(self) -> bytes | MessageTooBig | None:
        while True:
            if self._chunk_remaining:
                if not self._buffer:
                    return None
                piece = bytes(self._buffer[: self._chunk_remaining])
                del self._buffer[: len(piece)]
                if not self._dropped:
                    self._chunks.append(piece)
                self._chunk_remaining -= len(piece)
                continue
            header = self._read_chunk_header()
            if header is None:
                return None
            if header == 0:
                size, dropped = self._message_size, self._dropped
                message = b"".join(self._chunks)
                self._chunks = []
                self._message_size = 0
                self._dropped = 0
                if dropped:
                    return MessageTooBig(size, self.max_message_size)
                return message
            self._message_size += header
            if self._message_size > self.max_message_size:
                self._dropped = self._message_size
                self._chunks = []
            self._chunk_remaining = header

    def _read_chunk_header(self) -> int | None:
        """Consume ``\\n#<size>\\n`` (returns size) or ``\\n##\\n`` (returns 0); None if
        partial."""
        if not self._message_size:
            # Between messages, tolerate any whitespace (including none) before the '#'.
            self._skip_leading_whitespace()
            if not self._buffer:
                return None
            if self._buffer[0] != ord("#"):
                raise FramingError(f"expected a chunk header, got {bytes(self._buffer[:16])!r}")
            position = 1
        else:
            for position, expected in enumerate(b"\n#"):
                if len(self._buffer) <= position:
                    return None
                if self._buffer[position] != expected:
                    raise FramingError(
                        f"expected a chunk header or end of chunks, "
                        f"got {bytes(self._buffer[:16])!r}"
                    )
            position = 2
        if len(self._buffer) <= position:
            return None
        if self._buffer[position] == ord("#"):
            if not self._message_size:
                raise FramingError("end of chunks before any chunk")
            if len(self._buffer) <= position + 1:
                return None
            if self._buffer[position + 1] != ord("\n"):
                raise FramingError("end-of-chunks marker not followed by a newline")
            del self._buffer[: position + 2]
            return 0
        digits_start = position
        while position < len(self._buffer) and self._buffer[position] in _DIGITS:
            position += 1
            if position - digits_start > _MAX_SIZE_DIGITS:
                raise FramingError("chunk size has too many digits")
        if position == len(self._buffer):
            return None
        digits = bytes(self._buffer[digits_start:position])
        if not digits or digits[0] == ord("0") or self._buffer[position] != ord("\n"):
            raise FramingError(f"malformed chunk header {bytes(self._buffer[: position + 1])!r}")
        size = int(digits)
        if size > MAX_CHUNK_SIZE:
            raise FramingError(f"chunk size {size} exceeds {MAX_CHUNK_SIZE}")
        del self._buffer[: position + 1]
        return size


def encode_end_of_message(message: bytes) -> bytes:
    return message + END_OF_MESSAGE


def encode_chunked(message: bytes, max_chunk_size: int = 1024 * 1024) -> bytes:
    if not message:
        raise ValueError("a chunked message has at least one chunk of at least one byte")
    if not 1 <= max_chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"max_chunk_size must be within 1..{MAX_CHUNK_SIZE}")
    parts = []
    for start in range(0, len(message), max_chunk_size):
        chunk = message[start : start + max_chunk_size]
        parts.append(b"\n#%d\n" % len(chunk))
        parts.append(chunk)
    parts.append(b"\n##\n")
    return b"".join(parts)


def encode(message: bytes, framing: Framing) -> bytes:
    if framing is Framing.CHUNKED:
        return encode_chunked(message)
    return encode_end_of_message(message)
