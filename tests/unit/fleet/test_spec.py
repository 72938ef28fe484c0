"""The fleet file and ``--count`` expanded into switches: names, ESNs, models, ports, and every
mistake refused with a message that says what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smartupgrade_server.__main__ import main
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.fleet.command import fleet_spec, parse_arguments
from smartupgrade_server.fleet.spec import (
    FleetSpec,
    FleetSpecError,
    GroupSpec,
    load_fleet_file,
    parse_fleet,
    simple_fleet,
)
from smartupgrade_server.sim.options import DEFAULT_MODEL, ESN_PREFIX

HERE = Path("/fleet-files")


def fleet(*groups: dict[str, Any], **members: Any) -> FleetSpec:
    return parse_fleet({"groups": list(groups), **members}, HERE, {})


def test_groups_expand_in_order_with_names_esns_models_and_ports() -> None:
    spec = fleet(
        {"name": "campus", "count": 3, "models": ["S5732-H", "S2720-EI"]},
        {"name": "edge", "count": 10, "models": "S6730-H", "flash_capacity": "64M"},
        {"name": "bad", "count": 1, "houp_faults": {"corrupt_signature": ["*"]}},
        base_port=20000,
    )
    assert spec.count == 14
    names = [switch.name for switch in spec.switches]
    # zero-padded to the width of the group's count, so that the names sort
    assert names[:5] == ["campus-1", "campus-2", "campus-3", "edge-01", "edge-02"]
    assert names[-2:] == ["edge-10", "bad-1"]
    assert [switch.index for switch in spec.switches] == list(range(14))
    esns = [switch.esn for switch in spec.switches]
    assert len(set(esns)) == 14
    assert esns[0] == f"{ESN_PREFIX}0000001"
    assert esns[-1] == f"{ESN_PREFIX}0000014"
    assert {len(esn) for esn in esns} == {20}
    assert [s.model for s in spec.switches[:4]] == ["S5732-H", "S2720-EI", "S5732-H", "S6730-H"]
    assert spec.switches[-1].model == DEFAULT_MODEL
    assert [s.netconf_port for s in spec.switches] == list(range(20000, 20014))
    assert [s.cli_port for s in spec.switches] == list(range(30000, 30014))
    assert {s.flash_capacity for s in spec.switches if s.group == "edge"} == {64 * 1024**2}
    assert spec.switches[0].flash_capacity == DEFAULT_FLASH_CAPACITY
    # the group with faults of its own goes through the HOUP door named after it
    assert [s.houp_door for s in spec.switches if s.houp_door] == ["bad"]
    assert spec.groups[2].houp_faults == {"corrupt_signature": ["*"]}


def test_only_ap_capable_models_manage_an_ap() -> None:
    ap_capable, access = fleet(
        {"name": "g", "count": 2, "models": ["S5732-H", "S2720-EI"]}
    ).switches
    assert (ap_capable.ap_device_type, ap_capable.ap_software) == (
        "AirEngine 8760-X1-PRO",
        "V200R019C10",
    )
    assert (access.ap_device_type, access.ap_software) == (None, None)


def test_versions_of_a_group() -> None:
    (switch,) = fleet(
        {"name": "g", "count": 1, "software": "V200R019C10", "patch": "", "ap_software": "X"}
    ).switches
    assert (switch.software, switch.patch, switch.ap_software) == ("V200R019C10", None, "X")


def test_command_line_ports_of_their_own_or_none() -> None:
    spec = fleet({"name": "g", "count": 3}, base_port=8830, cli_base_port=2200)
    assert [s.cli_port for s in spec.switches] == [2200, 2201, 2202]
    spec = fleet({"name": "g", "count": 3}, base_port=8830, cli_base_port=-1)
    assert [s.cli_port for s in spec.switches] == [None, None, None]


def test_tls_ports_of_their_own_and_call_home_for_every_switch() -> None:
    spec = fleet({"name": "g", "count": 3}, base_port=8830, tls_base_port=6513)
    assert [s.tls_port for s in spec.switches] == [6513, 6514, 6515]
    assert [s.tls_port for s in fleet({"name": "g", "count": 2}).switches] == [None, None]
    spec = fleet({"name": "g", "count": 2}, tls_base_port=-1, call_home="ssh://ctl:4334")
    assert ([s.tls_port for s in spec.switches], spec.call_home) == (
        [None, None],
        ("ssh://ctl:4334",),
    )
    spec = fleet({"name": "g", "count": 1}, call_home=["ssh://ctl", "tls://[2001:db8::1]:14335"])
    assert spec.call_home == ("ssh://ctl", "tls://[2001:db8::1]:14335")


def test_base_port_zero_gives_every_switch_any_free_port() -> None:
    spec = fleet({"name": "g", "count": 3}, base_port=0)
    assert [(s.netconf_port, s.cli_port) for s in spec.switches] == [(0, 0)] * 3
    spec = fleet({"name": "g", "count": 2}, base_port=0, cli_base_port=2200)
    assert [(s.netconf_port, s.cli_port) for s in spec.switches] == [(0, 2200), (0, 2201)]


def test_defaults_and_other_members() -> None:
    spec = fleet({"name": "g", "count": 1})
    assert (spec.base_port, spec.switches[0].cli_port, spec.clock) == (8830, 18830, "wall")
    assert (spec.houp_port, spec.houp_admin_port, spec.admin_port) == (9443, 9080, 9081)
    spec = fleet(
        {"name": "g", "count": 1},
        host="127.0.0.2",
        clock=60,
        reboot_seconds=5,
        houp_port=0,
        houp_admin_port=0,
        admin_port=0,
    )
    assert (spec.host, spec.clock, spec.reboot_seconds) == ("127.0.0.2", 60.0, 5.0)
    assert (spec.houp_port, spec.houp_admin_port, spec.admin_port) == (0, 0, 0)


@pytest.fixture
def fleet_file_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fleet file naming a relative catalogue, in a directory below the working one."""
    path = tmp_path / "lab" / "fleet.yaml"
    path.parent.mkdir()
    path.write_text("catalogue: cat.yaml\ngroups: [{name: g, count: 1}]\n")
    monkeypatch.chdir(tmp_path)
    return path


