"""Call Home (RFC 8071) over SSH: the switch's diallers against a controller of the test's own
(asyncssh as the SSH client on the accepted socket), with the backoff and the periods driven
by a sleep and a clock the test controls."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncssh
import pytest

from smartupgrade_server.netconf.registry import (
    TerminationReason,
)
from smartupgrade_server.transport.call_home import (
    Backoff,
    CallHomeClient,
    CallHomeEndpoint,
    CallHomeTiming,
    CallHomeTransport,
    Periodic,
    StartWith,
)
from tests.support.manual_sleep import ManualSleep
from tests.support.transport import RawSession, TransportRig, free_port, pong, serving
from tests.support.users import Credentials
from tests.support.waiting import until

BACKOFF = Backoff(first=1.0, maximum=8.0)


class Clock:
    """The calls' wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Controller:
    """A NETCONF client that listens for calls home: each accepted connection gets an SSH
    client, a NETCONF session and the test's script."""

    listener: socket.socket
    password: str = "admin"
    calls: asyncio.Queue[RawSession] = field(default_factory=asyncio.Queue)
    accepted: int = 0
    _task: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, port: int = 0, password: str = "admin") -> Controller:
        """Listen on ``port`` (0: any); log in to the switches as admin with ``password``."""
        listener = socket.create_server(("127.0.0.1", port))
        listener.setblocking(False)
        controller = cls(listener, password)
        controller._task = asyncio.create_task(controller._accept())
        return controller

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sock, _ = await loop.sock_accept(self.listener)
            self.accepted += 1
            connection = await asyncssh.connect(
                sock=sock, username="admin", password=self.password, known_hosts=None
            )
            await self.calls.put(await RawSession.start(connection))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.listener.close()


@pytest.fixture
async def switch(tmp_path: Path, credentials: Credentials) -> AsyncIterator[TransportRig]:
    async with serving(credentials.data_dir(tmp_path / "data")) as rig:
        yield rig


def endpoint(name: str, port: int) -> CallHomeEndpoint:
    return CallHomeEndpoint(name, CallHomeTransport.SSH, "127.0.0.1", port)


async def test_the_controller_away_then_back_the_switch_calls_with_a_growing_backoff(
    switch: TransportRig,
) -> None:
    port = free_port()
    sleep = ManualSleep()
    timing = CallHomeTiming(sleep=sleep, chance=random.Random(17), backoff=BACKOFF)
    server = await switch.call_home(
        CallHomeClient("controller", (endpoint("a", port),), max_attempts=2), timing=timing
    )
    dialler = server.call_home.diallers["controller"]
    # nothing listens: each round (two attempts) fails, and the wait doubles up to its limit,
    # half of it random
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0]
    for rounds, ceiling in enumerate(ceilings, start=1):
        await until(lambda rounds=rounds: len(sleep.delays) == rounds and sleep.sleepers == 1)  # type: ignore[misc]
        assert dialler.failed_rounds == rounds
        assert ceiling / 2 <= sleep.delays[-1] <= ceiling
        sleep.wake()
    # the controller comes back, on the same port
    await until(lambda: len(sleep.delays) == len(ceilings) + 1)
    controller = await Controller.start(port)
    try:
        sleep.wake()
        called = await controller.calls.get()
        assert await pong(called) == "admin"
        context = switch.ssh.registry.get(called.session_id)
        assert context is not None and context.call_home
        assert (dialler.connections, dialler.failed_rounds) == (1, 0)
        # persistent: a dropped connection is made again at once, no wait
        called.connection.close()
        again = await controller.calls.get()
        assert await pong(again) == "admin"
        assert len(sleep.delays) == len(ceilings) + 1
        assert switch.ended[-1][1] is TerminationReason.DROPPED
    finally:
        await controller.close()


async def test_endpoints_in_turn_and_the_last_connected_first(switch: TransportRig) -> None:
    controller = await Controller.start()
    try:
        client = CallHomeClient(
            "controller",
            (endpoint("down", free_port()), endpoint("up", controller.port)),
            start_with=StartWith.LAST_CONNECTED,
            max_attempts=3,
        )
        sleep = ManualSleep()
        server = await switch.call_home(client, timing=CallHomeTiming(sleep=sleep, backoff=BACKOFF))
        first = await controller.calls.get()
        dialler = server.call_home.diallers["controller"]
        # three refused attempts at "down", then "up" answered; no round failed
        assert (dialler.connections, dialler.failed_rounds, sleep.delays) == (1, 0, [])
        await first.close_session()
        # the next call starts with "up", the endpoint last connected
        second = await controller.calls.get()
        assert controller.accepted == 2 and await pong(second) == "admin"
    finally:
        await controller.close()


async def test_a_periodic_client_waits_for_the_next_period_after_a_close_session(
    switch: TransportRig,
) -> None:
    controller = await Controller.start()
    clock, sleep = Clock(), ManualSleep()
    anchor = clock.now - timedelta(minutes=25)
    client = CallHomeClient(
        "audit",
        (endpoint("only", controller.port),),
        periodic=Periodic(period=3600.0, anchor=anchor, idle_timeout=None),
    )
    try:
        await switch.call_home(client, timing=CallHomeTiming(sleep=sleep, now=clock))
        # the anchor was 25 minutes ago: the first call waits for the whole hour
        await until(lambda: sleep.sleepers == 1)
        assert sleep.delays == [35 * 60.0]
        clock.now += timedelta(minutes=35)
        sleep.wake()
        called = await controller.calls.get()
        await called.close_session()
        # gracefully closed: the next call is an hour after the anchor's next whole hour
        await until(lambda: sleep.sleepers == 1)
        assert sleep.delays[-1] == 3600.0
        clock.now += timedelta(minutes=70)
        sleep.wake()
        called = await controller.calls.get()
        # a connection that drops without close-session is made again at once
        called.connection.close()
        again = await controller.calls.get()
        assert await pong(again) == "admin"
        assert len(sleep.delays) == 2
    finally:
        await controller.close()


async def test_a_periodic_session_idle_too_long_is_dropped_and_called_again(
    switch: TransportRig,
) -> None:
    controller = await Controller.start()
    client = CallHomeClient(
        "audit", (endpoint("only", controller.port),), periodic=Periodic(3600.0, idle_timeout=0.2)
    )
    try:
        await switch.call_home(client, timing=CallHomeTiming(sleep=ManualSleep()))
        idle = await controller.calls.get()
        assert await idle.read_message() == b""
        await until(lambda: bool(switch.ended))
        assert switch.ended[0][1] is TerminationReason.TIMEOUT
        # not closed gracefully: called again at once
        await controller.calls.get()
    finally:
        await controller.close()


async def test_deconfiguring_a_client_ends_its_connection_and_its_calls(
    switch: TransportRig,
) -> None:
    controller = await Controller.start()
    try:
        client = CallHomeClient("controller", (endpoint("only", controller.port),))
        server = await switch.call_home(client, timing=CallHomeTiming(sleep=ManualSleep()))
        called = await controller.calls.get()
        await server.call_home.configure({})
        assert await called.read_message() == b""
        await until(lambda: bool(switch.ended))
        assert controller.accepted == 1 and not server.call_home.diallers
    finally:
        await controller.close()
