"""The SSH connection both listeners share: authentication against the users file, TCP_NODELAY,
and tracking of open connections so that closing a listener can end them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

import asyncssh

from smartupgrade_server.transport.users import UserDatabase

ChannelT = TypeVar("ChannelT", bound=asyncssh.SSHServerSession[bytes])


class AuthenticatedConnection(asyncssh.SSHServer, Generic[ChannelT]):
    """One SSH connection; each session request gets the channel ``open_channel`` makes."""

    def __init__(
        self,
        users: UserDatabase,
        connections: set[asyncssh.SSHServerConnection],
        open_channel: Callable[[asyncssh.SSHServerConnection], ChannelT],
    ) -> None:
        self._users = users
        self._connections = connections
        self._open_channel = open_channel
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        self._connections.add(conn)
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
        return await self._users.verify_password(username, password)

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return self._users.accepts_key(username, key)

    def session_requested(self) -> ChannelT:
        if self._connection is None:
            raise asyncssh.ChannelOpenError(
                asyncssh.OPEN_CONNECT_FAILED, "connection not established"
            )
        return self._open_channel(self._connection)


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
