"""The RFC 6022 session and server counters, as plain data.

The transport counts the events as they happen (a hello, an rpc, a rejected message, an
rpc-error sent, a dropped connection); ``ietf-netconf-monitoring`` state is read from here.
Nothing here reads a clock: times are given by the caller.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from smartupgrade_server.netconf.registry import SessionTransport


@dataclass
class SessionCounters:
    """One NETCONF session: ``/netconf-state/sessions/session``."""

    session_id: int
    username: str
    source_host: str
    login_time: datetime
    transport: SessionTransport = SessionTransport.NETCONF_SSH
    in_rpcs: int = 0
    in_bad_rpcs: int = 0
    out_rpc_errors: int = 0
    out_notifications: int = 0


@dataclass
class NetconfCounters:
    """One server's counters since it started listening: ``/netconf-state/statistics``."""

    start_time: datetime
    in_bad_hellos: int = 0
    in_sessions: int = 0
    dropped_sessions: int = 0
    in_rpcs: int = 0
    in_bad_rpcs: int = 0
    out_rpc_errors: int = 0
    out_notifications: int = 0
    sessions: dict[int, SessionCounters] = field(default_factory=dict)
    # (operation's local name, error-tag or "" for a reply without error) -> replies: not
    # RFC 6022's, the Prometheus endpoint's (sim/metrics.py)
    rpc_outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)

    def session_started(self, session: SessionCounters) -> None:
        """The server sent its hello (RFC 6022: in-sessions counts the hellos sent)."""
        self.in_sessions += 1
        self.sessions[session.session_id] = session

    def bad_hello(self) -> None:
        self.in_bad_hellos += 1

    def rpc_received(self, session_id: int) -> None:
        self.in_rpcs += 1
        if session := self.sessions.get(session_id):
            session.in_rpcs += 1

    def bad_rpc_received(self, session_id: int) -> None:
        self.in_bad_rpcs += 1
        if session := self.sessions.get(session_id):
            session.in_bad_rpcs += 1

    def rpc_answered(self, operation: str, error_tag: str = "") -> None:
        """An ``<rpc>`` of ``operation`` was answered, with an ``<rpc-error>`` of
        ``error_tag`` or without error."""
        self.rpc_outcomes[operation, error_tag] += 1

    def rpc_error_sent(self, session_id: int) -> None:
        self.out_rpc_errors += 1
        if session := self.sessions.get(session_id):
            session.out_rpc_errors += 1

    def notification_sent(self, session_id: int) -> None:
        self.out_notifications += 1
        if session := self.sessions.get(session_id):
            session.out_notifications += 1

    def session_ended(self, session_id: int, *, dropped: bool) -> None:
        """``dropped``: ended otherwise than by close-session or kill-session. Only the first
        call for a session counts (a killed session's connection is lost afterwards)."""
        if self.sessions.pop(session_id, None) is not None and dropped:
            self.dropped_sessions += 1
