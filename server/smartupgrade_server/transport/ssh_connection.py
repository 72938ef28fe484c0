"""The SSH connection both listeners share: authentication against the users file, TCP_NODELAY,
tracking of open connections so that closing a listener can end them, and OpenSSH's limits.

- ``MAX_AUTH_TRIES`` failed attempts (passwords and refused keys) end a connection, as
  OpenSSH's MaxAuthTries does; a connection that has not authenticated within asyncssh's
  ``login_timeout`` (120 s, OpenSSH's LoginGraceTime) is closed by asyncssh;
- a connection has at most ``MAX_SESSIONS`` session channels open (OpenSSH's MaxSessions);
- a session channel that is not set up within its setup timeout is closed: the command line's
  once a shell or a command is asked for, NETCONF's once the client's hello has arrived.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

import asyncssh

from smartupgrade_server.transport.logins import LoginGuard, LoginService

# OpenSSH's defaults (sshd_config(5))
MAX_AUTH_TRIES = 6
MAX_SESSIONS = 10
# what libnetconf2 waits for a client's hello (NC_SERVER_HELLO_TIMEOUT, src/session.c)
SETUP_TIMEOUT = 60.0


class SessionChannel(asyncssh.SSHServerSession[bytes]):
    """A session channel of an :class:`AuthenticatedConnection`: counted against
    ``MAX_SESSIONS`` while open, and closed if :meth:`set_up` is not called within
    ``setup_timeout`` seconds of its opening. Whoever writes to it awaits :meth:`drained`, so
    that a client that does not read holds at most ``write_high_water`` bytes of output."""

    def __init__(
        self,
        connection: asyncssh.SSHServerConnection,
        setup_timeout: float,
        write_high_water: int,
    ) -> None:
        self._connection = connection
        self._channel: asyncssh.SSHServerChannel[bytes] | None = None
        self.is_open = True
        self._setup_timeout = setup_timeout
        self._setup_timer: asyncio.TimerHandle | None = None
        self._write_high_water = write_high_water
        self._writable = asyncio.Event()
        self._writable.set()

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self._channel = chan
        chan.set_write_buffer_limits(high=self._write_high_water)
        self._setup_timer = asyncio.get_running_loop().call_later(
            self._setup_timeout, self.setup_timed_out
        )

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def drained(self) -> None:
        """Until the output the client has not taken yet is below the high-water mark."""
        await self._writable.wait()

    def set_up(self) -> None:
        """The channel is in use: it no longer times out."""
        if self._setup_timer is not None:
            self._setup_timer.cancel()
            self._setup_timer = None

    def setup_timed_out(self) -> None:
        self._setup_timer = None
        if self._channel is not None:
            self._channel.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_open = False
        self.set_up()


ChannelT = TypeVar("ChannelT", bound=SessionChannel)


class AuthenticatedConnection(asyncssh.SSHServer, Generic[ChannelT]):
    """One SSH connection; each session request gets the channel ``open_channel`` makes."""

    def __init__(
        self,
        logins: LoginGuard,
        service: LoginService,
        connections: set[asyncssh.SSHServerConnection],
        open_channel: Callable[[asyncssh.SSHServerConnection], ChannelT],
    ) -> None:
        self._logins = logins
        self._service = service
        self._connections = connections
        self._open_channel = open_channel
        self._connection: asyncssh.SSHServerConnection | None = None
        self._source = "?"
        self._failures = 0
        self._channels: list[ChannelT] = []

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        self._connections.add(conn)
        self._source = str(conn.get_extra_info("peername", ("?",))[0])
        sock = conn.get_extra_info("socket")
        # Small packets (a hello followed at once by an rpc, an echoed key) would otherwise wait
        # ~40 ms for a delayed ACK.
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._connections.discard(self._connection)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        if await self._logins.check_password(self._service, self._source, username, password):
            return True
        self._refused()
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self._logins.users.accepts_key(username, key):
            return True
        self._refused()
        return False

    def _refused(self) -> None:
        self._failures += 1
        if self._failures >= MAX_AUTH_TRIES:
            self._logins.attempts_exhausted(self._service, self._source)
            # asyncssh sends the disconnect and closes the connection
            raise asyncssh.PermissionDenied("Too many authentication failures")

    def session_requested(self) -> ChannelT:
        if self._connection is None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_CONNECT_FAILED, "connection not established"
            )
        self._channels = [channel for channel in self._channels if channel.is_open]
        if len(self._channels) >= MAX_SESSIONS:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                f"at most {MAX_SESSIONS} sessions per connection",
            )
        channel = self._open_channel(self._connection)
        self._channels.append(channel)
        return channel


class _Terminable(Protocol):
    def terminate(self) -> None: ...


async def end_connections(
    channels: Iterable[_Terminable], connections: Iterable[asyncssh.SSHServerConnection]
) -> None:
    """End every session of a listener that stopped listening, and wait for its connections to
    close: what both the NETCONF and the command-line servers do when they close."""
    for channel in list(channels):
        channel.terminate()
    ending = list(connections)
    for connection in ending:
        connection.close()
    for connection in ending:
        await connection.wait_closed()
