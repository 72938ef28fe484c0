"""One NETCONF session on a byte stream, whatever carries it: an SSH channel (ssh.py) or a TLS
connection (tls.py), opened by the client or by the switch (call_home.py).

Each session is a :class:`~smartupgrade_server.netconf.session.ServerSession` fed from its
stream, and one task that handles its events in order, so requests of one session run one after
another while sessions run concurrently. Input is paused while a session has requests queued
and output is awaited to drain, so a client that floods or never reads only stalls itself.

:class:`NetconfService` is what the sessions of one switch share: the dispatcher, the session
registry (ids, kill-session, end hooks) and the RFC 6022 counters, so that a session over TLS
can kill one over SSH and ``/netconf-state`` lists both.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from lxml import etree

from smartupgrade_server.netconf.counters import NetconfCounters, SessionCounters
from smartupgrade_server.netconf.errors import ErrorType, OperationFailedError, RpcError
from smartupgrade_server.netconf.notification import NotificationBacklog
from smartupgrade_server.netconf.operations import (
    CLOSE_SESSION,
    KILL_SESSION,
    Dispatcher,
    kill_session_target,
)
from smartupgrade_server.netconf.registry import (
    SessionContext,
    SessionRegistry,
    SessionTransport,
    Termination,
    TerminationReason,
)
from smartupgrade_server.netconf.session import (
    Event,
    HelloReceived,
    ProtocolViolation,
    RpcRejected,
    RpcRequest,
    RpcToParse,
    ServerSession,
    SessionClosed,
)
from smartupgrade_server.netconf.xml_parser import hardened_parser, parse_message

logger = logging.getLogger(__name__)

# requests decoded but not yet answered, per session, before reading from the client pauses
MAX_PENDING_EVENTS = 16
# bytes of large requests received but not yet parsed, per session, before reading pauses:
# with the small ones (parsed at once, at most MAX_PENDING_EVENTS of INLINE_PARSE_LIMIT bytes)
# this bounds what a client that sends faster than the switch answers holds in memory
MAX_PENDING_UNPARSED = 1024 * 1024
# bytes queued towards a client before its session waits for them to drain
WRITE_HIGH_WATER = 256 * 1024
# Notifications waiting for a client that does not read: beyond this the session is dropped,
# so a slow subscriber costs bounded memory and never delays the switch or other sessions.
# Dropping the session rather than notifications keeps the stream free of silent gaps; the
# client reconnects and replays from the log with startTime (docs/server.md).
MAX_PENDING_NOTIFICATIONS = 1024

_PROTOCOL_FAILURES = (TerminationReason.BAD_HELLO, TerminationReason.OTHER)

Authorize = Callable[[SessionContext, RpcRequest], None]


class SessionStream(Protocol):
    """The byte stream under one NETCONF session."""

    def write(self, data: bytes) -> None: ...

    async def drained(self) -> None:
        """Until the output the client has not taken yet is below the high-water mark."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_up(self) -> None:
        """The client's hello arrived: the stream's setup timer stops."""

    def finish(self, *, failed: bool) -> None:
        """The session ended by itself (close-session, the client's EOF, a protocol failure):
        close the stream once what was written has gone out."""

    def close(self) -> None:
        """End the stream now (kill-session, shutdown, a timeout)."""


# lxml serialises the threads that share a parser: each worker thread gets its own
_THREAD_PARSERS = threading.local()


def _parse_aside(message: bytes) -> etree._Element | RpcError:
    """Parse one large message on a worker thread: its root element, or the RpcError."""
    parser = getattr(_THREAD_PARSERS, "parser", None)
    if parser is None:
        parser = _THREAD_PARSERS.parser = hardened_parser()
    try:
        return parse_message(message, parser)
    except RpcError as error:
        return error


@dataclass(frozen=True)
class _Notification:
    """A notification to send between replies, in the order it was published."""

    message: bytes


