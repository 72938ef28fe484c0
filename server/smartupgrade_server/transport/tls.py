"""NETCONF over TLS (RFC 7589): TLS 1.2 or later, mutual X.509 authentication, the client's
certificate mapped to a user by cert-to-name (cert_to_name.py), chunked framing only.

A connection is plain TCP until :meth:`NetconfTlsServer._upgrade` runs the TLS handshake as its
server with the context of the moment, so a changed trust (the datastore's
``/netconf-server/tls``) applies to the next connection, and a connection the switch opened
itself (RFC 8071 call home) is served exactly as one it accepted. Once the certificate is
verified and names a user of ``users.yaml``, the connection carries one NETCONF session
(netconf_session.py) with the same limits as one over SSH.
"""

from __future__ import annotations

import _ssl
import asyncio
import logging
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smartupgrade_server.netconf.registry import SessionTransport, TerminationReason
from smartupgrade_server.transport.cert_to_name import CertToName, describe, map_certificate
from smartupgrade_server.transport.certificates import DeviceCertificate
from smartupgrade_server.transport.logins import LoginGuard, LoginService
from smartupgrade_server.transport.netconf_session import (
    WRITE_HIGH_WATER,
    NetconfService,
    NetconfSession,
)

logger = logging.getLogger(__name__)

# IANA's port for NETCONF over TLS, and the files of the switch's certificate for it
NETCONF_TLS_PORT = 6513
TLS_CERT_FILE = "netconf-tls-cert.pem"
TLS_KEY_FILE = "netconf-tls-key.pem"
# ncclient reads TLS 4096 bytes at a time when its socket is readable: the rest of a longer
# record waits in the SSL buffer, unseen by select(), until more arrives (ncclient#651), so
# a reply or notification that ended in such a record would never reach it. Each write of
# at most this much is a record of its own.
TLS_RECORD_DATA = 4096
# OpenSSL's reasons for a handshake that failed on the client's certificate
_CERTIFICATE_REASONS = frozenset({"PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_VERIFY_FAILED"})


@dataclass(frozen=True)
class TlsClientAuthentication:
    """Whom the switch's TLS server admits: the certificates it trusts (CAs, or clients'
    self-signed certificates) and the cert-to-name rules that name the user."""

    trusted: tuple[x509.Certificate, ...] = ()
    rules: tuple[CertToName, ...] = ()

    def __add__(self, other: TlsClientAuthentication) -> TlsClientAuthentication:
        """Both: this one's rules first (a rule's id orders it within its own list only)."""
        offset = max((rule.id for rule in self.rules), default=0) + 1
        shifted = tuple(
            CertToName(offset + rule.id, rule.fingerprint, rule.map_type, rule.name)
            for rule in other.rules
        )
        return TlsClientAuthentication(
            tuple(dict.fromkeys((*self.trusted, *other.trusted))), (*self.rules, *shifted)
        )


def server_context(
    certificate: DeviceCertificate, authentication: TlsClientAuthentication
) -> ssl.SSLContext:
    """TLS 1.2 or later, a client certificate required and verified against the trusted ones
    (each a trust anchor, a CA's intermediate too). Blocking: reads the key file."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_cert_chain(certificate.cert_path, certificate.key_path)
    if authentication.trusted:
        context.load_verify_locations(
            cadata="".join(
                c.public_bytes(serialization.Encoding.PEM).decode("ascii")
                for c in authentication.trusted
            )
        )
    return context


def verified_chain(ssl_object: ssl.SSLObject) -> list[x509.Certificate]:
    """The client's certificate and the chain OpenSSL verified it with, up to a trust anchor."""
    public = getattr(ssl_object, "get_verified_chain", None)
    if public is not None:
        # Python 3.13: DER bytes
        ders: list[bytes] = list(public())
    else:
        # Python 3.10 to 3.12 have it, not yet public (bpo-18233)
        internal: Any = getattr(ssl_object, "_sslobj")  # noqa: B009
        ders = [c.public_bytes(_ssl.ENCODING_DER) for c in internal.get_verified_chain()]
    return [x509.load_der_x509_certificate(der) for der in ders]


