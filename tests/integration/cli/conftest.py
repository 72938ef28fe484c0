"""Switches managing an AP (tests/support/switch.py) and one HOUP on 127.0.0.1, served by a loop
thread while the ``smartupgrade`` command under test blocks. Their clock is simulated and moved
through each reboot as the switch or its AP goes down, so right-now ends as fast as the bytes
cross HTTPS. Each also serves its own command line, whose display the command's is compared
with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.defaults import AP_DEVICE, AP_FACTORY, identity
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.users import Credentials


@pytest.fixture
def lab(tmp_path: Path, credentials: Credentials, houp_dir: Path) -> Iterator[ThreadedSwitches]:
    with ThreadedSwitches(
        tmp_path,
        credentials,
        houp_dir,
        # the seed's AP example: the display then has every section of the seed's second example
        identity=identity(ap=AP_DEVICE),
        factory=AP_FACTORY,
        through_reboots=True,
        cli=True,
    ) as switches:
        yield switches


@pytest.fixture
def sim(lab: ThreadedSwitches) -> SwitchRig:
    return lab.start()
