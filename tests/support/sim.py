"""The sim rig: ``smartupgrade-sim`` (one switch) and ``smartupgrade-sim fleet`` as subprocesses,
started the way the README and docs/fleet.md start them, every port chosen by the OS (or, for a
fleet at addresses of its own, on a free /24 of the loopback), their log beside their data
directory, stopped by SIGTERM at the end of the block; and ``smartupgrade fleet`` against the
inventory such a fleet writes."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from smartupgrade_server.fleet.inventory import PASSWORD_VARIABLE
from smartupgrade_server.fleet.spec import STANDARD_PORTS
from smartupgrade_server.sim.command import any_free_ports
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.users import Server

T = TypeVar("T")
# the console scripts installed next to the interpreter running the tests
SMARTUPGRADE_SIM = Path(sys.executable).with_name("smartupgrade-sim")
SMARTUPGRADE = SMARTUPGRADE_SIM.with_name("smartupgrade")
# the last line of both commands' banner
READY = "Serving until Ctrl+C or SIGTERM."
_LISTENING = re.compile(r"NETCONF over SSH on (\S+):(\d+)")
_LOG_PROBLEMS = re.compile(r"^.*(?:Traceback| ERROR | CRITICAL ).*$", re.MULTILINE)
# the admin APIs a fleet's (or a HOUP's) banner names
FLEET_ADMIN = re.compile(r"^Fleet admin: (http://\S+?)/switches ", re.MULTILINE)
HOUP_ADMIN = re.compile(r"faults: (http://\S+?)/faults", re.MULTILINE)
_HOUP_ALONE = re.compile(r"HOUP over HTTPS on \S+:(\d+); faults: (http://\S+?)/faults")
# every port of a fleet the OS's choice: other fleets and test runs share the machine
FLEET_ANY_PORTS = ("--base-port=0", "--houp-port=0", "--houp-admin-port=0", "--admin-port=0")
# what the tests add to a switch's standard ports when they may not bind below 1024
UNPRIVILEGED_OFFSET = 20000


@dataclass(frozen=True)
class Sim:
    """A running ``smartupgrade-sim``: its address, what it printed up to :data:`READY`, and
    its process (whose output goes on after the banner)."""

    server: Server
    banner: str
    process: subprocess.Popen[str]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def listening_address(line: str) -> tuple[str, int] | None:
    """The address in the line ``smartupgrade-sim`` prints once it listens."""
    match = _LISTENING.search(line)
    return None if match is None else (match.group(1), int(match.group(2)))


def log_problems(log: str) -> list[str]:
    """Lines of the server's log that report a crash or an error."""
    return _LOG_PROBLEMS.findall(log)


@contextmanager
def running_sim(data_dir: Path, model: str, *options: str) -> Iterator[Sim]:
    """``smartupgrade-sim`` on 127.0.0.1 with the data of ``data_dir`` (a new one, or one
    holding users and host keys already), ``model`` on its first start, and further
    command-line ``options``; its log goes to ``data_dir``'s name + ``.log``."""
    log_path = data_dir.with_name(f"{data_dir.name}.log")
    argv = [
        str(SMARTUPGRADE_SIM),
        f"--data-dir={data_dir}",
        "--host=127.0.0.1",
        # every port: several sims (and other test runs) share the machine
        *any_free_ports(),
        f"--model={model}",
        *options,
    ]
    with sim_process(argv, log_path) as process:
        banner = first_line(process, log_path, _banner_reader())
        address = listening_address(banner)
        assert address is not None, banner
        host, port = address
        server = Server(host, port, DEFAULT_USERNAME, DEFAULT_PASSWORD)
        yield Sim(server, banner, process, log_path)


@contextmanager
def sim_process(argv: Sequence[str], log_path: Path) -> Iterator[subprocess.Popen[str]]:
    """``argv`` (``smartupgrade-sim ...``) in a subprocess whose stdout is a pipe (read its
    banner with :func:`first_line`) and whose log goes to ``log_path``; stopped when the block
    ends."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True
        )
    try:
        yield process
    finally:
        # SIGTERM: the sim ends its sessions and exits
        process.terminate()
        try:
            process.wait(timeout=CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def first_line(
    process: subprocess.Popen[str], log_path: Path, parse: Callable[[str], T | None]
) -> T:
    """What ``parse`` makes of the first line of the process's output it recognises;
    RuntimeError with the log if the process exits before printing one."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"smartupgrade-sim exited with {process.wait()}:\n{log_path.read_text()}"
            )
        found = parse(line)
        if found is not None:
            return found