class NetconfTlsServer:
    """The switch's NETCONF over TLS: a listener (:meth:`listen`) and the TLS server of its
    call-home connections (:meth:`serve_call_home`); the users and sessions are the SSH
    server's (one :class:`NetconfService` per switch)."""

    def __init__(
        self,
        logins: LoginGuard,
        service: NetconfService,
        certificate: DeviceCertificate,
        authentication: TlsClientAuthentication,
    ) -> None:
        self.logins = logins
        self.service = service
        self.certificate = certificate
        self.authentication = authentication
        self._context = server_context(certificate, authentication)
        self._listener: asyncio.Server | None = None
        self._handshakes: set[asyncio.Task[_TlsConnection | None]] = set()
        self._connections: set[_TlsConnection] = set()

    @classmethod
    async def start(
        cls,
        logins: LoginGuard,
        service: NetconfService,
        certificate: DeviceCertificate,
        authentication: TlsClientAuthentication,
    ) -> Self:
        return await asyncio.to_thread(cls, logins, service, certificate, authentication)

    async def listen(self, host: str, port: int) -> None:
        """Accept connections on ``host:port`` (0: any free port, see :attr:`port`)."""
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(lambda: _Accepted(self), host, port)

    @property
    def port(self) -> int | None:
        if self._listener is None:
            return None
        return int(self._listener.sockets[0].getsockname()[1])

    async def authenticate(self, authentication: TlsClientAuthentication) -> None:
        """Admit clients by ``authentication`` from the next handshake on; sessions already
        open stay."""
        if authentication != self.authentication:
            self._context = await asyncio.to_thread(
                server_context, self.certificate, authentication
            )
            self.authentication = authentication

    async def serve_call_home(
        self, sock: socket.socket, idle_timeout: float | None = None
    ) -> _TlsConnection | None:
        """Be the TLS server on a connection the switch opened to a NETCONF client (RFC 8071);
        None if the handshake failed or the client is refused (the connection is closed).
        ``idle_timeout`` drops a session that receives nothing for that long."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=sock)
        transport.pause_reading()
        return await self._upgrade(transport, call_home=True, idle_timeout=idle_timeout)

    def _accepted(self, transport: asyncio.Transport) -> None:
        task = asyncio.create_task(self._upgrade(transport, call_home=False))
        self._handshakes.add(task)
        task.add_done_callback(self._handshakes.discard)

    async def _upgrade(
        self,
        transport: asyncio.Transport,
        *,
        call_home: bool,
        idle_timeout: float | None = None,
    ) -> _TlsConnection | None:
        _no_delay(transport)
        peer = transport.get_extra_info("peername") or ("?", 0)
        connection = _TlsConnection(self, peer, call_home=call_home, idle_timeout=idle_timeout)
        loop = asyncio.get_running_loop()
        try:
            tls_transport = await loop.start_tls(
                transport,
                connection,
                self._context,
                server_side=True,
                ssl_handshake_timeout=self.service.hello_timeout,
            )
        except ssl.SSLError as error:
            if error.reason in _CERTIFICATE_REASONS:
                reason = getattr(error, "verify_message", None) or (
                    error.reason.lower().replace("_", " ")
                )
                self.logins.certificate_refused(LoginService.NETCONF, peer[0], reason)
            else:
                logger.info(
                    "TLS handshake with %s failed: %s", peer[0], error.reason or repr(error)
                )
            transport.close()
            return None
        except (OSError, TimeoutError) as error:
            logger.info("TLS handshake with %s failed: %r", peer[0], error)
            transport.close()
            return None
        assert tls_transport is not None
        connection.established(tls_transport)
        return connection if connection.session is not None else None

    async def close(self) -> None:
        """Stop listening and end every session and connection."""
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
            self._listener = None
        for task in list(self._handshakes):
            task.cancel()
        await asyncio.gather(*self._handshakes, return_exceptions=True)
        ending = list(self._connections)
        for connection in ending:
            connection.terminate()
            # the switch goes down: no close_notify exchange with a client that may not read
            connection.abort()
        for connection in ending:
            await connection.closed.wait()


class _Accepted(asyncio.Protocol):
    """A TCP connection accepted by the listener, until its TLS handshake starts."""

    def __init__(self, server: NetconfTlsServer) -> None:
        self._server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # the client's hello waits in the socket for the handshake (start_tls resumes reading)
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()
        self._server._accepted(transport)


class _TlsConnection(asyncio.Protocol):
    """One TLS connection after its handshake; the stream (netconf_session.SessionStream) of
    its NETCONF session."""

    def __init__(
        self,
        server: NetconfTlsServer,
        peer: Sequence[Any],
        *,
        call_home: bool,
        idle_timeout: float | None,
    ) -> None:
        self._server = server
        self._peer = (str(peer[0]), int(peer[1]))
        self._call_home = call_home
        self._idle_timeout = idle_timeout
        self._transport: asyncio.Transport | None = None
        self.session: NetconfSession | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._hello_timer: asyncio.TimerHandle | None = None
        # what the client sent with its last handshake message, before established()
        self._early: list[bytes] = []
        self._early_eof = False
        self.closed = asyncio.Event()

    def established(self, transport: asyncio.Transport) -> None:
        """The handshake succeeded: name the user, or close."""
        if self.closed.is_set():
            # the client left right after its handshake
            return
        self._transport = transport
        server = self._server
        server._connections.add(self)
        chain = verified_chain(transport.get_extra_info("ssl_object"))
        name = map_certificate(chain, server.authentication.rules)
        user = None if name is None else server.logins.users.get(name)
        if user is None:
            why = "maps to no user" if name is None else f"maps to {name!r}, not a user"
            reason = f"{describe(chain[0])} {why}" if chain else "no certificate"
            server.logins.certificate_refused(LoginService.NETCONF, self._peer[0], reason)
            # RFC 7589 §7: the server closes the connection and accepts no NETCONF message
            transport.close()
            return
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self._hello_timer = asyncio.get_running_loop().call_later(
            server.service.hello_timeout, self._hello_timed_out
        )
        self.session = server.service.open(
            self,
            username=user.name,
            level=user.level,
            peer=self._peer,
            transport=SessionTransport.NETCONF_TLS,
            call_home=self._call_home,
            idle_timeout=self._idle_timeout,
        )
        for data in self._early:
            self.session.data_received(data)
        if self._early_eof:
            self.session.eof_received()
        self._early.clear()

    def _hello_timed_out(self) -> None:
        self._hello_timer = None
        if self.session is not None:
            self.session.setup_timed_out()

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.data_received(data)
        elif self._transport is None:
            self._early.append(data)

    def eof_received(self) -> bool:
        if self.session is not None:
            self.session.eof_received()
        elif self._transport is None:
            self._early_eof = True
        # TLS has no half-close: asyncio ends the connection after close_notify
        return False

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.set_up()
        self._writable.set()
        self._server._connections.discard(self)
        if self.session is not None:
            self.session.connection_lost(exc)
        self.closed.set()

    # --- the session's stream --------------------------------------------------------------

    def write(self, data: bytes) -> None:
        assert self._transport is not None
        if len(data) <= TLS_RECORD_DATA:
            self._transport.write(data)
            return
        view = memoryview(data)
        self._transport.writelines(
            view[start : start + TLS_RECORD_DATA] for start in range(0, len(data), TLS_RECORD_DATA)
        )

    async def drained(self) -> None:
        await self._writable.wait()

    def pause_reading(self) -> None:
        assert self._transport is not None
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        assert self._transport is not None
        self._transport.resume_reading()

    def set_up(self) -> None:
        if self._hello_timer is not None:
            self._hello_timer.cancel()
            self._hello_timer = None

    def finish(self, *, failed: bool) -> None:
        # close_notify once what was written has gone out
        self.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def terminate(self) -> None:
        """End the session, if any, and the connection."""
        if self.session is not None:
            self.session.terminate()
        else:
            self.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # --- as a call-home connection (call_home.CalledHome) --------------------------------------

    async def wait_closed(self) -> None:
        await self.closed.wait()

    def ended_gracefully(self) -> bool:
        return (
            self.session is not None and self.session.termination.reason is TerminationReason.CLOSED
        )

    def hang_up(self) -> None:
        self.terminate()


def _no_delay(transport: asyncio.BaseTransport) -> None:
    # a hello followed at once by an rpc would otherwise wait ~40 ms for a delayed ACK
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