class NetconfService:
    """What every NETCONF session of one switch shares, over any transport (see the module).

    ``authorize`` checks the operations the transport runs itself (kill-session); the
    dispatcher checks the rest. A reboot of the switch makes a new service: ids and counters
    start again.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        capabilities: Iterable[str],
        registry: SessionRegistry,
        *,
        max_message_size: int,
        hello_timeout: float,
        authorize: Authorize | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.capabilities = tuple(capabilities)
        self.registry = registry
        self.max_message_size = max_message_size
        self.hello_timeout = hello_timeout
        self.authorize = authorize
        self.counters = NetconfCounters(start_time=datetime.now(UTC))
        self.sessions: set[NetconfSession] = set()

    def open(
        self,
        stream: SessionStream,
        *,
        username: str,
        level: int,
        peer: tuple[str, int],
        transport: SessionTransport,
        call_home: bool = False,
        idle_timeout: float | None = None,
    ) -> NetconfSession:
        """Start a session on ``stream`` for an authenticated user: the server's hello is
        written at once. ``idle_timeout`` (seconds) drops a session that receives nothing
        for that long (a periodic call-home connection, RFC 8071)."""
        return NetconfSession(
            self,
            stream,
            username=username,
            level=level,
            peer=peer,
            transport=transport,
            call_home=call_home,
            idle_timeout=idle_timeout,
        )

    async def drain(self, timeout: float) -> None:
        """Take no more notifications, and wait at most ``timeout`` seconds for every session
        to write those it has queued."""
        written = [session.notifications_written() for session in self.sessions]
        if written:
            await asyncio.wait(written, timeout=timeout)

    def end_all(self) -> None:
        """Close every session (the switch stops serving)."""
        for session in list(self.sessions):
            session.terminate()


class NetconfSession:
    """One NETCONF session: its events handled in order by one task (see the module)."""

    def __init__(
        self,
        service: NetconfService,
        stream: SessionStream,
        *,
        username: str,
        level: int,
        peer: tuple[str, int],
        transport: SessionTransport,
        call_home: bool,
        idle_timeout: float | None,
    ) -> None:
        self._service = service
        self._stream = stream
        self._events: asyncio.Queue[Event | _Notification] = asyncio.Queue()
        self._backlog = NotificationBacklog()
        self._taking_notifications = True
        self._pending_unparsed = 0
        # how the session ends, unless the connection is simply lost (RFC 6470)
        self._termination = Termination(TerminationReason.DROPPED)
        self._reading_paused = False
        self._hello_received = False
        self._idle_timeout = idle_timeout
        self._idle_timer: asyncio.TimerHandle | None = None
        self.ended = asyncio.Event()
        host, port = peer
        self.context = service.registry.open(
            username,
            level,
            f"{host}:{port}",
            self.terminate,
            self._notify,
            transport=transport,
            call_home=call_home,
            backlog=self._backlog,
        )
        self._session = ServerSession(
            self.context.session_id,
            service.capabilities,
            max_message_size=service.max_message_size,
            chunked_only=transport is SessionTransport.NETCONF_TLS,
        )
        service.sessions.add(self)
        stream.write(self._session.hello())
        service.counters.session_started(
            SessionCounters(
                self.context.session_id, username, host, datetime.now(UTC), transport=transport
            )
        )
        self._restart_idle_timer()
        self._worker = asyncio.create_task(
            self._run(), name=f"netconf-session-{self.context.session_id}"
        )
        logger.info(
            "session %d: %s from %s over %s%s",
            self.context.session_id,
            username,
            host,
            transport.value,
            " (call home)" if call_home else "",
        )

    @property
    def session_id(self) -> int:
        return self.context.session_id

    @property
    def termination(self) -> Termination:
        """How the session ended, or will end if its connection is lost now."""
        return self._termination

    # --- data from the client ------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._restart_idle_timer()
        self._enqueue(self._session.receive_data(data))

    def eof_received(self) -> None:
        self._enqueue(self._session.receive_eof())

    def notifications_written(self) -> asyncio.Future[None]:
        """Take no more notifications (the switch is going down: what happens later is not
        this session's), and be done once those queued are written."""
        self._taking_notifications = False
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def written() -> None:
            if not done.done():
                done.set_result(None)

        self._backlog.when_at_most(0, written)
        return done

    def _notify(self, message: bytes) -> None:
        """Queue a notification; called by the publisher, so it never waits."""
        if not self._session.is_open or not self._taking_notifications:
            return
        if self._backlog.messages >= MAX_PENDING_NOTIFICATIONS:
            logger.warning(
                "session %d: dropped: %d notifications not read",
                self.session_id,
                self._backlog.messages,
            )
            self._termination = Termination(TerminationReason.OTHER)
            self.terminate()
            return
        self._backlog.queued(message)
        self._events.put_nowait(_Notification(message))

    def _enqueue(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, HelloReceived):
                self._stream.set_up()
            elif isinstance(event, RpcToParse):
                self._pending_unparsed += len(event.message)
            self._events.put_nowait(event)
        if self._too_much_pending() and not self._reading_paused:
            self._stream.pause_reading()
            self._reading_paused = True

    def _too_much_pending(self) -> bool:
        return (
            self._events.qsize() >= MAX_PENDING_EVENTS
            or self._pending_unparsed >= MAX_PENDING_UNPARSED
        )

    async def _send(self, data: bytes) -> None:
        self._stream.write(data)
        await self._stream.drained()

    # --- end of the session --------------------------------------------------------------

    def terminate(self) -> None:
        """Close the session from outside (kill-session, server shutdown, a timeout)."""
        self._session.close()
        if self._worker is not asyncio.current_task():
            self._worker.cancel()
        self._stream.close()

    def setup_timed_out(self) -> None:
        """No hello within the service's hello timeout."""
        logger.info("session %d: no hello in %g s", self.session_id, self._service.hello_timeout)
        # ends as dropped (RFC 6022 dropped-sessions), with termination-reason timeout
        self._termination = Termination(TerminationReason.TIMEOUT)
        self.terminate()

    def _restart_idle_timer(self) -> None:
        if self._idle_timeout is None:
            return
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = asyncio.get_running_loop().call_later(
            self._idle_timeout, self._idle_timed_out
        )

    def _idle_timed_out(self) -> None:
        logger.info("session %d: idle for %g s", self.session_id, self._idle_timeout)
        self._termination = Termination(TerminationReason.TIMEOUT)
        self.terminate()

    def connection_lost(self, exc: Exception | None) -> None:
        """The stream is gone: the session ends (as dropped unless it ended otherwise)."""
        self._worker.cancel()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._service.sessions.discard(self)
        if exc is not None:
            logger.info("session %d: connection lost: %s", self.session_id, exc)
        self._end_session(dropped=True)
        self.ended.set()

    def _end_session(self, *, dropped: bool) -> None:
        self._service.counters.session_ended(self.session_id, dropped=dropped)
        try:
            self._service.registry.end(self.session_id, self._termination)
        except Exception:
            logger.exception("session %d: releasing its resources failed", self.session_id)

    # --- one session's requests, in order ------------------------------------------------

    async def _run(self) -> None:
        try:
            while True:
                event = await self._events.get()
                if isinstance(event, RpcToParse):
                    self._pending_unparsed -= len(event.message)
                if (
                    self._reading_paused
                    and self._events.qsize() < MAX_PENDING_EVENTS // 2
                    and self._pending_unparsed < MAX_PENDING_UNPARSED // 2
                ):
                    # cleared first: resume_reading delivers buffered data at once, and
                    # _enqueue must be able to pause again in the middle of that
                    self._reading_paused = False
                    self._stream.resume_reading()
                if not await self._handle(event):
                    self._stream.finish(failed=self._termination.reason in _PROTOCOL_FAILURES)
                    return
        except BrokenPipeError:
            # the client closed the channel while a reply was on its way; connection_lost
            # ends the session
            return

    async def _handle(self, event: Event | _Notification) -> bool:
        """Act on one event; False when the session is over."""
        counters = self._service.counters
        session_id = self.session_id
        match event:
            case _Notification(message):
                counters.notification_sent(session_id)
                await self._send(self._session.notification(message))
                self._backlog.written(message)
            case HelloReceived(capabilities, framing):
                self._hello_received = True
                logger.debug(
                    "session %d: hello, %s framing, %s",
                    session_id,
                    framing.value,
                    " ".join(capabilities),
                )
            case RpcToParse(message):
                # a worker thread parses it: the switch's other sessions go on meanwhile
                parsed = await asyncio.to_thread(_parse_aside, message)
                return await self._handle(self._session.receive_parsed(parsed))
            case RpcRequest():
                counters.rpc_received(session_id)
                await self._send(await self._execute(event))
                # not is_open: after the client's EOF the session takes no more input, yet the
                # requests received before it are still answered (SessionClosed ends the loop)
                return event.operation_tag != CLOSE_SESSION
            case RpcRejected(error, reply):
                counters.bad_rpc_received(session_id)
                counters.rpc_error_sent(session_id)
                logger.info("session %d: rejected message: %r", session_id, error)
                await self._send(reply)
            case ProtocolViolation(reason):
                if not self._hello_received:
                    counters.bad_hello()
                logger.warning("session %d: closing: %s", session_id, reason)
                self._termination = Termination(
                    TerminationReason.OTHER if self._hello_received else TerminationReason.BAD_HELLO
                )
                return False
            case SessionClosed(truncated):
                if truncated:
                    logger.info("session %d: client left mid-message", session_id)
                return False
        return True

    async def _execute(self, request: RpcRequest) -> bytes:
        reply, error_tag = await self._answer(request)
        operation = etree.QName(request.operation_tag).localname
        self._service.counters.rpc_answered(operation, error_tag)
        return reply

    async def _answer(self, request: RpcRequest) -> tuple[bytes, str]:
        """The reply to ``request`` and its error-tag ("" when it is no error)."""
        service, session = self._service, self._session
        try:
            if request.operation_tag == CLOSE_SESSION:
                # resources are released before the client can see the reply
                self._termination = Termination(TerminationReason.CLOSED)
                self._end_session(dropped=False)
                session.close()
                return session.reply_ok(request), ""
            if request.operation_tag == KILL_SESSION:
                if service.authorize is not None:
                    service.authorize(self.context, request)
                target = kill_session_target(request)
                service.registry.kill(target, by=self.session_id)
                service.counters.session_ended(target, dropped=False)
                return session.reply_ok(request), ""
            content = await service.dispatcher.dispatch(self.context, request)
            return session.reply_data(request, content), ""
        except RpcError as error:
            service.counters.rpc_error_sent(self.session_id)
            return session.reply_error(request, [error]), str(error.tag)
        except Exception:
            logger.exception("session %d: %s failed", self.session_id, request.operation_tag)
            service.counters.rpc_error_sent(self.session_id)
            failed = OperationFailedError(ErrorType.APPLICATION, message="internal server error")
            return session.reply_error(request, [failed]), str(failed.tag)
