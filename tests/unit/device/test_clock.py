"""The simulated clock: time moves only on advance, timers fire in order and are awaited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from smartupgrade_server.device.clock import Callback, ScaledClock, SimulatedClock, WallClock

START = datetime(2026, 1, 1, tzinfo=UTC)


async def test_time_stands_still_until_advanced() -> None:
    clock = SimulatedClock(START)
    await asyncio.sleep(0)
    assert clock.now() == START
    await clock.advance(timedelta(hours=24))
    assert clock.now() == START + timedelta(hours=24)


async def test_due_timers_fire_in_order_at_their_time_and_are_awaited() -> None:
    clock = SimulatedClock(START)
    fired: list[tuple[str, datetime]] = []

    def recorder(name: str) -> Callback:
        async def callback() -> None:
            await asyncio.sleep(0)
            fired.append((name, clock.now()))

        return callback

    clock.call_at(START + timedelta(hours=2), recorder("b"))
    clock.call_at(START + timedelta(hours=1), recorder("a"))
    late = clock.call_at(START + timedelta(hours=3), recorder("c"))
    clock.call_at(START + timedelta(hours=5), recorder("d"))
    late.cancel()
    await clock.advance(timedelta(hours=4))
    assert fired == [("a", START + timedelta(hours=1)), ("b", START + timedelta(hours=2))]
    assert clock.pending() == [START + timedelta(hours=5)]


async def test_a_callback_may_schedule_a_timer_that_falls_due_in_the_same_advance() -> None:
    clock = SimulatedClock(START)
    fired: list[datetime] = []

    async def periodic() -> None:
        fired.append(clock.now())
        clock.call_at(clock.now() + timedelta(hours=24), periodic)

    clock.call_at(START + timedelta(hours=24), periodic)
    await clock.advance(timedelta(days=3))
    assert fired == [START + timedelta(days=n) for n in (1, 2, 3)]


async def test_sleep_wakes_when_time_reaches_it() -> None:
    clock = SimulatedClock(START)
    sleeper = asyncio.ensure_future(clock.sleep(60))
    await asyncio.sleep(0)
    await clock.advance(timedelta(seconds=59))
    assert not sleeper.done()
    await clock.advance(timedelta(seconds=1))
    await sleeper


async def test_monotonic_includes_simulated_advances() -> None:
    clock = SimulatedClock(START)
    before = clock.monotonic()
    await clock.advance(timedelta(seconds=100))
    assert clock.monotonic() - before >= 100


async def test_time_does_not_go_back_and_needs_a_time_zone() -> None:
    with pytest.raises(ValueError):
        SimulatedClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        await SimulatedClock(START).advance(timedelta(seconds=-1))


async def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(1000.0, START)
    fired = asyncio.Event()

    async def callback() -> None:
        fired.set()

    clock.call_at(START + timedelta(seconds=10), callback)  # 10 ms of real time
    await fired.wait()
    assert clock.now() >= START + timedelta(seconds=10)
    with pytest.raises(ValueError):
        ScaledClock(0)


async def test_wall_clock_is_aware_local_time() -> None:
    clock = WallClock()
    assert clock.now().tzinfo is not None
    fired = asyncio.Event()

    async def callback() -> None:
        fired.set()

    clock.call_at(clock.now(), callback)
    await fired.wait()
    await clock.sleep(0)
