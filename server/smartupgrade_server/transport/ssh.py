"""NETCONF over SSH (RFC 6242) with asyncssh: the ``netconf`` subsystem and nothing else.

Each SSH session channel that asks for the ``netconf`` subsystem becomes one NETCONF session:
a :class:`~smartupgrade_server.netconf.session.ServerSession` fed from the channel, and one
task that handles its events in order, so requests of one session run one after another while
sessions run concurrently. Input is paused while a session has requests queued and output is
awaited to drain, so a client that floods or never reads only stalls itself.
"""

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import asyncssh
from lxml import etree

from smartupgrade_server.netconf.counters import NetconfCounters, SessionCounters
from smartupgrade_server.netconf.errors import ErrorType, OperationFailedError, RpcError
from smartupgrade_server.netconf.framing import DEFAULT_MAX_MESSAGE_SIZE
from smartupgrade_server.netconf.operations import (
    CLOSE_SESSION,
    KILL_SESSION,
    Dispatcher,
    kill_session_target,
)
from smartupgrade_server.netconf.registry import (
    SessionContext,
    SessionRegistry,
    Termination,
    TerminationReason,
)
from smartupgrade_server.netconf.session import (
    Event,
    HelloReceived,
    ProtocolViolation,
    RpcRejected,
    RpcRequest,
    ServerSession,
    SessionClosed,
)
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.logins import LoginGuard, LoginService, SourceDelays
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
# requests decoded but not yet answered, per session, before reading from the client pauses
_MAX_PENDING_EVENTS = 16
# bytes queued towards a client before its session waits for them to drain
_WRITE_HIGH_WATER = 256 * 1024
# Notifications waiting for a client that does not read: beyond this the session is dropped,
# so a slow subscriber costs bounded memory and never delays the switch or other sessions.
# Dropping the session rather than notifications keeps the stream free of silent gaps; the
# client reconnects and replays from the log with startTime (docs/server.md).
MAX_PENDING_NOTIFICATIONS = 1024


_PROTOCOL_FAILURES = (TerminationReason.BAD_HELLO, TerminationReason.OTHER)


@dataclass(frozen=True)
class _Notification:
    """A notification to send between replies, in the order it was published."""

    message: bytes


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


Authorize = Callable[[SessionContext, RpcRequest], None]


class NetconfSshServer:
    """A listening NETCONF/SSH server; start it with :meth:`start`."""

    def __init__(
        self,
        users: UserDatabase,
        dispatcher: Dispatcher,
        capabilities: Iterable[str],
        registry: SessionRegistry,
        max_message_size: int,
        *,
        source_delays: SourceDelays | None = None,
        hello_timeout: float = SETUP_TIMEOUT,
    ) -> None:
        self.users = users
        # one per switch: the command line and the web check their logins here too
        self.logins = LoginGuard(users, source_delays)
        self.hello_timeout = hello_timeout
        self.dispatcher = dispatcher
        self.capabilities = tuple(capabilities)
        self.registry = registry
        self.max_message_size = max_message_size
        # access control of the operations the transport runs itself (kill-session)
        self.authorize: Authorize | None = None
        self.counters = NetconfCounters(start_time=datetime.now(UTC))
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
        server = cls(
            users,
            dispatcher,
            capabilities,
            registry if registry is not None else SessionRegistry(),
            max_message_size,
            source_delays=source_delays,
            hello_timeout=hello_timeout,
        )
        # the command line listener of the same switch serves the same keys (cli_ssh.py)
        server.host_keys = host_keys
        server.authorize = authorize
        server._acceptor = await asyncssh.create_server(
            lambda: AuthenticatedConnection(
                server.logins,
                LoginService.NETCONF,
                server._connections,
                lambda conn: _NetconfChannel(server, conn),
            ),
            host,
            port,
            server_host_keys=list(host_keys),
            encoding=None,
            line_editor=False,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            # No GSSAPI: asyncssh would otherwise look up the host's FQDN for every connection.
            gss_host=None,
            # NETCONF messages are small and the client is usually near; zlib in Python would
            # cost more CPU per message than it saves on the wire.
            compression_algs=["none"],
        )
        return server

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


