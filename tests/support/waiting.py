"""Waiting for a server to act on what a client did: :func:`until` for a server on the test's
event loop, :func:`blocking_until` for one in another thread or process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from tests.support.defaults import CLIENT_TIMEOUT

T = TypeVar("T")


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds: bounded by the test's timeout, never a timed
    assertion."""
    while not condition():
        await asyncio.sleep(0.01)


def blocking_until(probe: Callable[[], T | None], what: str, timeout: float = CLIENT_TIMEOUT) -> T:
    """``probe()``'s first true result (not None, False or empty), asked every 0.2 s;
    ``AssertionError`` naming ``what`` after ``timeout`` seconds (a bound for a hung server, not
    a timed assertion)."""
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s")
        time.sleep(0.2)
    return found
