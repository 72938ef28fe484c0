"""NETCONF over SSH (RFC 6242) with asyncssh: the ``netconf`` subsystem and nothing else.

Each SSH session channel that asks for the ``netconf`` subsystem becomes one NETCONF session
(netconf_session.py) on that channel. The same server also answers on connections the switch
opens itself (:meth:`NetconfSshServer.serve_call_home`, RFC 8071).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import asyncssh

from smartupgrade_server.netconf.counters import NetconfCounters
from smartupgrade_server.netconf.framing import DEFAULT_MAX_MESSAGE_SIZE
from smartupgrade_server.netconf.operations import Dispatcher
from smartupgrade_server.netconf.registry import (
    SessionRegistry,
    SessionTransport,
    TerminationReason,
)
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.logins import LoginGuard, LoginService, SourceDelays
from smartupgrade_server.transport.netconf_session import (
    WRITE_HIGH_WATER,
    Authorize,
    NetconfService,
    NetconfSession,
)
from smartupgrade_server.transport.ssh_connection import (
    SETUP_TIMEOUT,
    AuthenticatedConnection,
    SessionChannel,
    end_connections,
)
from smartupgrade_server.transport.users import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    USERS_FILE,
    UserDatabase,
)

logger = logging.getLogger(__name__)

NETCONF_SUBSYSTEM = "netconf"


class DefaultCredentialsError(Exception):
    """Refusing to listen beyond loopback while admin/admin still works."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def refuse_default_credentials(host: str, users: UserDatabase, data_dir: Path) -> None:
    """Raise DefaultCredentialsError for an address beyond loopback while admin/admin works."""
    if not is_loopback(host) and await asyncio.to_thread(users.uses_default_credentials):
        users_file = users.path or data_dir / USERS_FILE
        raise DefaultCredentialsError(
            f"refusing to listen on {host!r}: user {DEFAULT_USERNAME!r} still has the "
            f"default password {DEFAULT_PASSWORD!r}. Change it in {users_file} "
            "or listen on a loopback address such as 127.0.0.1."
        )


class NetconfSshServer:
    """A listening NETCONF/SSH server; start it with :meth:`start`."""

    def __init__(
        self,
        users: UserDatabase,
        service: NetconfService,
        *,
        source_delays: SourceDelays | None = None,
    ) -> None:
        self.users = users
        # one per switch: the command line and the web check their logins here too
        self.logins = LoginGuard(users, source_delays)
        # the sessions of every transport of the switch (TLS and call home share it)
        self.service = service
        self.host_keys: Sequence[asyncssh.SSHKey] = ()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._channels: set[_NetconfChannel] = set()

    @classmethod
    async def start(
        cls,
        host: str,
        port: int,
        data_dir: Path,
        dispatcher: Dispatcher,
        capabilities: Iterable[str] = (),
        *,
        registry: SessionRegistry | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        authorize: Authorize | None = None,
        credentials: SshCredentials | None = None,
        source_delays: SourceDelays | None = None,
        hello_timeout: float = SETUP_TIMEOUT,
    ) -> Self:
        """Listen on ``host:port`` (port 0: any free port, see :attr:`port`).

        ``data_dir`` holds the host keys and ``users.yaml``, both created on first start,
        unless ``credentials`` are given (a fleet's, shared by its switches).
        Pass a ``registry`` to add session end hooks (lock release) before clients arrive.
        ``authorize`` raises RpcError to refuse a kill-session (the dispatcher checks the rest).
        ``source_delays`` and ``hello_timeout`` change the limits of logins.py and
        ssh_connection.py (tests make them short).
        """
        if credentials is None:
            credentials = await asyncio.to_thread(SshCredentials.load_or_create, data_dir)
        users, host_keys = credentials.users, credentials.host_keys
        await refuse_default_credentials(host, users, data_dir)
        service = NetconfService(
            dispatcher,
            capabilities,
            registry if registry is not None else SessionRegistry(),
            max_message_size=max_message_size,
            hello_timeout=hello_timeout,
            authorize=authorize,
        )
        server = cls(users, service, source_delays=source_delays)
        # the command line listener of the same switch serves the same keys (cli_ssh.py)
        server.host_keys = host_keys
        server._acceptor = await asyncssh.create_server(
            server._connection_factory(call_home=False), host, port, **server._options()
        )
        return server

    def _connection_factory(
        self,
        *,
        call_home: bool = False,
        idle_timeout: float | None = None,
        opened: list[_NetconfChannel] | None = None,
    ) -> Callable[[], AuthenticatedConnection[_NetconfChannel]]:
        def open_channel(connection: asyncssh.SSHServerConnection) -> _NetconfChannel:
            channel = _NetconfChannel(
                self, connection, call_home=call_home, idle_timeout=idle_timeout
            )
            if opened is not None:
                opened.append(channel)
            return channel

        return lambda: AuthenticatedConnection(
            self.logins, LoginService.NETCONF, self._connections, open_channel
        )

    def _options(self) -> dict[str, Any]:
        return {
            "server_host_keys": list(self.host_keys),
            "encoding": None,
            "line_editor": False,
            "allow_scp": False,
            "agent_forwarding": False,
            "x11_forwarding": False,
            # No GSSAPI: asyncssh would otherwise look up the host's FQDN for every connection.
            "gss_host": None,
            # NETCONF messages are small and the client is usually near; zlib in Python would
            # cost more CPU per message than it saves on the wire.
            "compression_algs": ["none"],
        }

    async def serve_call_home(
        self, sock: socket.socket, idle_timeout: float | None = None
    ) -> CalledHomeOverSsh | None:
        """Be the SSH server on a connection the switch opened to a NETCONF client (RFC 8071
        call home); returns once the client has authenticated, None if it did not (the
        connection is closed). ``idle_timeout`` drops a session that receives nothing for that
        long."""
        opened: list[_NetconfChannel] = []
        try:
            connection = await asyncssh.connect_reverse(
                sock=sock,
                server_factory=self._connection_factory(
                    call_home=True, idle_timeout=idle_timeout, opened=opened
                ),
                **self._options(),
            )
        except asyncssh.Error as error:
            # the client left, or did not authenticate; asyncssh closed the connection
            logger.info("call home over SSH: %s", error.reason or error)
            return None
        return CalledHomeOverSsh(connection, opened)

    # what the switch's other servers and its monitoring read: the service's
    @property
    def registry(self) -> SessionRegistry:
        return self.service.registry

    @property
    def counters(self) -> NetconfCounters:
        return self.service.counters

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.service.capabilities

    @property
    def hello_timeout(self) -> float:
        return self.service.hello_timeout

    @property
    def port(self) -> int:
        if self._acceptor is None:
            raise RuntimeError("the server is not listening")
        return self._acceptor.get_port()

    async def close(self) -> None:
        """Stop listening, end every session and wait for the connections to close."""
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        await end_connections(self._channels, self._connections)


