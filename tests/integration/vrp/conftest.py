"""A switch with its VRP command line (tests/support/switch.py), wired to a HOUP of its own, on a
loop thread: netmiko, scrapli and napalm block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.users import Credentials


@pytest.fixture
def lab(tmp_path: Path, credentials: Credentials, houp_dir: Path) -> Iterator[ThreadedSwitches]:
    with ThreadedSwitches(tmp_path, credentials, houp_dir) as switches:
        yield switches


@pytest.fixture
def sim(lab: ThreadedSwitches) -> SwitchRig:
    return lab.start(cli=True)
