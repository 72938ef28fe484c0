"""A fleet's data directory with users and host keys made once per session, and ``smartupgrade
fleet --json`` as a subprocess against the inventory ``smartupgrade-sim fleet`` writes (the sim
rig, tests/support/sim.py, runs the fleet)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smartupgrade_server.fleet.inventory import PASSWORD_VARIABLE
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import (
    FLEET_ANY_PORTS,
    SMARTUPGRADE,
    FleetProcess,
    admin_request,
    running_fleet,
)
from tests.support.users import Credentials

# what tests import from here, also from other branches: their home is tests/support
__all__ = ["FleetProcess", "admin_request", "running_fleet"]
ANY_PORTS = FLEET_ANY_PORTS


@pytest.fixture
def data_dir(tmp_path: Path, credentials: Credentials) -> Path:
    """A fleet's data directory holding the session's users and host keys."""
    return credentials.data_dir(tmp_path / "fleet")


@dataclass(frozen=True)
class FleetRun:
    code: int
    rows: dict[str, dict[str, Any]]
    stderr: str


def smartupgrade_fleet(
    inventory: Path, *command: str, environment: Mapping[str, str] | None = None
) -> FleetRun:
    """``smartupgrade fleet INVENTORY --json COMMAND...``: its exit code and each switch's row
    (none when it ran on no switch); the inventory's password variable only if given."""
    argv = [str(SMARTUPGRADE), "fleet", str(inventory), "--json", "--concurrency=20", *command]
    inherited = {key: value for key, value in os.environ.items() if key != PASSWORD_VARIABLE}
    done = subprocess.run(
        argv,
        env={**inherited, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    try:
        rows = json.loads(done.stdout) if done.stdout else []
    except json.JSONDecodeError:
        raise AssertionError(
            f"{argv} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        ) from None
    return FleetRun(done.returncode, {row["switch"]: row for row in rows}, done.stderr)
