"""A sleep for the calls home whose waits end only when a test says so, and are recorded."""

from __future__ import annotations

import asyncio


class ManualSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []
        self._waiting: list[asyncio.Future[None]] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        await waiter

    @property
    def sleepers(self) -> int:
        return sum(not waiter.done() for waiter in self._waiting)

    def wake(self) -> None:
        """End every wait, as if its time had passed."""
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
        self._waiting.clear()