def _banner_reader() -> Callable[[str], str | None]:
    """A :func:`first_line` parser: the lines read so far, once :data:`READY` is among them."""
    lines: list[str] = []

    def read(line: str) -> str | None:
        lines.append(line.rstrip("\n"))
        return "\n".join(lines) if lines[-1] == READY else None

    return read


def admin_request(url: str, method: str = "GET") -> Any:
    """A JSON answer of a fleet's (or a HOUP's) admin API."""
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
        return json.load(response)


@dataclass(frozen=True)
class FleetProcess:
    """A running ``smartupgrade-sim fleet``: its banner and admin addresses."""

    banner: str
    admin_url: str
    houp_admin_url: str
    log: Path

    def switches(self) -> dict[str, dict[str, Any]]:
        """``GET /switches`` by name."""
        return {switch["name"]: switch for switch in admin_request(f"{self.admin_url}/switches")}

    def workers(self) -> list[dict[str, Any]]:
        """``GET /workers``."""
        workers: list[dict[str, Any]] = admin_request(f"{self.admin_url}/workers")
        return workers


def fleet_switch(switch: Mapping[str, Any]) -> Server:
    """The NETCONF address of a switch of ``GET /switches``, as its default user."""
    return Server(switch["address"], switch["netconf_port"], DEFAULT_USERNAME, DEFAULT_PASSWORD)


@contextmanager
def running_fleet(data_dir: Path, *options: str) -> Iterator[FleetProcess]:
    """``smartupgrade-sim fleet`` with ``options`` (a fleet file or ``--count N``, ports...),
    until the block ends; its log goes beside ``data_dir``, and it must exit cleanly."""
    log_path = data_dir.with_name(f"{data_dir.name}.log")
    argv = [str(SMARTUPGRADE_SIM), "fleet", f"--data-dir={data_dir}", *options]
    with sim_process(argv, log_path) as process:
        text = first_line(process, log_path, _banner_reader())
        admin, houp_admin = FLEET_ADMIN.search(text), HOUP_ADMIN.search(text)
        assert admin is not None and houp_admin is not None, text
        yield FleetProcess(text, admin.group(1), houp_admin.group(1), log_path)
    # after the block, so that a crash on the way out is reported too
    assert process.returncode == 0, log_path.read_text()


@contextmanager
def running_houp_process(data_dir: Path, catalogue: Path) -> Iterator[str]:
    """``smartupgrade-sim houp`` serving ``catalogue`` on ports of the OS's choosing, until the
    block ends; yields its admin URL. It must exit cleanly."""
    argv = [
        str(SMARTUPGRADE_SIM),
        "houp",
        f"--data-dir={data_dir}",
        "--port=0",
        "--admin-port=0",
        f"--catalogue={catalogue}",
    ]
    log_path = data_dir.with_name(f"{data_dir.name}.log")
    with sim_process(argv, log_path) as process:
        found = first_line(process, log_path, _HOUP_ALONE.search)
        yield found.group(2)
    assert process.returncode == 0, log_path.read_text()


def port_offset() -> int:
    """0 when this process may listen below 1024, else :data:`UNPRIVILEGED_OFFSET`."""
    refused = _bind("127.0.0.1", 830)
    return UNPRIVILEGED_OFFSET if isinstance(refused, PermissionError) else 0


def free_addresses() -> str:
    """A /24 of the loopback on whose first address nothing listens on a switch's ports (plus
    :func:`port_offset`), for ``smartupgrade-sim fleet --addresses``."""
    ports = [port + port_offset() for port in STANDARD_PORTS.values()]
    for _ in range(50):
        first = f"127.{random.randint(200, 254)}.{random.randint(0, 255)}.1"
        if all(_bind(first, port) is None for port in ports):
            return f"{first}/24"
    raise AssertionError("no free /24 on the loopback")


def _bind(address: str, port: int) -> OSError | None:
    with socket.socket() as sock:
        try:
            sock.bind((address, port))
        except OSError as error:
            return error
    return None


@dataclass(frozen=True)
class FleetRun:
    """What ``smartupgrade fleet --json`` did: its exit code, each switch's row, its stderr."""

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
