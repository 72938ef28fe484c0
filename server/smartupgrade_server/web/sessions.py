"""Web logins: a random token in a cookie names a session that holds the user, its level and
the CSRF token every action must carry. No I/O.

Sessions live in memory and end with logout, after an idle time, or when the switch reboots
(the web server starts again with none), as the switch's own web sessions do.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from smartupgrade_server.netconf.registry import SessionContext, SessionTransport

# __Host-: the browser keeps the cookie only if it is Secure, has Path=/ and no Domain, so no
# other host or plain-HTTP page can plant or read it
SESSION_COOKIE = "__Host-session"
# a login form carries its own token (double submit), so another site cannot log a browser in
LOGIN_COOKIE = "__Host-login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
IDLE_TIMEOUT = 30 * 60.0
# a bound on memory whatever a client does; the oldest login goes first
MAX_SESSIONS = 64


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class WebSession:
    token: str
    csrf: str
    # what access control knows of the user; web sessions are not NETCONF sessions and never
    # edit a datastore or hold a lock, so their ids are the web server's own
    context: SessionContext
    last_seen: float = field(compare=False)


class SessionStore:
    def __init__(
        self,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        limit: int = MAX_SESSIONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._idle_timeout = idle_timeout
        self._limit = limit
        self._monotonic = monotonic
        self._sessions: OrderedDict[str, WebSession] = OrderedDict()
        self._ids = itertools.count(1)

    def open(self, username: str, level: int, peer: str) -> WebSession:
        while len(self._sessions) >= self._limit:
            self._sessions.popitem(last=False)
        context = SessionContext(
            next(self._ids), username, level, peer, transport=SessionTransport.WEB_HTTPS
        )
        session = WebSession(new_token(), new_token(), context, self._monotonic())
        self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> WebSession | None:
        """The live session of ``token``; using it keeps it alive."""
        if token is None:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self._monotonic()
        if now - session.last_seen > self._idle_timeout:
            del self._sessions[token]
            return None
        session.last_seen = now
        return session

    def close(self, token: str) -> None:
        self._sessions.pop(token, None)

    def clear(self) -> None:
        self._sessions.clear()

    def __len__(self) -> int:
        return len(self._sessions)