class _NetconfChannel(SessionChannel):
    """One SSH session channel; a NETCONF session once the subsystem is started, set up once
    the client's hello has arrived."""

    def __init__(self, server: NetconfSshServer, connection: asyncssh.SSHServerConnection) -> None:
        super().__init__(connection, server.hello_timeout, _WRITE_HIGH_WATER)
        self._server = server
        self._session: ServerSession | None = None
        self._context: SessionContext | None = None
        self._events: asyncio.Queue[Event | _Notification] = asyncio.Queue()
        self._pending_notifications = 0
        # how the session ends, unless the connection is simply lost (RFC 6470)
        self._termination = Termination(TerminationReason.DROPPED)
        self._reading_paused = False
        self._worker: asyncio.Task[None] | None = None
        self._hello_received = False

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
        self._context = self._server.registry.open(
            user.name, user.level, f"{host}:{port}", self.terminate, self._notify
        )
        self._session = ServerSession(
            self._context.session_id,
            self._server.capabilities,
            max_message_size=self._server.max_message_size,
        )
        self._server._channels.add(self)
        self._channel.write(self._session.hello())
        self._server.counters.session_started(
            SessionCounters(self._context.session_id, user.name, host, datetime.now(UTC))
        )
        self._worker = asyncio.create_task(
            self._run(), name=f"netconf-session-{self._context.session_id}"
        )
        logger.info("session %d: %s from %s", self._context.session_id, user.name, host)

    # --- data from the client ------------------------------------------------------------

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self._session is not None:
            self._enqueue(self._session.receive_data(data))

    def eof_received(self) -> bool:
        if self._session is not None:
            self._enqueue(self._session.receive_eof())
        # stay half open: replies to requests already queued still go out
        return True

    def _notify(self, message: bytes) -> None:
        """Queue a notification; called by the publisher, so it never waits."""
        if self._session is None or not self._session.is_open:
            return
        if self._pending_notifications >= MAX_PENDING_NOTIFICATIONS:
            assert self._context is not None
            logger.warning(
                "session %d: dropped: %d notifications not read",
                self._context.session_id,
                self._pending_notifications,
            )
            self._termination = Termination(TerminationReason.OTHER)
            self.terminate()
            return
        self._pending_notifications += 1
        self._events.put_nowait(_Notification(message))

    def _enqueue(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, HelloReceived):
                self.set_up()
            self._events.put_nowait(event)
        if self._events.qsize() >= _MAX_PENDING_EVENTS and not self._reading_paused:
            assert self._channel is not None
            self._channel.pause_reading()
            self._reading_paused = True

    async def _send(self, data: bytes) -> None:
        assert self._channel is not None
        self._channel.write(data)
        await self.drained()

    # --- end of the session --------------------------------------------------------------

    def terminate(self) -> None:
        """Close the session from outside (kill-session, server shutdown)."""
        if self._session is not None:
            self._session.close()
        if self._worker is not None and self._worker is not asyncio.current_task():
            self._worker.cancel()
        if self._channel is not None:
            self._channel.close()

    def setup_timed_out(self) -> None:
        if self._context is None:
            # no netconf subsystem asked for
            super().setup_timed_out()
            return
        logger.info(
            "session %d: no hello in %g s", self._context.session_id, self._server.hello_timeout
        )
        # ends as dropped (RFC 6022 dropped-sessions), with termination-reason timeout
        self._termination = Termination(TerminationReason.TIMEOUT)
        self.terminate()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._worker is not None:
            self._worker.cancel()
        self._server._channels.discard(self)
        if self._context is None:
            return
        if exc is not None:
            logger.info("session %d: connection lost: %s", self._context.session_id, exc)
        self._end_session(dropped=True)

    def _end_session(self, *, dropped: bool) -> None:
        assert self._context is not None
        self._server.counters.session_ended(self._context.session_id, dropped=dropped)
        try:
            self._server.registry.end(self._context.session_id, self._termination)
        except Exception:
            logger.exception("session %d: releasing its resources failed", self._context.session_id)

    # --- one session's requests, in order ------------------------------------------------

    async def _run(self) -> None:
        assert self._channel is not None
        try:
            while True:
                event = await self._events.get()
                if self._reading_paused and self._events.qsize() < _MAX_PENDING_EVENTS // 2:
                    # cleared first: resume_reading delivers buffered data at once, and
                    # _enqueue must be able to pause again in the middle of that
                    self._reading_paused = False
                    self._channel.resume_reading()
                if not await self._handle(event):
                    # what a subsystem's exit status is on OpenSSH (whose client exits 255
                    # without one): 0 after close-session or the client's EOF
                    failed = self._termination.reason in _PROTOCOL_FAILURES
                    self._channel.exit(1 if failed else 0)
                    return
        except BrokenPipeError:
            # the client closed the channel while a reply was on its way; connection_lost
            # ends the session
            return

    async def _handle(self, event: Event | _Notification) -> bool:
        """Act on one event; False when the session is over."""
        assert self._session is not None and self._context is not None
        counters = self._server.counters
        match event:
            case _Notification(message):
                self._pending_notifications -= 1
                counters.notification_sent(self._context.session_id)
                await self._send(self._session.notification(message))
            case HelloReceived(capabilities, framing):
                self._hello_received = True
                logger.debug(
                    "session %d: hello, %s framing, %s",
                    self._context.session_id,
                    framing.value,
                    " ".join(capabilities),
                )
            case RpcRequest():
                counters.rpc_received(self._context.session_id)
                await self._send(await self._execute(event))
                # not is_open: after the client's EOF the session takes no more input, yet the
                # requests received before it are still answered (SessionClosed ends the loop)
                return event.operation_tag != CLOSE_SESSION
            case RpcRejected(error, reply):
                counters.bad_rpc_received(self._context.session_id)
                counters.rpc_error_sent(self._context.session_id)
                logger.info("session %d: rejected message: %r", self._context.session_id, error)
                await self._send(reply)
            case ProtocolViolation(reason):
                if not self._hello_received:
                    counters.bad_hello()
                logger.warning("session %d: closing: %s", self._context.session_id, reason)
                self._termination = Termination(
                    TerminationReason.OTHER if self._hello_received else TerminationReason.BAD_HELLO
                )
                return False
            case SessionClosed(truncated):
                if truncated:
                    logger.info("session %d: client left mid-message", self._context.session_id)
                return False
        return True

    async def _execute(self, request: RpcRequest) -> bytes:
        reply, error_tag = await self._answer(request)
        operation = etree.QName(request.operation_tag).localname
        self._server.counters.rpc_answered(operation, error_tag)
        return reply

    async def _answer(self, request: RpcRequest) -> tuple[bytes, str]:
        """The reply to ``request`` and its error-tag ("" when it is no error)."""
        assert self._session is not None and self._context is not None
        session = self._session
        try:
            if request.operation_tag == CLOSE_SESSION:
                # resources are released before the client can see the reply
                self._termination = Termination(TerminationReason.CLOSED)
                self._end_session(dropped=False)
                session.close()
                return session.reply_ok(request), ""
            if request.operation_tag == KILL_SESSION:
                if self._server.authorize is not None:
                    self._server.authorize(self._context, request)
                target = kill_session_target(request)
                self._server.registry.kill(target, by=self._context.session_id)
                self._server.counters.session_ended(target, dropped=False)
                return session.reply_ok(request), ""
            return session.reply_data(
                request, await self._server.dispatcher.dispatch(self._context, request)
            ), ""
        except RpcError as error:
            self._server.counters.rpc_error_sent(self._context.session_id)
            return session.reply_error(request, [error]), str(error.tag)
        except Exception:
            logger.exception(
                "session %d: %s failed", self._context.session_id, request.operation_tag
            )
            self._server.counters.rpc_error_sent(self._context.session_id)
            failed = OperationFailedError(ErrorType.APPLICATION, message="internal server error")
            return session.reply_error(request, [failed]), str(failed.tag)
