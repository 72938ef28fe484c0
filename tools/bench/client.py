"""A minimal NETCONF client for the benchmark, over SSH or TLS, the same code for every server
measured.

paramiko, one blocking session per thread: ncclient's transport, and several times cheaper per
connection in client CPU than an asyncssh client here (about 4.7 vs 8.9 ms), which would
otherwise blur a server's session setup. Independent of the server's own framing code and
strictly request/response. Like ncclient, it sends its hello as soon as the channel is open and
its first rpc only after the server's hello has arrived: yuma123 netconfd holds an rpc that
arrives in the same read as the client's hello until more input comes.
"""

import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import paramiko
from lxml import etree

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
BASE_1_0 = "urn:ietf:params:netconf:base:1.0"
BASE_1_1 = "urn:ietf:params:netconf:base:1.1"
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
END_OF_MESSAGE = b"]]>]]>"
# Pinned so that every server does the same key exchange and host key signature: paramiko would
# otherwise negotiate ML-KEM with our server but curve25519 with OpenSSH 9.2.
KEX_ALGS = ("curve25519-sha256@libssh.org",)
HOST_KEY_ALGS = ("ssh-ed25519",)
_READ_SIZE = 65536
_CHUNK_HEADER = re.compile(rb"\n#([1-9][0-9]{0,9})\n")
_END_OF_CHUNKS = b"\n##\n"
_CLIENT_HELLO = (
    f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{BASE_NS}"><capabilities>'
    f"<capability>{BASE_1_0}</capability><capability>{BASE_1_1}</capability>"
    "</capabilities></hello>"
).encode()
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class NetconfClientError(Exception):
    """The server answered with an rpc-error, broke the framing or closed the session."""


@dataclass(frozen=True)
class Target:
    """Where a NETCONF server listens and how to log in to it."""

    name: str
    host: str
    port: int
    username: str
    client_key: Path
    # NETCONF over TLS, when the server serves it: its port and the certificate to pin
    tls_port: int | None = None
    tls_certificate: Path | None = None


class _Channel(Protocol):
    """What a session reads and writes: an SSH channel or a TLS socket."""

    def sendall(self, data: bytes, /) -> object: ...

    def recv(self, size: int, /) -> bytes: ...

    def gettimeout(self) -> float | None: ...


class NetconfClient:
    """One NETCONF session; ``with NetconfClient.connect(...)`` closes it."""

    def __init__(self, close: Callable[[], None], channel: _Channel) -> None:
        self._close = close
        self._channel = channel
        self._buffer = bytearray()
        self._chunked = False
        self._message_id = 100
        self.server_capabilities: frozenset[str] = frozenset()

    @classmethod
    def connect(cls, target: Target, key: paramiko.PKey, timeout: float) -> "NetconfClient":
        """SSH connection, ``netconf`` subsystem and the hello exchange, each within ``timeout``."""
        sock = socket.create_connection((target.host, target.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = transport.handshake_timeout = timeout
            transport.auth_timeout = timeout
            options = transport.get_security_options()
            options.kex = KEX_ALGS
            options.key_types = HOST_KEY_ALGS
            transport.start_client(timeout=timeout)
            transport.auth_publickey(target.username, key)
            channel = transport.open_session(timeout=timeout)
            channel.settimeout(timeout)
            channel.invoke_subsystem("netconf")
            client = cls(transport.close, channel)
            client._exchange_hellos()
        except BaseException:
            transport.close()
            raise
        return client

    @classmethod
    def connect_tls(
        cls, host: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> "NetconfClient":
        """TLS connection (RFC 7589) and the hello exchange, each within ``timeout``."""
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        try:
            client = cls(tls.close, tls)
            client._exchange_hellos()
        except BaseException:
            tls.close()
            raise
        return client

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()

    def _exchange_hellos(self) -> None:
        self._channel.sendall(_CLIENT_HELLO + END_OF_MESSAGE)
        hello = etree.fromstring(self._read_message(), _PARSER)
        self.server_capabilities = frozenset(
            (element.text or "").strip()
            for element in hello.iter(f"{{{BASE_NS}}}capability", "capability")
        )
        self._chunked = BASE_1_1 in self.server_capabilities

    def rpc(self, operation: str) -> etree._Element:
        """Send one ``<rpc>`` around ``operation`` (XML text) and return its reply."""
        self._message_id += 1
        message = (
            f'<rpc xmlns="{BASE_NS}" message-id="{self._message_id}">{operation}</rpc>'
        ).encode()
        if self._chunked:
            self._channel.sendall(b"\n#%d\n%s\n##\n" % (len(message), message))
        else:
            self._channel.sendall(message + END_OF_MESSAGE)
        reply = etree.fromstring(self._read_message(), _PARSER)
        error = reply.find(f"{{{BASE_NS}}}rpc-error")
        if error is not None:
            raise NetconfClientError(etree.tostring(error, encoding="unicode"))
        return reply

    def abort(self) -> None:
        """The connection closed without ``close-session`` (after a failure)."""
        self._close()

    def close(self) -> None:
        """``close-session``, then the connection."""
        try:
            self.rpc("<close-session/>")
        finally:
            self._close()

    def _read_message(self) -> bytes:
        while True:
            message = self._take_chunked() if self._chunked else self._take_end_of_message()
            if message is not None:
                return message
            try:
                data = self._channel.recv(_READ_SIZE)
            except TimeoutError:
                raise NetconfClientError(
                    f"no complete reply within {self._channel.gettimeout()} s"
                ) from None
            if not data:
                raise NetconfClientError("the server closed the session")
            self._buffer += data

    def _take_end_of_message(self) -> bytes | None:
        end = self._buffer.find(END_OF_MESSAGE)
        if end < 0:
            return None
        message = bytes(self._buffer[:end])
        del self._buffer[: end + len(END_OF_MESSAGE)]
        return message

    def _take_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        position = 0
        while True:
            if self._buffer.startswith(_END_OF_CHUNKS, position):
                if not chunks:
                    raise NetconfClientError("empty chunked message")
                del self._buffer[: position + len(_END_OF_CHUNKS)]
                return b"".join(chunks)
            header = _CHUNK_HEADER.match(self._buffer, position)
            if header is None:
                if len(self._buffer) - position >= 13 and not self._buffer.startswith(
                    b"\n#", position
                ):
                    raise NetconfClientError(f"bad chunk header: {self._buffer[:40]!r}")
                return None
            start = header.end()
            end = start + int(header.group(1))
            if end > len(self._buffer):
                return None
            chunks.append(bytes(self._buffer[start:end]))
            position = end
