"""Who is connected: session ids, kill-session, and the hooks that run when a session ends."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from smartupgrade_server.netconf.errors import ErrorType, InvalidValueError
from smartupgrade_server.netconf.notification import NotificationBacklog
from smartupgrade_server.netconf.session import MAX_SESSION_ID


class SessionTransport(StrEnum):
    """What a session came over. The NETCONF ones are the transport identities of
    ietf-netconf-monitoring (RFC 6022), as ``/netconf-state/sessions`` shows them."""

    NETCONF_SSH = "netconf-ssh"
    NETCONF_TLS = "netconf-tls"
    # the VRP command line over SSH and the web system: not NETCONF sessions
    CLI_SSH = "cli-ssh"
    WEB_HTTPS = "web-https"


@dataclass(frozen=True)
class SessionContext:
    """What an operation knows about the session that sent it."""

    session_id: int
    username: str
    # the user's level 0-3 (VRP: visit, monitoring, configuration, management)
    level: int
    # the peer's address as "host:port", for logs
    peer: str
    # Where the session's notifications go, unframed (netconf/notification.py); None for a
    # session that is not NETCONF (the VRP command line shares ids and users with NETCONF).
    notify: Callable[[bytes], None] | None = field(default=None, compare=False)
    transport: SessionTransport = SessionTransport.NETCONF_SSH
    # the switch dialled the client (RFC 8071 call home) rather than the client the switch
    call_home: bool = False
    # what of its notifications is not written yet (None: not counted, e.g. in tests without
    # a transport)
    backlog: NotificationBacklog | None = field(default=None, compare=False)

    @property
    def host(self) -> str:
        return self.peer.rpartition(":")[0]


class TerminationReason(StrEnum):
    """How a session ended (RFC 6470 termination-reason)."""

    CLOSED = "closed"
    KILLED = "killed"
    DROPPED = "dropped"
    TIMEOUT = "timeout"
    BAD_HELLO = "bad-hello"
    OTHER = "other"


@dataclass(frozen=True)
class Termination:
    reason: TerminationReason
    killed_by: int | None = None


SessionEndHook = Callable[[SessionContext], None]
SessionStartHook = Callable[[SessionContext], None]
TerminationHook = Callable[[SessionContext, Termination], None]


class SessionRegistry:
    """Allocates session ids and ends sessions exactly once, however they end.

    ``terminate`` (given by the transport at :meth:`open`) closes a session's connection; the
    end hooks (added by the layers above, e.g. to release locks or roll back a confirmed commit)
    run when a session ends by close-session, kill-session, a dropped connection or a protocol
    error, before anything else can observe the session as gone.
    """

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[SessionContext, Callable[[], None]]] = {}
        self._next_id = 1
        self._end_hooks: list[SessionEndHook] = []
        self._start_hooks: list[SessionStartHook] = []
        self._termination_hooks: list[TerminationHook] = []

    def add_end_hook(self, hook: SessionEndHook) -> None:
        self._end_hooks.append(hook)

    def add_start_hook(self, hook: SessionStartHook) -> None:
        self._start_hooks.append(hook)

    def add_termination_hook(self, hook: TerminationHook) -> None:
        """Like an end hook, told how the session ended; runs after the end hooks."""
        self._termination_hooks.append(hook)

    def open(
        self,
        username: str,
        level: int,
        peer: str,
        terminate: Callable[[], None],
        notify: Callable[[bytes], None] | None = None,
        *,
        transport: SessionTransport = SessionTransport.NETCONF_SSH,
        call_home: bool = False,
        backlog: NotificationBacklog | None = None,
    ) -> SessionContext:
        session_id = self._allocate_id()
        context = SessionContext(
            session_id,
            username,
            level,
            peer,
            notify,
            transport=transport,
            call_home=call_home,
            backlog=backlog,
        )
        self._sessions[session_id] = (context, terminate)
        for hook in self._start_hooks:
            hook(context)
        return context

    def end(
        self, session_id: int, termination: Termination = Termination(TerminationReason.DROPPED)
    ) -> None:
        """Forget the session and run the end hooks; a no-op for a session already ended."""
        entry = self._sessions.pop(session_id, None)
        if entry is None:
            return
        failures = []
        hooks: list[SessionEndHook] = [
            *self._end_hooks,
            *(_told(hook, termination) for hook in self._termination_hooks),
        ]
        for hook in hooks:
            # one failing hook must not keep the others from releasing what they hold
            try:
                hook(entry[0])
            except Exception as failure:
                failures.append(failure)
        if failures:
            raise ExceptionGroup(f"end hooks of session {session_id} failed", failures)

    def kill(self, session_id: int, *, by: int) -> None:
        """kill-session (RFC 6241 §7.9): end the session, then close its connection."""
        if session_id == by:
            raise InvalidValueError(
                ErrorType.PROTOCOL, message="a session cannot kill itself; use close-session"
            )
        entry = self._sessions.get(session_id)
        if entry is None:
            raise InvalidValueError(ErrorType.PROTOCOL, message=f"no session {session_id}")
        try:
            self.end(session_id, Termination(TerminationReason.KILLED, killed_by=by))
        finally:
            entry[1]()

    def get(self, session_id: int) -> SessionContext | None:
        entry = self._sessions.get(session_id)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[SessionContext]:
        return iter([context for context, _ in self._sessions.values()])

    def _allocate_id(self) -> int:
        while True:
            session_id = self._next_id
            self._next_id = session_id % MAX_SESSION_ID + 1
            if session_id not in self._sessions:
                return session_id


def _told(hook: TerminationHook, termination: Termination) -> SessionEndHook:
    return lambda context: hook(context, termination)
