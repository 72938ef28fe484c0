"""Switches at addresses of their own (``addresses``, ``port_offset``), each on a real switch's
ports, and how a fleet is shared out among worker processes: the spec, its mistakes, the check
of where this process may listen, and the inventories of such a fleet read back by the tools."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

from smartupgrade_client.cli.fleet import Target, load_inventory
from smartupgrade_server.fleet.command import fleet_spec, parse_arguments
from smartupgrade_server.fleet.fleet import RESERVED_FILES
from smartupgrade_server.fleet.inventory import (
    InventoryFormat,
    Login,
    entries_of,
    write_inventories,
)
from smartupgrade_server.fleet.listening import CannotListenError, check_listening
from smartupgrade_server.fleet.member import SwitchState, switch_json
from smartupgrade_server.fleet.spec import (
    FleetSpec,
    FleetSpecError,
    Service,
    parse_fleet,
    shares,
)
from smartupgrade_server.fleet.workers import default_workers, worker_count
from tests.unit.fleet.readers import ansible_inventory, nornir_inventory

HERE = Path("/fleet-files")
GROUP = {"name": "g", "count": 3}


def fleet(count: int = 3, **members: Any) -> FleetSpec:
    return parse_fleet({"groups": [{"name": "g", "count": count}], **members}, HERE, {})


def test_each_switch_at_its_own_address_on_a_switchs_ports() -> None:
    spec = fleet(addresses="127.1.0.254/16")
    assert [s.host for s in spec.switches] == ["127.1.0.254", "127.1.0.255", "127.1.1.0"]
    assert {(s.netconf_port, s.cli_port, s.web_port) for s in spec.switches} == {(830, 22, 443)}
    assert spec.services == (Service.NETCONF, Service.CLI, Service.WEB)
    # the admin API stays where it was
    assert spec.host == "127.0.0.1"


def test_a_port_offset_raises_every_port_and_minus_one_turns_a_service_off() -> None:
    spec = fleet(addresses="127.1.0.1/24", port_offset=8000)
    assert spec.switches[0].ports() == {
        Service.NETCONF: 8830,
        Service.CLI: 8022,
        Service.WEB: 8443,
    }
    spec = fleet(addresses="127.1.0.1/24", cli_base_port=-1, web_base_port=-1)
    assert spec.switches[0].ports() == {Service.NETCONF: 830}
    assert spec.services == (Service.NETCONF,)


def test_ipv6_addresses() -> None:
    spec = fleet(2, addresses="fd00::1/64")
    assert [s.host for s in spec.switches] == ["fd00::1", "fd00::2"]


def test_on_one_address_the_web_takes_ports_of_its_own_when_asked() -> None:
    assert fleet().services == (Service.NETCONF, Service.CLI)
    spec = fleet(base_port=20000, web_base_port=40000)
    assert [s.web_port for s in spec.switches] == [40000, 40001, 40002]
    assert {s.host for s in spec.switches} == {"127.0.0.1"}


@pytest.mark.parametrize(
    "members, message",
    [
        ({"addresses": "127.1.0.1"}, "addresses: expected the first address and its network"),
        ({"addresses": "127.1.0.300/16"}, "such as 127.1.0.1/16, got '127.1.0.300/16'"),
        ({"addresses": "localhost/8"}, "such as 127.1.0.1/16"),
        (
            {"addresses": "127.1.0.253/24"},
            "addresses 127.1.0.253/24 leave room for 3 switches from 127.1.0.253, not 4",
        ),
        ({"addresses": "127.1.0.1/16", "base_port": 830}, "base_port goes with one address"),
        (
            {"addresses": "127.1.0.1/16", "cli_base_port": 2200},
            "cli_base_port: with addresses every switch listens on port 22",
        ),
        (
            {"addresses": "127.1.0.1/16", "web_base_port": 0},
            "-1 turns the web off",
        ),
        ({"port_offset": 8000}, "port_offset goes with addresses"),
        (
            {"addresses": "127.1.0.1/16", "port_offset": 65000},
            "port_offset 65000 takes ports beyond 65535 (65830)",
        ),
        ({"addresses": "127.1.0.1/16", "port_offset": -1}, "port_offset: expected a port"),
        (
            {"base_port": 20000, "web_base_port": 20002},
            "the NETCONF ports from 20000 and the web ports from 20002 overlap for 4",
        ),
        ({"web_base_port": 65534}, "web_base_port 65534 leaves no room for 4 switches"),
        ({"workers": 0}, "workers: expected a whole number >= 1, got 0"),
        ({"workers": "2"}, "workers: expected a whole number"),
    ],
)
def test_mistakes_say_what_to_fix(members: dict[str, Any], message: str) -> None:
    with pytest.raises(FleetSpecError, match=re.escape(message)):
        fleet(4, **members)


def test_the_command_line_gives_addresses_offset_web_and_workers() -> None:
    spec = fleet_spec(
        parse_arguments(
            [
                *("--count", "2", "--addresses", "127.2.0.1/24", "--port-offset", "10000"),
                *("--workers", "3", "--web-base-port=-1"),
            ]
        )
    )
    assert [(s.host, s.netconf_port, s.cli_port, s.web_port) for s in spec.switches] == [
        ("127.2.0.1", 10830, 10022, None),
        ("127.2.0.2", 10830, 10022, None),
    ]
    assert spec.workers == 3


def test_workers_share_the_switches_in_runs_as_even_as_they_come() -> None:
    assert shares(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert shares(2, 2) == [range(0, 1), range(1, 2)]


def test_the_number_of_workers_keeps_each_within_the_open_files_limit() -> None:
    spec = fleet(10_000, addresses="127.1.0.1/16")
    # three listening sockets and a session each: 4 files a switch
    limit = 20_000
    per_worker = (limit - RESERVED_FILES) // 4
    needed = -(-10_000 // per_worker)
    assert needed == 3
    assert worker_count(spec, None, limit) == max(default_workers(), needed)
    assert worker_count(spec, 8, limit) == 8
    with pytest.raises(FleetSpecError) as refused:
        worker_count(spec, 2, limit)
    assert str(refused.value) == (
        "workers 2: 10000 switches with 3 listening sockets each need at least 3 worker "
        "processes to stay within 20000 open files per process (ulimit -Hn; 4 files a switch, "
        f"{RESERVED_FILES} for the process itself): give 3 or more"
    )
    # never more workers than switches
    assert worker_count(fleet(2), 16, limit) == 2


def test_an_address_that_is_not_this_machines_is_refused_before_anything_starts() -> None:
    # TEST-NET-1 (RFC 5737): on no machine's interface
    with pytest.raises(
        CannotListenError, match=re.escape("192.0.2.1: it is not an address of this")
    ):
        check_listening(fleet(addresses="192.0.2.1/24", port_offset=20000))


def test_a_controllers_inventory_is_ip_addresses(tmp_path: Path) -> None:
    spec = fleet(addresses="127.1.0.1/16")
    switches = [
        switch_json(switch, tmp_path, state=SwitchState.RUNNING, reason=None)
        for switch in spec.switches
    ]
    paths = write_inventories(tmp_path / "fleet.yaml", entries_of(switches), Login("a", "b"))
    targets = load_inventory(
        str(paths[InventoryFormat.SMARTUPGRADE]), Target("", "", 8830, "x", None, None)
    )
    assert [(t.name, t.host, t.port) for t in targets] == [
        ("g-1", "127.1.0.1", 830),
        ("g-2", "127.1.0.2", 830),
        ("g-3", "127.1.0.3", 830),
    ]
    own = paths[InventoryFormat.SMARTUPGRADE].read_text()
    assert "port: 830" in own.split("switches:")[0]
    assert "port" not in own.split("switches:")[1]
    listing = ansible_inventory(paths[InventoryFormat.ANSIBLE], tmp_path / "ansible")
    hostvars = listing["_meta"]["hostvars"]
    assert {
        (v["ansible_host"], v["ansible_port"], v["cli_port"], v["web_port"])
        for v in hostvars.values()
    } == {
        ("127.1.0.1", 830, 22, 443),
        ("127.1.0.2", 830, 22, 443),
        ("127.1.0.3", 830, 22, 443),
    }
    hosts = nornir_inventory(paths[InventoryFormat.NORNIR]).hosts
    assert [(h.hostname, h.port) for h in hosts.values()] == [
        ("127.1.0.1", 830),
        ("127.1.0.2", 830),
        ("127.1.0.3", 830),
    ]


def test_a_shard_runs_its_share_with_the_whole_fleets_names_esns_and_addresses() -> None:
    middle = fleet(10, shard="1/3", base_port=20000)
    assert [(s.name, s.index, s.esn[-2:]) for s in middle.switches] == [
        ("g-05", 4, "05"),
        ("g-06", 5, "06"),
        ("g-07", 6, "07"),
    ]
    # alone on its machine, a shard's ports count from the base
    assert [s.netconf_port for s in middle.switches] == [20000, 20001, 20002]
    last = fleet(10, shard="2/3", addresses="127.1.0.1/16")
    assert [s.host for s in last.switches] == ["127.1.0.8", "127.1.0.9", "127.1.0.10"]
    every = [s.name for i in range(3) for s in fleet(10, shard=f"{i}/3").switches]
    assert every == [s.name for s in fleet(10).switches]


@pytest.mark.parametrize(
    "shard, message",
    [
        ("3/3", "shard 3/3: expected I/N with 0 <= I < N <= 4 (the switches)"),
        ("0/5", "shard 0/5: expected I/N with 0 <= I < N <= 4"),
        ("one/3", "shard: expected I/N such as 0/3 (the first of three), got 'one/3'"),
        ("1", "shard: expected I/N"),
    ],
)
def test_a_shard_that_is_not_one(shard: str, message: str) -> None:
    with pytest.raises(FleetSpecError, match=re.escape(message)):
        fleet(4, shard=shard)


def test_switches_on_every_address_are_named_by_the_inventory_host() -> None:
    spec = fleet(2, host="0.0.0.0", inventory_host="shard-0.fleet-shards")
    assert {(s.host, s.address) for s in spec.switches} == {("0.0.0.0", "shard-0.fleet-shards")}
    assert {s.address for s in fleet(1, host="0.0.0.0").switches} == {socket.getfqdn()}
    assert {s.address for s in fleet(1, host="127.0.0.5").switches} == {"127.0.0.5"}


def test_a_houp_elsewhere_has_no_doors_for_groups() -> None:
    document = {
        "houp_url": "http://houp:9080",
        "groups": [{"name": "bad", "count": 1, "houp_faults": {"corrupt_signature": ["*"]}}],
    }
    with pytest.raises(FleetSpecError, match="houp_faults need the fleet's own HOUP"):
        parse_fleet(document, HERE, {})
