"""A fleet's data directory with users and host keys made once per session, ``smartupgrade-sim
fleet`` as a subprocess (as the docs start it, every port picked by the OS), and ``smartupgrade
fleet --json`` as a subprocess against the inventory it writes."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smartupgrade_server.fleet.inventory import PASSWORD_VARIABLE
from smartupgrade_server.fleet.spec import STANDARD_PORTS
from tests.interop.clients import CLIENT_TIMEOUT, SMARTUPGRADE_SIM, first_line, sim_process

SMARTUPGRADE = SMARTUPGRADE_SIM.with_name("smartupgrade")
# every port the OS's choice: other fleets and test runs share the machine
ANY_PORTS = ("--base-port=0", "--houp-port=0", "--houp-admin-port=0", "--admin-port=0")
_READY = "Serving until Ctrl+C or SIGTERM."
_ADMIN = re.compile(r"^Fleet admin: (http://\S+?)/switches ", re.MULTILINE)
_HOUP_ADMIN = re.compile(r"faults: (http://\S+?)/faults", re.MULTILINE)


# what the tests add to a switch's standard ports when they may not bind below 1024
UNPRIVILEGED_OFFSET = 20000


def _bind(address: str, port: int) -> OSError | None:
    with socket.socket() as sock:
        try:
            sock.bind((address, port))
        except OSError as error:
            return error
    return None


@pytest.fixture
def addresses() -> str:
    return free_addresses()


def free_addresses() -> str:
    """A /24 of the loopback on which nothing listens on a switch's ports."""
    for _ in range(50):
        first = f"127.{random.randint(200, 254)}.{random.randint(0, 255)}.1"
        if _free(first):
            return f"{first}/24"
    raise AssertionError("no free /24 on the loopback")


def _free(first: str) -> bool:
    ports = [port + port_offset() for port in STANDARD_PORTS.values()]
    return all(_bind(first, port) is None for port in ports)


def port_offset() -> int:
    """0 when this process may listen below 1024, else UNPRIVILEGED_OFFSET."""
    refused = _bind("127.0.0.1", 830)
    return UNPRIVILEGED_OFFSET if isinstance(refused, PermissionError) else 0


@pytest.fixture
def data_dir(tmp_path: Path, host_keys: Path) -> Path:
    """A fleet's data directory holding the session's users and host keys."""
    directory = tmp_path / "fleet"
    shutil.copytree(host_keys, directory)
    return directory


def admin_request(url: str, method: str = "GET") -> Any:
    """A JSON answer of the fleet's (or the HOUP's) admin API."""
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
        return json.load(response)


@dataclass(frozen=True)
class FleetProcess:
    banner: str
    admin_url: str
    houp_admin_url: str
    log: Path

    def switches(self) -> dict[str, dict[str, Any]]:
        """``GET /switches`` by name."""
        return {switch["name"]: switch for switch in admin_request(f"{self.admin_url}/switches")}


@contextmanager
def running_fleet(data_dir: Path, *options: str) -> Iterator[FleetProcess]:
    """``smartupgrade-sim fleet`` with ``options`` (a fleet file or ``--count N``, ports...),
    until the block ends; its log goes beside ``data_dir``."""
    log_path = data_dir.with_name(f"{data_dir.name}.log")
    argv = [str(SMARTUPGRADE_SIM), "fleet", f"--data-dir={data_dir}", *options]
    banner: list[str] = []

    def whole_banner(line: str) -> str | None:
        banner.append(line.rstrip("\n"))
        return "\n".join(banner) if banner[-1] == _READY else None

    with sim_process(argv, log_path) as process:
        text = first_line(process, log_path, whole_banner)
        admin, houp_admin = _ADMIN.search(text), _HOUP_ADMIN.search(text)
        assert admin is not None and houp_admin is not None, text
        yield FleetProcess(text, admin.group(1), houp_admin.group(1), log_path)
    # after the block, so that a crash on the way out is reported too
    assert process.returncode == 0, log_path.read_text()


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