def test_a_relative_catalogue_is_found_beside_the_fleet_file(fleet_file_elsewhere: Path) -> None:
    spec = load_fleet_file(fleet_file_elsewhere, {})
    assert spec.catalogue == fleet_file_elsewhere.parent / "cat.yaml"
    assert fleet({"name": "g", "count": 1}, catalogue="/abs/cat.yaml").catalogue == Path(
        "/abs/cat.yaml"
    )


def test_a_relative_catalogue_on_the_command_line_is_relative_to_the_working_directory(
    fleet_file_elsewhere: Path, tmp_path: Path
) -> None:
    spec = fleet_spec(parse_arguments([str(fleet_file_elsewhere), "--catalogue", "mine.yaml"]))
    assert spec.catalogue == tmp_path / "mine.yaml"


def test_command_line_options_win_over_the_fleet_file(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("base_port: 20000\nclock: 60\ngroups: [{name: g, count: 2}]\n")
    spec = fleet_spec(
        parse_arguments([str(path), "--base-port", "0", "--clock", "wall", "--cli-base-port=-1"])
    )
    assert [(s.netconf_port, s.cli_port) for s in spec.switches] == [(0, None), (0, None)]
    assert spec.clock == "wall"


def test_count_makes_one_group_taking_the_models_in_turn() -> None:
    spec = simple_fleet(4, ["S5732-H", "S6730-H"], {"base_port": 0})
    assert spec.groups == (GroupSpec("sw", 4, ("S5732-H", "S6730-H")),)
    assert [(s.name, s.model) for s in spec.switches] == [
        ("sw-1", "S5732-H"),
        ("sw-2", "S6730-H"),
        ("sw-3", "S5732-H"),
        ("sw-4", "S6730-H"),
    ]
    spec = fleet_spec(parse_arguments(["--count", "12", "--model", "S2720-EI"]))
    assert (spec.switches[0].name, spec.switches[-1].name) == ("sw-01", "sw-12")
    assert {s.model for s in spec.switches} == {"S2720-EI"}
    assert spec.switches[-1].netconf_port == 8841


@pytest.mark.parametrize(
    "argv",
    [[], ["f.yaml", "--count", "2"], ["--count", "0"], ["f.yaml", "--model", "S5732-H"]],
)
def test_command_line_mistakes(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_arguments(argv)
    assert exited.value.code == 2


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "the fleet file is a mapping with 'groups'"),
        ({"groups": [{"name": "g", "count": 1}], "switches": 3}, "unknown member switches"),
        ({"groups": []}, "groups: expected a non-empty list"),
        ({"base_port": 1}, "groups: expected a non-empty list"),
        ({"groups": ["g"]}, r"groups\[0\]: expected a mapping"),
        ({"groups": [{"name": "g", "count": 1, "size": 2}]}, r"groups\[0\]: unknown member size"),
        ({"groups": [{"count": 1}]}, r"groups\[0\].name: expected a non-empty string"),
        ({"groups": [{"name": "a b", "count": 1}]}, "letters, digits, '-' and '_' only"),
        ({"groups": [{"name": "g"}]}, r"groups\[0\].count: expected a whole number >= 1"),
        ({"groups": [{"name": "g", "count": 0}]}, "count: expected a whole number >= 1, got 0"),
        ({"groups": [{"name": "g", "count": "3"}]}, "count: expected a whole number"),
        ({"groups": [{"name": "g", "count": True}]}, "count: expected a whole number"),
        ({"groups": [{"name": "g", "count": 1, "models": []}]}, "models: expected a model"),
        (
            {"groups": [{"name": "g", "count": 1, "models": ["S5732-H", "C9300"]}]},
            r"models\[1\]: 'C9300' is not a switch of the S300, S500",
        ),
        (
            {"groups": [{"name": "g", "count": 1, "models": "AirEngine 8760-X1-PRO"}]},
            "is not a switch",
        ),
        (
            {
                "groups": [
                    {"name": "g", "count": 1},
                    {"name": "h", "count": 1},
                    {"name": "g", "count": 2},
                ]
            },
            "groups must have distinct names, '-' and '_' alike: g$",
        ),
        (
            {"groups": [{"name": "g", "count": 1, "software": ""}]},
            r"groups\[0\].software: expected a non-empty string",
        ),
    ],
)
def test_fleet_file_mistakes(document: object, message: str) -> None:
    with pytest.raises(FleetSpecError, match=message):
        parse_fleet(document, HERE, {})


