"""A fleet's data directory with users and host keys made once per session; the sim rig
(tests/support/sim.py) runs the fleet and ``smartupgrade fleet``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.users import Credentials


@pytest.fixture
def data_dir(tmp_path: Path, credentials: Credentials) -> Path:
    """A fleet's data directory holding the session's users and host keys."""
    return credentials.data_dir(tmp_path / "fleet")
