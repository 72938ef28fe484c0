"""``smartupgrade-sim fleet --addresses --workers``, as processes: every switch on an address of
its own with a switch's ports really bound (NETCONF 830, command line 22, web 443; raised by a
port offset when this test may not bind below 1024), its switches spread over two worker
processes, the inventories leading Ansible, nornir and ``smartupgrade fleet`` to the addresses,
an upgrade through the HOUP's host name from every address, counted in the admin API's metrics;
a worker killed with SIGKILL comes back with its switches on the same addresses while the other
serves on; and a process without CAP_NET_BIND_SERVICE is told so, with the port offset to give
instead."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_server.fleet.inventory import InventoryFormat, inventory_paths
from tests.integration.fleet.test_fleet_upgrade import CATALOGUE
from tests.integration.fleet.test_inventory_tools import netconf_esn
from tests.integration.test_metrics import Samples, health, scrape, value
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import (
    SMARTUPGRADE_SIM,
    FleetProcess,
    fleet_switch,
    port_offset,
    running_fleet,
    smartupgrade_fleet,
)
from tests.support.waiting import blocking_until
from tests.unit.fleet.readers import ansible_inventory, nornir_inventory

ANY_OTHER_PORTS = ("--houp-port=0", "--houp-admin-port=0", "--admin-port=0")
STANDARD = {"netconf_port": 830, "cli_port": 22, "web_port": 443}
RESTART_TIMEOUT = 120.0


def ssh_banner(host: str, port: int) -> bytes:
    with socket.create_connection((host, port), timeout=CLIENT_TIMEOUT) as sock:
        return sock.recv(64)


def tls_handshake(host: str, port: int) -> str | None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=CLIENT_TIMEOUT) as sock,
        context.wrap_socket(sock) as tls,
    ):
        return tls.version()


@pytest.fixture
def address_fleet(
    tmp_path: Path, data_dir: Path, addresses: str
) -> Iterator[tuple[FleetProcess, Path]]:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    inventory = tmp_path / "fleet.yaml"
    with running_fleet(
        data_dir,
        "--count=4",
        f"--addresses={addresses}",
        f"--port-offset={port_offset()}",
        "--workers=2",
        "--clock=60",
        "--reboot-seconds=5",
        f"--catalogue={tmp_path / 'catalogue.yaml'}",
        f"--inventory-out={inventory}",
        *ANY_OTHER_PORTS,
    ) as fleet:
        yield fleet, inventory


def test_switches_at_addresses_of_their_own_across_workers_reached_by_every_tool(
    address_fleet: tuple[FleetProcess, Path], addresses: str, tmp_path: Path
) -> None:
    fleet, inventory = address_fleet
    offset = port_offset()
    first = addresses.split("/", maxsplit=1)[0]
    hosts = [first[: -len(".1")] + f".{n}" for n in range(1, 5)]
    assert (
        f"Switches on {hosts[0]}..{hosts[-1]}, one address each: NETCONF over SSH on port "
        f"{830 + offset}, VRP command line on port {22 + offset}, web (HTTPS) on port "
        f"{443 + offset}"
    ) in fleet.banner
    assert "Workers: 2 processes" in fleet.banner
    switches = fleet.switches()
    assert [(s["address"], s["worker"]) for s in switches.values()] == [
        (hosts[0], 0),
        (hosts[1], 0),
        (hosts[2], 1),
        (hosts[3], 1),
    ]
    for switch in switches.values():
        assert {key: switch[key] - offset for key in STANDARD} == STANDARD
        assert ssh_banner(switch["address"], switch["netconf_port"]).startswith(b"SSH-2.0-")
        assert ssh_banner(switch["address"], switch["cli_port"]).startswith(b"SSH-2.0-")
        assert tls_handshake(switch["address"], switch["web_port"]) is not None

    paths = inventory_paths(inventory)
    own = yaml.safe_load(inventory.read_text())
    assert own["defaults"]["port"] == 830 + offset
    assert own["switches"] == [{"name": name, "host": s["address"]} for name, s in switches.items()]
    listing = ansible_inventory(paths[InventoryFormat.ANSIBLE], tmp_path / "ansible")
    for name, variables in listing["_meta"]["hostvars"].items():
        assert variables["ansible_host"] == switches[name]["address"]
        esn = netconf_esn(
            variables["ansible_host"],
            variables["ansible_port"],
            variables["ansible_user"],
            variables["ansible_password"],
            {"hostkey_verify": False, "look_for_keys": False},
        )
        assert esn == switches[name]["esn"]
    for name, host in nornir_inventory(paths[InventoryFormat.NORNIR]).hosts.items():
        netconf = host.get_connection_parameters("netconf")
        assert (netconf.hostname, netconf.port) == (switches[name]["address"], 830 + offset)
        assert netconf.hostname is not None and netconf.username is not None
        assert netconf.port is not None
        esn = netconf_esn(
            netconf.hostname,
            netconf.port,
            netconf.username,
            netconf.password,
            netconf.extras or {},
        )
        assert esn == switches[name]["esn"]

    # each switch, whichever its address and worker, reaches the HOUP by its host name
    for command in (("ssl-policy", "houp"), ("enable",), ("--yes", "right-now")):
        run = smartupgrade_fleet(inventory, *command)
        assert run.code == ExitCode.OK, run.stderr
        assert [row["host"] for row in run.rows.values()] == hosts
    shown = fleet.switches()
    assert {(s["software"], s["state"]) for s in shown.values()} == {("V200R024C00", "running")}

    # the admin API's metrics gather both workers' switches and the HOUP of the fleet's process
    samples = scrape(fleet.admin_url)
    assert {name: value(samples, "smartupgrade_switch_up", switch=name) for name in shown} == (
        dict.fromkeys(shown, 1)
    )
    changed = {
        dict(labels)["switch"]
        for name, labels in samples
        if name == "smartupgrade_upgrade_status_changes_total"
    }
    assert changed == set(shown)
    assert value(samples, "smartupgrade_houp_bytes_sent_total", door="default") >= 4 * 524288
    assert health(fleet.admin_url) == (200, {"status": "ok", "switches": {"running": 4}})


def sample(samples: Samples, name: str, **labels: str) -> float:
    """A sample that must be in the scrape."""
    return samples[name, frozenset(labels.items())]


def test_a_worker_killed_comes_back_with_its_switches_while_the_other_serves_on(
    address_fleet: tuple[FleetProcess, Path],
) -> None:
    fleet, _ = address_fleet
    switches = fleet.switches()
    survivor, victim = switches["sw-1"], switches["sw-3"]
    before = fleet.workers()
    assert [(w["state"], w["first"], w["last"], w["restarts"]) for w in before] == [
        ("running", "sw-1", "sw-2", 0),
        ("running", "sw-3", "sw-4", 0),
    ]
    session = fleet_switch(survivor).ncclient(timeout=CLIENT_TIMEOUT)
    killed = before[1]["pid"]
    os.kill(killed, signal.SIGKILL)
    # until it is back (a new process, a second or more) its switches are down in the metrics
    samples = scrape(fleet.admin_url)
    assert [sample(samples, "smartupgrade_fleet_worker_up", worker=w) for w in "01"] == [1, 0]
    assert [sample(samples, "smartupgrade_switch_up", switch=f"sw-{i}") for i in (1, 3, 4)] == [
        1,
        0,
        0,
    ]

    def restarted() -> dict[str, Any] | None:
        worker = fleet.workers()[1]
        return worker if worker["state"] == "running" and worker["pid"] != killed else None

    after = blocking_until(restarted, "worker 1 started again", RESTART_TIMEOUT)
    assert (after["restarts"], after["last_exit"]) == (1, "killed by SIGKILL")
    samples = scrape(fleet.admin_url)
    assert [sample(samples, "smartupgrade_fleet_worker_up", worker=w) for w in "01"] == [1, 1]
    restarts = [sample(samples, "smartupgrade_fleet_worker_restarts_total", worker=w) for w in "01"]
    assert restarts == [0, 1]
    # the other worker's session never noticed
    assert session.get(("subtree", "<smart-upgrade/>")).ok
    session.close_session()
    back = fleet.switches()
    for name in ("sw-3", "sw-4"):
        assert (back[name]["state"], back[name]["worker"]) == ("running", 1)
        assert back[name]["address"] == switches[name]["address"]
        assert ssh_banner(back[name]["address"], back[name]["netconf_port"]).startswith(b"SSH-")
    assert (
        netconf_esn(
            victim["address"], victim["netconf_port"], "admin", "admin", {"hostkey_verify": False}
        )
        == victim["esn"]
    )
    log = fleet.log.read_text()
    assert (
        f"worker 1 (pid {killed}, switches sw-3..sw-4) ended (killed by SIGKILL); starting it "
        "again with its switches"
    ) in log
    assert "worker 1 is back (pid " in log


def test_ports_below_1024_without_the_capability_are_refused_with_an_offset_to_give(
    data_dir: Path, addresses: str
) -> None:
    argv = [str(SMARTUPGRADE_SIM), "fleet", "--count=2", f"--addresses={addresses}"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) drops the capability root has")
        argv = [setpriv, "--bounding-set=-net_bind_service", *argv]
    elif port_offset() == 0:
        pytest.skip("this machine lets every process listen below 1024")
    done = subprocess.run(
        [*argv, f"--data-dir={data_dir}", *ANY_OTHER_PORTS],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    first = addresses.split("/", maxsplit=1)[0]
    assert (
        f"smartupgrade-sim fleet: cannot listen on port 22 of {first}: ports below 1024 (here "
        "22, 443, 830) take root or the capability CAP_NET_BIND_SERVICE, which this process has "
        "not. Either give --port-offset 8000 (then NETCONF on 8830, command line on 8022, web "
        "on 8443), or let Python listen there: sudo setcap cap_net_bind_service=+ep "
    ) in done.stderr
    assert "sysctl net.ipv4.ip_unprivileged_port_start=22" in done.stderr
    # nothing was started: the switches have no data yet
    assert not (data_dir / "switches").exists()
