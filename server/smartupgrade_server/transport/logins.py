"""How a switch checks a password, whatever the service (NETCONF and command-line SSH, the web).

Three rules, after OpenSSH:

- every refusal costs the same work, whether the user exists or not (``UserDatabase`` checks a
  decoy hash for a missing user), so the time of an answer tells no user names;
- each source address waits before its password is checked once it has failed: the wait grows
  with its recent failures, is capped, and the failures fade with time. It slows a guesser
  without locking anyone out: the right password from that source still gets in, after the
  wait;
- failures are counted (:class:`LoginCounters`) for the monitoring data.

The SSH listeners add the per-connection limit on attempts (ssh_connection.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from smartupgrade_server.transport.users import UserDatabase

logger = logging.getLogger(__name__)

# the wait after a source's first failure; it doubles with each further one up to the cap
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
# a source's failures count half after this long, and are forgotten when they no longer delay
FAILURE_HALF_LIFE = 60.0
# sources remembered at once: beyond it the one that failed longest ago is forgotten
MAX_SOURCES = 4096
# IPv6 sources are grouped by their /64, which one host or site usually holds whole
_IPV6_SOURCE_PREFIX = 64
# a source whose failures have faded below this is forgotten
_FORGOTTEN = 0.25


class LoginService(StrEnum):
    NETCONF = "netconf"
    CLI = "cli"
    WEB = "web"


@dataclass
class LoginCounters:
    """Refused logins since the switch's servers started, by service. Public names (for the
    Prometheus endpoint): ``smartupgrade_login_failures_total{service}`` counts
    :attr:`failed_passwords`, ``smartupgrade_login_attempt_limit_total{service}`` counts
    :attr:`attempt_limits`, ``smartupgrade_login_certificate_refusals_total{service}`` counts
    :attr:`refused_certificates`."""

    failed_passwords: Counter[LoginService] = field(default_factory=Counter)
    # SSH connections ended at their limit of attempts
    attempt_limits: Counter[LoginService] = field(default_factory=Counter)
    # TLS clients refused for their certificate: none, not trusted, expired, or mapped to no
    # user (NETCONF over TLS, RFC 7589)
    refused_certificates: Counter[LoginService] = field(default_factory=Counter)


def source_key(address: str) -> str:
    """What one source is: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_SOURCE_PREFIX), strict=False))
    return str(ip)


@dataclass
class _Failures:
    score: float
    at: float


class SourceDelays:
    """The wait before a source's next password is checked. No I/O; time from ``monotonic``.

    A source's failures decay exponentially (``half_life``); ``n`` of them make it wait
    ``first * 2 ** (n - 1)`` seconds, at most ``maximum``, and less than one none at all.
    """

    def __init__(
        self,
        *,
        first: float = FIRST_DELAY,
        maximum: float = MAX_DELAY,
        half_life: float = FAILURE_HALF_LIFE,
        capacity: int = MAX_SOURCES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first
        self._maximum = maximum
        self._half_life = half_life
        self._capacity = capacity
        self._monotonic = monotonic
        self._sources: OrderedDict[str, _Failures] = OrderedDict()

    def delay(self, source: str) -> float:
        score = self._score(source_key(source))
        if score < 1:
            return 0.0
        return min(self._maximum, self._first * 2 ** (score - 1))

    def failed(self, source: str) -> None:
        key = source_key(source)
        score = self._score(key) + 1
        self._sources[key] = _Failures(score, self._monotonic())
        self._sources.move_to_end(key)
        while len(self._sources) > self._capacity:
            self._sources.popitem(last=False)

    def __len__(self) -> int:
        return len(self._sources)

    def _score(self, key: str) -> float:
        failures = self._sources.get(key)
        if failures is None:
            return 0.0
        elapsed = max(0.0, self._monotonic() - failures.at)
        score: float = failures.score * 0.5 ** (elapsed / self._half_life)
        if score < _FORGOTTEN:
            # a source that stopped failing costs no memory
            del self._sources[key]
            return 0.0
        return score


class LoginGuard:
    """Checks the passwords of one switch's users for every service (see the module)."""

    def __init__(
        self,
        users: UserDatabase,
        delays: SourceDelays | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.users = users
        self.delays = delays if delays is not None else SourceDelays()
        self.counters = LoginCounters()
        self._sleep = sleep

    async def check_password(
        self, service: LoginService, source: str, username: str, password: str
    ) -> bool:
        wait = self.delays.delay(source)
        if wait:
            await self._sleep(wait)
        if await self.users.verify_password(username, password):
            return True
        self.delays.failed(source)
        self.counters.failed_passwords[service] += 1
        logger.info("%s login of %r from %s refused", service, username, source)
        return False

    def certificate_refused(self, service: LoginService, source: str, reason: str) -> None:
        self.counters.refused_certificates[service] += 1
        logger.info("%s: certificate from %s refused: %s", service, source, reason)

    def attempts_exhausted(self, service: LoginService, source: str) -> None:
        self.counters.attempt_limits[service] += 1
        logger.warning("%s: too many authentication failures from %s", service, source)
