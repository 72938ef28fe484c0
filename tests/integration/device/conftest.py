"""The device rig (tests/support/device.py): switch emulators on one simulated clock, talking to
a real HOUP on 127.0.0.1 over real HTTPS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.houp.server import HoupServer
from tests.support.defaults import START
from tests.support.device import DeviceRig, Devices

SwitchFactory = Callable[..., Awaitable[DeviceRig]]


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
async def make_rig(
    houp: HoupServer, clock: SimulatedClock, tmp_path: Path
) -> AsyncIterator[SwitchFactory]:
    async with Devices(tmp_path, clock, houp) as devices:
        yield devices.start
