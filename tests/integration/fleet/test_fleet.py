"""A fleet in-process: one switch started, stopped, reset or crashed through the admin API while
the others keep serving their sessions; a port taken or a data directory that cannot be written
fails that switch alone, with a reason that says why."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from lxml import etree

from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_client.errors import SmartUpgradeError
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.__main__ import main
from smartupgrade_server.datastore.store import STARTUP_FILE
from smartupgrade_server.fleet.admin import FleetAdmin
from smartupgrade_server.fleet.fleet import Fleet
from smartupgrade_server.fleet.member import SWITCHES_DIR, SwitchState
from smartupgrade_server.fleet.spec import FleetSpec, GroupSpec
from tests.support.users import ADMIN, Server

HOST = "127.0.0.1"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SAVE_RUNNING = etree.fromstring(
    f'<copy-config xmlns="{NC}"><target><startup/></target><source><running/></source>'
    "</copy-config>"
)
NAMES = ("sw-1", "sw-2", "sw-3")
RUNNING, STOPPED, FAILED = SwitchState.RUNNING, SwitchState.STOPPED, SwitchState.FAILED


def three_switches(base_port: int = 0, cli_base_port: int | None = None) -> FleetSpec:
    return FleetSpec(
        groups=(GroupSpec("sw", len(NAMES), ("S5732-H", "S2720-EI")),),
        host=HOST,
        base_port=base_port,
        cli_base_port=cli_base_port,
        houp_port=0,
        houp_admin_port=0,
        admin_port=0,
    )


@dataclass
class Lab:
    fleet: Fleet
    admin: aiohttp.ClientSession

    async def request(self, method: str, path: str, status: int = 200) -> Any:
        async with self.admin.request(method, path) as response:
            assert response.status == status, await response.text()
            if response.content_type == "application/json":
                return await response.json()
            return await response.text()

    def states(self) -> dict[str, SwitchState]:
        return {member.spec.name: member.state for member in self.fleet.members}

    def ports(self, name: str) -> tuple[int, int | None]:
        member = self.fleet.member(name)
        return member.netconf_port, member.cli_port

    async def connect(self, name: str) -> AsyncSmartUpgradeClient:
        server = Server(HOST, self.fleet.member(name).netconf_port, ADMIN.name, ADMIN.password)
        return await server.async_sdk(timeout=10)

    async def esn(self, client: AsyncSmartUpgradeClient) -> str | None:
        return (await client.read()).local_information.esn


@asynccontextmanager
async def started(spec: FleetSpec, data_dir: Path) -> AsyncIterator[Lab]:
    fleet = await Fleet.start(spec, data_dir)
    try:
        admin = await FleetAdmin.start(fleet, HOST, 0)
        try:
            async with aiohttp.ClientSession(f"http://{HOST}:{admin.port}") as session:
                yield Lab(fleet, session)
        finally:
            await admin.close()
    finally:
        await fleet.close()


@pytest.fixture
async def lab(data_dir: Path) -> AsyncIterator[Lab]:
    async with started(three_switches(), data_dir) as running:
        assert running.states() == dict.fromkeys(NAMES, RUNNING)
        yield running


async def listening(port: int | None) -> bool:
    assert port
    try:
        _, writer = await asyncio.open_connection(HOST, port)
    except ConnectionRefusedError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def taken_port(neighbours_free: int) -> socket.socket:
    """A listening socket whose port is followed by ``neighbours_free`` free ones."""
    for _ in range(20):
        taken = socket.socket()
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            for neighbour in range(port + 1, port + 1 + neighbours_free):
                with socket.socket() as probe:
                    probe.bind((HOST, neighbour))
        except OSError:
            taken.close()
            continue
        return taken
    raise RuntimeError("no port with free neighbours found")


async def test_one_switch_stops_crashes_and_starts_while_the_others_serve(lab: Lab) -> None:
    ports = lab.ports("sw-1")
    async with await lab.connect("sw-2") as other:
        other_esn = await lab.esn(other)
        assert other_esn == lab.fleet.member("sw-2").spec.esn

        stopped = await lab.request("POST", "/switches/sw-1/stop")
        assert (stopped["name"], stopped["state"], stopped["reason"]) == ("sw-1", "stopped", None)
        assert (stopped["netconf_port"], stopped["cli_port"]) == ports
        assert not await listening(ports[0])
        assert not await listening(ports[1])
        assert lab.states() == {"sw-1": STOPPED, "sw-2": RUNNING, "sw-3": RUNNING}
        # the same session, across the other switch's stop
        assert await lab.esn(other) == other_esn

        restarted = await lab.request("POST", "/switches/sw-1/start")
        assert restarted["state"] == "running"
        assert (restarted["netconf_port"], restarted["cli_port"]) == ports
        victim = await lab.connect("sw-1")
        assert await lab.esn(victim) == lab.fleet.member("sw-1").spec.esn

        crashed = await lab.request("POST", "/switches/sw-1/crash")
        assert crashed["state"] == "crashed"
        assert crashed["reason"] == "crashed (injected through the admin API)"
        with pytest.raises(SmartUpgradeError):
            await lab.esn(victim)
        with suppress(SmartUpgradeError):
            await victim.close()
        assert not await listening(ports[0])
        assert (await lab.request("GET", "/switches/sw-1"))["state"] == "crashed"
        assert await lab.esn(other) == other_esn

        assert (await lab.request("POST", "/switches/sw-1/start"))["state"] == "running"
        assert lab.ports("sw-1") == ports
        async with await lab.connect("sw-1") as back:
            assert await lab.esn(back) == lab.fleet.member("sw-1").spec.esn
        assert await lab.esn(other) == other_esn
    assert lab.states() == dict.fromkeys(NAMES, RUNNING)


async def test_every_switch_at_once(lab: Lab) -> None:
    ports = {name: lab.ports(name) for name in NAMES}
    stopped = await lab.request("POST", "/switches/stop")
    assert [(s["name"], s["state"]) for s in stopped] == [(name, "stopped") for name in NAMES]
    for netconf, cli in ports.values():
        assert not await listening(netconf)
        assert not await listening(cli)

    started_again = await lab.request("POST", "/switches/start")
    assert {s["state"] for s in started_again} == {"running"}
    assert {name: lab.ports(name) for name in NAMES} == ports
    for netconf, cli in ports.values():
        assert await listening(netconf)
        assert await listening(cli)

    reset = await lab.request("POST", "/switches/reset")
    assert {s["state"] for s in reset} == {"running"}
    for name in NAMES:
        async with await lab.connect(name) as client:
            assert await lab.esn(client) == lab.fleet.member(name).spec.esn


async def test_what_the_admin_api_does_not_know(lab: Lab) -> None:
    missing = await lab.request("GET", "/switches/sw-9", status=404)
    assert missing == {"error": "no switch 'sw-9' in the fleet"}
    assert await lab.request("POST", "/switches/sw-9/stop", status=404) == missing
    assert await lab.request("POST", "/switches/sw-1/explode", status=404) == {
        "error": "actions on a switch: start, stop, reset, crash"
    }
    # crashing every switch at once is no action of the fleet's
    assert await lab.request("POST", "/switches/crash", status=404) == {
        "error": "actions on every switch: start, stop, reset"
    }
    assert await lab.request("GET", "/inventory/csv", status=404) == {
        "error": "inventory formats: smartupgrade, ansible, nornir"
    }
    assert lab.states() == dict.fromkeys(NAMES, RUNNING)


async def test_the_inventories_of_the_admin_api_name_every_switch_and_port(lab: Lab) -> None:
    own = yaml.safe_load(await lab.request("GET", "/inventory/smartupgrade"))
    assert [(s["name"], s["port"]) for s in own["switches"]] == [
        (name, lab.ports(name)[0]) for name in NAMES
    ]
    nornir = yaml.safe_load(await lab.request("GET", "/inventory/nornir"))
    assert {
        name: host["connection_options"]["netmiko"]["port"] for name, host in nornir.items()
    } == {name: lab.ports(name)[1] for name in NAMES}
    ansible = yaml.safe_load(await lab.request("GET", "/inventory/ansible"))
    assert list(ansible["all"]["children"]["sw"]["hosts"]) == list(NAMES)


async def test_reset_wipes_the_data_directory(lab: Lab) -> None:
    async with await lab.connect("sw-1") as client:
        await client.set_url("10.0.0.1")
        await client.call(SAVE_RUNNING)
    left_over = lab.fleet.member("sw-1").data_dir / "flash" / "left-over.cc"
    left_over.write_bytes(b"an old image")
    ports = lab.ports("sw-1")

    # a stop and a start keep what the switch keeps on disk
    await lab.request("POST", "/switches/sw-1/stop")
    await lab.request("POST", "/switches/sw-1/start")
    async with await lab.connect("sw-1") as client:
        assert (await client.read_config()).url == "10.0.0.1"

    async with await lab.connect("sw-2") as other:
        other_esn = await lab.esn(other)
        assert (await lab.request("POST", "/switches/sw-1/reset"))["state"] == "running"
        assert await lab.esn(other) == other_esn
    assert lab.ports("sw-1") == ports
    assert not left_over.exists()
    async with await lab.connect("sw-1") as client:
        assert (await client.read_config()).url == SmartUpgrade().url


async def test_a_taken_port_fails_that_switch_alone(data_dir: Path) -> None:
    taken = taken_port(neighbours_free=len(NAMES) - 1)
    port = taken.getsockname()[1]
    try:
        async with started(three_switches(port, cli_base_port=-1), data_dir) as lab:
            assert lab.states() == {"sw-1": FAILED, "sw-2": RUNNING, "sw-3": RUNNING}
            failed = await lab.request("GET", "/switches/sw-1")
            assert failed["state"] == "failed"
            assert failed["reason"].startswith("cannot listen, port in use")
            assert str(port) in failed["reason"]
            async with await lab.connect("sw-2") as client:
                assert await lab.esn(client) == lab.fleet.member("sw-2").spec.esn

            taken.close()
            restarted = await lab.request("POST", "/switches/sw-1/start")
            assert (restarted["state"], restarted["reason"]) == ("running", None)
            assert restarted["netconf_port"] == port
            async with await lab.connect("sw-1") as client:
                assert await lab.esn(client) == lab.fleet.member("sw-1").spec.esn
    finally:
        taken.close()


async def test_a_data_directory_that_cannot_be_written_fails_that_switch_alone(
    data_dir: Path,
) -> None:
    blocked = data_dir / SWITCHES_DIR / "sw-2"
    blocked.parent.mkdir()
    blocked.write_text("a file where the switch's directory goes")
    async with started(three_switches(), data_dir) as lab:
        assert lab.states() == {"sw-1": RUNNING, "sw-2": FAILED, "sw-3": RUNNING}
        failed = await lab.request("GET", "/switches/sw-2")
        assert failed["state"] == "failed"
        assert failed["reason"] == f"{blocked} is in the way: a directory is needed there"
        for name in ("sw-1", "sw-3"):
            async with await lab.connect(name) as client:
                assert await lab.esn(client) == lab.fleet.member(name).spec.esn

        blocked.unlink()
        assert (await lab.request("POST", "/switches/sw-2/start"))["state"] == "running"
        async with await lab.connect("sw-2") as client:
            assert await lab.esn(client) == lab.fleet.member("sw-2").spec.esn


async def test_a_switch_that_crashes_while_starting_is_reset_to_the_factory(
    data_dir: Path,
) -> None:
    corrupt = data_dir / SWITCHES_DIR / "sw-3" / STARTUP_FILE
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text("{ half a configuration")
    async with started(three_switches(), data_dir) as lab:
        assert lab.states() == {"sw-1": RUNNING, "sw-2": RUNNING, "sw-3": SwitchState.CRASHED}
        crashed = await lab.request("GET", "/switches/sw-3")
        assert crashed["reason"].startswith("crashed while starting: JSONDecodeError")
        async with await lab.connect("sw-1") as client:
            assert await lab.esn(client) == lab.fleet.member("sw-1").spec.esn

        # starting it again meets the same configuration; a reset starts from the factory's
        assert (await lab.request("POST", "/switches/sw-3/start"))["state"] == "crashed"
        assert (await lab.request("POST", "/switches/sw-3/reset"))["state"] == "running"
        async with await lab.connect("sw-3") as client:
            assert await lab.esn(client) == lab.fleet.member("sw-3").spec.esn


def test_the_command_exits_1_when_no_switch_can_start(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with taken_port(neighbours_free=0) as taken:
        port = taken.getsockname()[1]
        code = main(
            [
                "fleet",
                "--count=1",
                f"--data-dir={data_dir}",
                f"--base-port={port}",
                "--cli-base-port=-1",
                "--houp-port=0",
                "--houp-admin-port=0",
                "--admin-port=0",
            ]
        )
    banner = capsys.readouterr().out
    assert code == 1, banner
    assert "Fleet of 1 switches ready" in banner
    assert "0 running, 1 failed" in banner
    assert "sw-1 failed: cannot listen, port in use" in banner
    assert str(port) in banner.split("sw-1 failed: ")[1]
    assert banner.endswith("No switch is running: exiting.\n")
