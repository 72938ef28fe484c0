"""YANG-push at fleet scale, the Fleet benchmark's phase of its own: one session on every switch
of a fleet, then an on-change subscription (RFC 8641) on each, each switch's first update, then
one configuration change per switch and its patch; the fleet's memory after each step.

The sessions are the asyncssh client's (one event loop for all of them: a thousand paramiko
sessions would be two thousand threads in the benchmark), in base 1.0 framing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
from lxml import etree

END_OF_MESSAGE = b"]]>]]>"
BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
YP = "urn:ietf:params:xml:ns:yang:ietf-yang-push"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
HELLO = (
    f'<hello xmlns="{BASE_NS}"><capabilities><capability>urn:ietf:params:netconf:base:1.0'
    "</capability></capabilities></hello>"
)
ESTABLISH = (
    f'<establish-subscription xmlns="{SN}" xmlns:yp="{YP}" '
    'xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">'
    "<yp:datastore>ds:operational</yp:datastore>"
    f'<yp:datastore-xpath-filter xmlns:su="{SU}">/su:smart-upgrade</yp:datastore-xpath-filter>'
    "<yp:on-change/></establish-subscription>"
)
CHANGE = (
    "<edit-config><target><running/></target><config>"
    f'<smart-upgrade xmlns="{SU}"><web-prompt>false</web-prompt></smart-upgrade>'
    "</config></edit-config>"
)
# sessions opened at once: the fleet's SSH handshakes queue behind one another anyway
CONNECTING = 50


@dataclass
class PushRun:
    """What the phase measured; RSS figures in bytes, of the fleet's processes."""

    switches: int
    idle_rss: int = 0
    sessions_rss: int = 0
    subscribed_rss: int = 0
    connect_s: float = math.nan
    establish_s: float = math.nan
    change_s: float = math.nan
    # push-change-updates received, one expected per switch
    updates: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PushTarget:
    name: str
    host: str
    port: int
    username: str
    client_key: Path


class _Session:
    """One NETCONF session on asyncssh, messages framed by ]]>]]>."""

    def __init__(
        self,
        connection: asyncssh.SSHClientConnection,
        writer: asyncssh.SSHWriter[bytes],
        reader: asyncssh.SSHReader[bytes],
    ) -> None:
        self.connection = connection
        self.writer = writer
        self.reader = reader
        self._message_id = 0

    @classmethod
    async def open(cls, target: PushTarget, timeout: float) -> _Session:
        connection = await asyncio.wait_for(
            asyncssh.connect(
                target.host,
                target.port,
                username=target.username,
                client_keys=[str(target.client_key)],
                known_hosts=None,
            ),
            timeout,
        )
        writer, reader, _ = await connection.open_session(subsystem="netconf", encoding=None)
        session = cls(connection, writer, reader)
        await asyncio.wait_for(session.message(), timeout)
        writer.write(HELLO.encode() + END_OF_MESSAGE)
        return session

    async def message(self) -> etree._Element:
        data = await self.reader.readuntil(END_OF_MESSAGE)
        return etree.fromstring(data[: -len(END_OF_MESSAGE)])

    async def rpc(self, operation: str) -> etree._Element:
        """Send one request; its reply, the notifications before it skipped."""
        self._message_id += 1
        message_id = str(self._message_id)
        self.writer.write(
            f'<rpc xmlns="{BASE_NS}" message-id="{message_id}">{operation}</rpc>'.encode()
            + END_OF_MESSAGE
        )
        while True:
            reply = await self.message()
            if reply.get("message-id") == message_id:
                if reply.find(f"{{{BASE_NS}}}rpc-error") is not None:
                    raise RuntimeError(etree.tostring(reply, encoding="unicode"))
                return reply

    async def update(self, name: str) -> etree._Element:
        """The next notification whose event is ``name`` of ietf-yang-push."""
        while True:
            message = await self.message()
            if len(message) > 1 and message[1].tag == f"{{{YP}}}{name}":
                return message[1]

    def close(self) -> None:
        self.connection.close()


async def _gather(
    coroutines: Sequence[asyncio.Future[None] | asyncio.Task[None]], failures: list[str]
) -> None:
    for outcome in await asyncio.gather(*coroutines, return_exceptions=True):
        if isinstance(outcome, BaseException):
            failures.append(f"{type(outcome).__name__}: {outcome}")


async def _run(
    targets: Sequence[PushTarget],
    timeouts: tuple[float, float],
    rss: Callable[[], int],
    run: PushRun,
) -> None:
    timeout, wave = timeouts
    sessions: list[_Session] = []
    gate = asyncio.Semaphore(CONNECTING)

    async def connect(target: PushTarget) -> None:
        async with gate:
            sessions.append(await _Session.open(target, timeout))

    began = time.perf_counter()
    await _gather([asyncio.ensure_future(connect(target)) for target in targets], run.failures)
    run.connect_s = time.perf_counter() - began
    await asyncio.sleep(1.0)
    run.sessions_rss = rss()

    async def subscribe(session: _Session) -> None:
        await asyncio.wait_for(session.rpc(ESTABLISH), wave)
        await asyncio.wait_for(session.update("push-update"), wave)

    began = time.perf_counter()
    await _gather([asyncio.ensure_future(subscribe(s)) for s in sessions], run.failures)
    run.establish_s = time.perf_counter() - began

    async def change(session: _Session) -> None:
        session.writer.write(
            f'<rpc xmlns="{BASE_NS}" message-id="change">{CHANGE}</rpc>'.encode() + END_OF_MESSAGE
        )
        await asyncio.wait_for(session.update("push-change-update"), wave)
        run.updates += 1

    began = time.perf_counter()
    await _gather([asyncio.ensure_future(change(s)) for s in sessions], run.failures)
    run.change_s = time.perf_counter() - began
    await asyncio.sleep(1.0)
    run.subscribed_rss = rss()
    for session in sessions:
        session.close()


def measure_push(
    targets: Sequence[PushTarget],
    idle_rss: int,
    rss: Callable[[], int],
    *,
    timeout: float,
    wave_timeout: float,
) -> PushRun:
    """The phase on a fleet already running idle (``idle_rss``), ``rss`` sampling it:
    ``timeout`` for each session to open, ``wave_timeout`` for each wave (every switch at once:
    the subscriptions, the changes) to be answered."""
    run = PushRun(len(targets), idle_rss=idle_rss)
    asyncio.run(_run(targets, (timeout, wave_timeout), rss, run))
    return run