@pytest.mark.parametrize(
    "members, message",
    [
        (
            {"base_port": 65530, "cli_base_port": 2000},
            r"base_port 65530 leaves no room for 10 switches: ports 65530\.\.65539",
        ),
        ({"base_port": 2000, "cli_base_port": 65527}, "cli_base_port 65527 leaves no room"),
        # the command lines default to 10000 above
        ({"base_port": 55530}, "cli_base_port 65530 leaves no room"),
        (
            {"base_port": 20000, "cli_base_port": 20009},
            "the NETCONF ports from 20000 and the command line ports from 20009 overlap",
        ),
        ({"base_port": 20009, "cli_base_port": 20000}, "overlap for 10 switches"),
        ({"base_port": 70000}, "base_port: expected a port number 0..65535, got 70000"),
        ({"houp_port": -1}, "houp_port: expected a port number 0..65535, got -1"),
        ({"admin_port": "9081"}, "admin_port: expected a port number"),
        ({"cli_base_port": -2}, r"cli_base_port: expected a port number 0..65535 or -1 \(off\)"),
        ({"clock": "fast"}, "clock: 'fast' is neither 'wall' nor a positive factor"),
        ({"clock": 0}, "clock: '0' is neither"),
        ({"reboot_seconds": -1}, "reboot_seconds: expected a number >= 0"),
        ({"reboot_seconds": "1m"}, "reboot_seconds: expected a number >= 0"),
        ({"host": ""}, "host: expected a non-empty string"),
        (
            {"base_port": 20000, "tls_base_port": 20005},
            "the NETCONF ports from 20000 and the NETCONF over TLS ports from 20005 overlap",
        ),
        ({"tls_base_port": 65530}, "tls_base_port 65530 leaves no room for 10 switches"),
        ({"call_home": "http://ctl"}, "call_home: 'http://ctl' is not ssh://HOST"),
        ({"call_home": ["ssh://ctl:99999"]}, "call_home: 'ssh://ctl:99999' is not"),
        ({"call_home": {"url": "ssh://ctl"}}, "call_home: expected a URL or a list of URLs"),
    ],
)
def test_port_and_option_mistakes(members: dict[str, Any], message: str) -> None:
    with pytest.raises(FleetSpecError, match=message):
        fleet({"name": "g", "count": 10}, **members)


