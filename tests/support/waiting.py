"""Waiting for a server to act on what a client did."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: bounded by the test's timeout, never a timed
    assertion."""
    while not condition():
        await asyncio.sleep(0.01)
