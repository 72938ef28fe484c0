"""NETCONF Call Home (RFC 8071): the switch opens the TCP connection to a NETCONF client, then
is the SSH or TLS server on it, as ietf-netconf-server's call-home container describes.

One task per configured client (:class:`CallHomeClient`) calls it for as long as it is
configured:

- it tries the client's endpoints in turn, starting with the one ``start_with`` says, each
  ``max_attempts`` times, each attempt given ``max_wait`` seconds to connect and authenticate;
- when every endpoint failed its attempts (a round), it waits before the next round: a delay
  that doubles after each failed round up to a limit, half of it random, so that a fleet whose
  controller was away does not call back all at once (:class:`Backoff`);
- a *persistent* client is called again as soon as its connection ends;
- a *periodic* client is called at whole periods from its anchor time; a connection that ends
  gracefully (its sessions closed with close-session) waits for the next period, one that
  ends otherwise is made again at once.

Time comes from :class:`CallHomeTiming` (the event loop's, or a test's), so tests drive the
backoff and the periods without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

logger = logging.getLogger(__name__)


class CallHomeTransport(StrEnum):
    SSH = "ssh"
    TLS = "tls"


# IANA's netconf-ch-ssh and netconf-ch-tls
CALL_HOME_PORTS = {CallHomeTransport.SSH: 4334, CallHomeTransport.TLS: 4335}


class StartWith(StrEnum):
    FIRST_LISTED = "first-listed"
    LAST_CONNECTED = "last-connected"
    RANDOM_SELECTION = "random-selection"


@dataclass(frozen=True)
class CallHomeEndpoint:
    name: str
    transport: CallHomeTransport
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


@dataclass(frozen=True)
class Periodic:
    """A periodic connection (seconds)."""

    period: float
    anchor: datetime | None = None
    # a session idle this long is dropped; None: never
    idle_timeout: float | None = 180.0


@dataclass(frozen=True)
class CallHomeClient:
    """One ``netconf-client`` of the call-home container (ietf-netconf-server's defaults)."""

    name: str
    endpoints: tuple[CallHomeEndpoint, ...]
    # None: a persistent connection
    periodic: Periodic | None = None
    start_with: StartWith = StartWith.FIRST_LISTED
    max_wait: float = 5.0
    max_attempts: int = 3


@dataclass(frozen=True)
class Backoff:
    """The wait after a failed round: ``first`` doubled with each failed round in a row, at most
    ``maximum``; half fixed, half random ("equal jitter")."""

    first: float = 1.0
    maximum: float = 60.0

    def delay(self, failed_rounds: int, chance: random.Random) -> float:
        ceiling = min(self.maximum, self.first * 2 ** max(0, failed_rounds - 1))
        return float(ceiling / 2 + chance.uniform(0, ceiling / 2))


async def _loop_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallHomeTiming:
    sleep: Callable[[float], Awaitable[None]] = _loop_sleep
    now: Callable[[], datetime] = _utc_now
    chance: random.Random = field(default_factory=random.Random)
    backoff: Backoff = Backoff()


class CalledHome(Protocol):
    """A connection the switch made and serves: what the SSH or TLS server returns."""

    async def wait_closed(self) -> None: ...

    def ended_gracefully(self) -> bool:
        """Every NETCONF session it carried (one at least) ended with close-session."""

    def hang_up(self) -> None:
        """End its sessions and the connection (the client was deconfigured)."""


# serve(transport, connected socket, idle timeout) -> the served connection, or None when the
# handshake failed or the client was refused (the socket is then closed)
Serve = Callable[[CallHomeTransport, socket.socket, float | None], Awaitable[CalledHome | None]]


async def connect_socket(host: str, port: int) -> socket.socket:
    """A TCP connection to ``host:port``, to each of its addresses in turn until one answers."""
    loop = asyncio.get_running_loop()
    addresses = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    failure: OSError = OSError(f"{host} has no address")
    for family, kind, protocol, _, address in addresses:
        sock = socket.socket(family, kind, protocol)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as error:
            sock.close()
            failure = error
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure


class CallHomeDialler:
    """Calls one client home until :meth:`stop` (see the module)."""

    def __init__(self, client: CallHomeClient, serve: Serve, timing: CallHomeTiming) -> None:
        self.client = client
        self._serve = serve
        self._timing = timing
        self._last_connected: int | None = None
        self._connection: CalledHome | None = None
        # what tests and logs read: connections made, rounds failed in a row
        self.connections = 0
        self.failed_rounds = 0
        self._task = asyncio.create_task(self._run(), name=f"call-home-{client.name}")

    async def stop(self) -> None:
        """Stop calling and end the current connection."""
        self._task.cancel()
        if self._connection is not None:
            self._connection.hang_up()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        periodic = self.client.periodic
        if periodic is None:
            while True:
                await self._call()
        anchor = periodic.anchor or self._timing.now()
        if periodic.anchor is not None:
            await self._timing.sleep(self._until_period(periodic.period, anchor, after=False))
        while True:
            # RFC 9643: a periodic connection not closed gracefully is made again at once
            while not await self._call():
                pass
            await self._timing.sleep(self._until_period(periodic.period, anchor, after=True))

    def _until_period(self, period: float, anchor: datetime, *, after: bool) -> float:
        """Seconds until the next whole period from ``anchor``: the first after now, or at or
        after now."""
        now = self._timing.now()
        elapsed = (now - anchor).total_seconds()
        periods = elapsed // period + 1 if after else -(-elapsed // period)
        return max(0.0, (anchor + timedelta(seconds=periods * period) - now).total_seconds())

    async def _call(self) -> bool:
        """Call until a connection is made and has ended; whether it ended gracefully."""
        while True:
            connection = await self._one_round()
            if connection is not None:
                self.failed_rounds = 0
                self._connection = connection
                try:
                    await connection.wait_closed()
                finally:
                    self._connection = None
                graceful = connection.ended_gracefully()
                logger.info(
                    "call home %s: connection ended%s",
                    self.client.name,
                    " gracefully" if graceful else "",
                )
                return graceful
            self.failed_rounds += 1
            delay = self._timing.backoff.delay(self.failed_rounds, self._timing.chance)
            logger.info(
                "call home %s: no endpoint answered (%d rounds); calling again in %.1f s",
                self.client.name,
                self.failed_rounds,
                delay,
            )
            await self._timing.sleep(delay)

    def _order(self) -> list[int]:
        endpoints = self.client.endpoints
        start = 0
        if self.client.start_with is StartWith.LAST_CONNECTED and self._last_connected is not None:
            start = self._last_connected
        elif self.client.start_with is StartWith.RANDOM_SELECTION:
            start = self._timing.chance.randrange(len(endpoints))
        return [(start + n) % len(endpoints) for n in range(len(endpoints))]

    async def _one_round(self) -> CalledHome | None:
        for index in self._order():
            endpoint = self.client.endpoints[index]
            for _ in range(self.client.max_attempts):
                connection = await self._attempt(endpoint)
                if connection is not None:
                    self._last_connected = index
                    self.connections += 1
                    return connection
        return None

    async def _attempt(self, endpoint: CallHomeEndpoint) -> CalledHome | None:
        idle = self.client.periodic.idle_timeout if self.client.periodic else None
        try:
            async with asyncio.timeout(self.client.max_wait):
                sock = await connect_socket(endpoint.host, endpoint.port)
                # from here the server's transport owns the socket, and closes it on failure
                connection = await self._serve(endpoint.transport, sock, idle)
        except (OSError, TimeoutError) as error:
            logger.debug("call home %s: %s: %s", self.client.name, endpoint, error or "timed out")
            return None
        if connection is not None:
            logger.info("call home %s: connected to %s", self.client.name, endpoint)
        return connection


class CallHome:
    """The switch's call-home clients: a dialler for each while it is configured."""

    def __init__(self, serve: Serve, timing: CallHomeTiming | None = None) -> None:
        self._serve = serve
        self._timing = timing or CallHomeTiming()
        self.diallers: dict[str, CallHomeDialler] = {}

    async def configure(self, clients: Mapping[str, CallHomeClient]) -> None:
        """Call exactly ``clients``: a new or changed client starts calling, a removed or
        changed one stops (its connection ends)."""
        for name, dialler in list(self.diallers.items()):
            if clients.get(name) != dialler.client:
                del self.diallers[name]
                await dialler.stop()
        for name, client in clients.items():
            if name not in self.diallers:
                self.diallers[name] = CallHomeDialler(client, self._serve, self._timing)

    async def close(self) -> None:
        await self.configure({})
