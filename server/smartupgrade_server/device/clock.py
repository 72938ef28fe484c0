"""The switch's clock, injected so that tests and the simulator decide how time passes.

Three clocks share one protocol:

- `WallClock`: real time, the switch's local time zone.
- `ScaledClock`: simulated time that runs `factor` times faster than real time
  (`smartupgrade-sim --clock 60`: a minute per second).
- `SimulatedClock`: time moves only when a test calls `await clock.advance(...)`; due timers fire
  in order and `advance` awaits each callback, so a 24-hour periodic check or a scheduled reboot
  takes milliseconds and its effects are done when `advance` returns.

`monotonic()` is the stopwatch the switch measures download durations and rates on. For the
wall and scaled clocks it is that clock's own time, so the seconds and KB/s the switch reports
agree with its other times. For `SimulatedClock` it is real elapsed time plus every simulated
advance: bytes cross a real HTTPS connection in real time while simulated time stands still, so
real time is what makes a rate meaningful there.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

Callback = Callable[[], Awaitable[None]]


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The switch's local time (timezone-aware)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a stopwatch that never goes back (see the module docstring)."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_at(self, when: datetime, callback: Callback) -> TimerHandle:
        """Run `callback` once `now()` reaches `when` (at once if it already has)."""
        ...


class _LoopTimer:
    """A timer on the running event loop whose callback runs as a task, kept referenced until
    it ends."""

    def __init__(self, delay: float, callback: Callback) -> None:
        self._callback = callback
        self._task: asyncio.Task[None] | None = None
        self._handle = asyncio.get_running_loop().call_later(max(0.0, delay), self._fire)

    def _fire(self) -> None:
        self._task = asyncio.ensure_future(self._callback())

    def cancel(self) -> None:
        self._handle.cancel()


class WallClock:
    def now(self) -> datetime:
        return datetime.now().astimezone()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_at(self, when: datetime, callback: Callback) -> TimerHandle:
        return _LoopTimer((when - self.now()).total_seconds(), callback)


class ScaledClock:
    """Simulated time starting at `start` (default: now) and running `factor` times real time."""

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("the clock's speed factor must be positive")
        self.factor = factor
        self._start = start or datetime.now().astimezone()
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    def monotonic(self) -> float:
        return (time.monotonic() - self._real_start) * self.factor

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)

    def call_at(self, when: datetime, callback: Callback) -> TimerHandle:
        return _LoopTimer((when - self.now()).total_seconds() / self.factor, callback)


@dataclass(order=True)
class _Timer:
    when: datetime
    sequence: int
    callback: Callback = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class SimulatedClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start time")
        self._now = start
        self._advanced = 0.0
        self._real_start = time.monotonic()
        self._timers: list[_Timer] = []
        self._sequence = itertools.count()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic() - self._real_start + self._advanced

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()

        async def wake() -> None:
            if not woken.done():
                woken.set_result(None)

        self.call_at(self._now + timedelta(seconds=seconds), wake)
        await woken

    def call_at(self, when: datetime, callback: Callback) -> TimerHandle:
        timer = _Timer(when, next(self._sequence), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def pending(self) -> list[datetime]:
        """When the timers still waiting are due, earliest first."""
        return sorted(t.when for t in self._timers if not t.cancelled)

    async def advance(self, delta: timedelta) -> None:
        """Move time forward by `delta`, firing every timer that falls due on the way, in order,
        each awaited before the next (a callback may add timers; those due in time fire too)."""
        if delta < timedelta(0):
            raise ValueError("time does not go back")
        target = self._now + delta
        while self._timers and self._timers[0].when <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._move_to(max(self._now, timer.when))
            await timer.callback()
            # Let whatever the callback woke (a sleeper, a task it started) run a step.
            await asyncio.sleep(0)
        self._move_to(target)

    def _move_to(self, when: datetime) -> None:
        self._advanced += (when - self._now).total_seconds()
        self._now = when