def test_disjoint_port_ranges_are_accepted() -> None:
    spec = fleet({"name": "g", "count": 10}, base_port=20000, cli_base_port=20010)
    assert (spec.switches[-1].netconf_port, spec.switches[0].cli_port) == (20009, 20010)
    spec = fleet({"name": "g", "count": 10}, base_port=65526, cli_base_port=-1)
    assert spec.switches[-1].netconf_port == 65535


@pytest.mark.parametrize(
    "faults, message",
    [
        (["corrupt_signature"], "houp_faults: expected a mapping of HOUP faults"),
        ({"corrupt_everything": True}, "houp_faults: unknown fault 'corrupt_everything'"),
        ({"corrupt_signature": "*"}, "houp_faults: corrupt_signature: expected a list"),
        ({"unreachable": "yes"}, "houp_faults: unreachable: expected true or false"),
        ({"delay": -1}, "houp_faults: delay: expected a number of seconds from 0 to 3600"),
    ],
)
def test_houp_fault_mistakes(faults: object, message: str) -> None:
    with pytest.raises(FleetSpecError, match=rf"groups\[0\]\.{message}"):
        fleet({"name": "g", "count": 1, "houp_faults": faults})


def test_every_houp_fault_of_the_admin_json_is_accepted() -> None:
    faults = {
        "corrupt_content": ["a.cc"],
        "expired_certificate": True,
        "break_after": {"bytes": 10, "file": None, "times": 1},
        "offer_older_version": "V200R019C10",
        "unreachable": True,
    }
    assert fleet({"name": "g", "count": 1, "houp_faults": faults}).groups[0].houp_faults == faults


@pytest.mark.parametrize("capacity", ["lots", "1.5G", "0", 0, -1, True, None])
def test_flash_capacity_mistakes(capacity: object) -> None:
    with pytest.raises(FleetSpecError, match=r"groups\[0\]\.flash_capacity: "):
        fleet({"name": "g", "count": 1, "flash_capacity": capacity})


@pytest.mark.parametrize(
    "capacity, size", [(1048576, 1048576), ("256K", 256 * 1024), ("1g", 1024**3)]
)
def test_flash_capacity_in_bytes_or_units(capacity: object, size: int) -> None:
    (switch,) = fleet({"name": "g", "count": 1, "flash_capacity": capacity}).switches
    assert switch.flash_capacity == size


@pytest.mark.parametrize(
    "names, message",
    [
        # Ansible reads '-' in a group name as '_': the two groups would become one
        (["a-b", "b", "a_b"], "groups must have distinct names, '-' and '_' alike: a-b, a_b$"),
        (["all"], r"groups\[0\]\.name: 'all' is Ansible's group of every switch"),
    ],
)
def test_group_names_an_ansible_inventory_could_not_keep_apart(
    names: list[str], message: str
) -> None:
    with pytest.raises(FleetSpecError, match=message):
        fleet(*({"name": name, "count": 1} for name in names))


def test_fleet_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    with pytest.raises(FleetSpecError, match=r"cannot read the fleet file .*fleet\.yaml"):
        load_fleet_file(path, {})
    path.write_text("groups: [unclosed\n")
    with pytest.raises(FleetSpecError, match=r"fleet\.yaml is not valid YAML"):
        load_fleet_file(path, {})
    path.write_text("groups: [{name: g, count: 0}]\n")
    with pytest.raises(FleetSpecError, match=r"fleet.yaml: groups\[0\]\.count"):
        load_fleet_file(path, {})


def test_the_command_exits_2_on_an_invalid_fleet_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("groups: [{name: g, count: 1, models: C9300}]\n")
    assert main(["fleet", str(path), "--data-dir", str(tmp_path / "data")]) == 2
    assert "smartupgrade-sim fleet: " in (error := capsys.readouterr().err)
    assert "'C9300' is not a switch" in error
    assert not (tmp_path / "data").exists()
