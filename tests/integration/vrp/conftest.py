"""A switch with its VRP command line (tests/support/switch.py), wired to a HOUP of its own, on a
loop thread: netmiko, scrapli and napalm block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import IDENTITY, POLICY
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.users import Credentials

# what tests import from here, also from other branches: their home is tests/support
__all__ = ["IDENTITY", "POLICY", "Sim"]

USERNAME, PASSWORD = DEFAULT_USERNAME, DEFAULT_PASSWORD
Sim = SwitchRig


@pytest.fixture
def lab(tmp_path: Path, credentials: Credentials, houp_dir: Path) -> Iterator[ThreadedSwitches]:
    with ThreadedSwitches(tmp_path, credentials, houp_dir) as switches:
        yield switches


@pytest.fixture
def sim(lab: ThreadedSwitches) -> SwitchRig:
    return lab.start(cli=True)
