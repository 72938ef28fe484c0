"""Switches reaching no HOUP (tests/support/switch.py) on a loop thread, because the SDK under
test blocks, and an SDK client of the first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartupgrade_client.client import SmartUpgradeClient
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.users import Credentials


@pytest.fixture
def sims(tmp_path: Path, credentials: Credentials) -> Iterator[ThreadedSwitches]:
    with ThreadedSwitches(tmp_path, credentials, None) as started:
        yield started


@pytest.fixture
def sim(sims: ThreadedSwitches) -> SwitchRig:
    return sims.start()


@pytest.fixture
def client(sim: SwitchRig) -> Iterator[SmartUpgradeClient]:
    with sim.sdk() as connected:
        yield connected