class CalledHomeOverSsh:
    """An SSH connection the switch opened and serves (call_home.CalledHome)."""

    def __init__(
        self, connection: asyncssh.SSHServerConnection, channels: list[_NetconfChannel]
    ) -> None:
        self._connection = connection
        self._channels = channels

    async def wait_closed(self) -> None:
        await self._connection.wait_closed()

    def ended_gracefully(self) -> bool:
        sessions = [c.session for c in self._channels if c.session is not None]
        return bool(sessions) and all(
            s.termination.reason is TerminationReason.CLOSED for s in sessions
        )

    def hang_up(self) -> None:
        for channel in self._channels:
            channel.terminate()
        self._connection.close()


class _NetconfChannel(SessionChannel):
    """One SSH session channel; a NETCONF session once the subsystem is started, set up once
    the client's hello has arrived. The stream (netconf_session.SessionStream) of its session."""

    def __init__(
        self,
        server: NetconfSshServer,
        connection: asyncssh.SSHServerConnection,
        *,
        call_home: bool = False,
        idle_timeout: float | None = None,
    ) -> None:
        super().__init__(connection, server.hello_timeout, WRITE_HIGH_WATER)
        self._server = server
        self._call_home = call_home
        self._idle_timeout = idle_timeout
        self.session: NetconfSession | None = None

    # --- channel requests -------------------------------------------------------------

    def pty_requested(
        self,
        term_type: str,
        term_size: tuple[int, int, int, int],
        term_modes: Mapping[int, int],
    ) -> bool:
        # scrapli's system transport runs `ssh -tt -s netconf`; with the line editor off a pty
        # changes nothing on this side.
        return True

    def shell_requested(self) -> bool:
        return False

    def exec_requested(self, command: str) -> bool:
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == NETCONF_SUBSYSTEM

    def session_started(self) -> None:
        assert self._channel is not None
        username = self._connection.get_extra_info("username")
        user = self._server.users.get(username)
        if user is None:
            # authentication succeeded, so the user exists; this only guards a changed file
            self._channel.close()
            return
        host, port = self._connection.get_extra_info("peername", ("?", 0))[:2]
        self._server._channels.add(self)
        self.session = self._server.service.open(
            self,
            username=user.name,
            level=user.level,
            peer=(host, port),
            transport=SessionTransport.NETCONF_SSH,
            call_home=self._call_home,
            idle_timeout=self._idle_timeout,
        )

    # --- the session's stream --------------------------------------------------------------

    def write(self, data: bytes) -> None:
        assert self._channel is not None
        self._channel.write(data)

    def pause_reading(self) -> None:
        assert self._channel is not None
        self._channel.pause_reading()

    def resume_reading(self) -> None:
        assert self._channel is not None
        self._channel.resume_reading()

    def finish(self, *, failed: bool) -> None:
        # what a subsystem's exit status is on OpenSSH (whose client exits 255 without one):
        # 0 after close-session or the client's EOF
        assert self._channel is not None
        self._channel.exit(1 if failed else 0)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()

    # --- data from the client ------------------------------------------------------------

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self.session is not None:
            self.session.data_received(data)

    def eof_received(self) -> bool:
        if self.session is not None:
            self.session.eof_received()
        # stay half open: replies to requests already queued still go out
        return True

    # --- end of the session --------------------------------------------------------------

    def terminate(self) -> None:
        """Close the session from outside (kill-session, server shutdown)."""
        if self.session is not None:
            self.session.terminate()
        else:
            self.close()

    def setup_timed_out(self) -> None:
        if self.session is None:
            # no netconf subsystem asked for
            super().setup_timed_out()
            return
        self.session.setup_timed_out()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._server._channels.discard(self)
        if self.session is None:
            return
        self.session.connection_lost(exc)
        if self._call_home and self.session.termination.reason is TerminationReason.TIMEOUT:
            # the switch made the connection for this session: it hangs up when it times out
            self._connection.close()
