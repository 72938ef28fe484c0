"""The inventories a fleet writes, read back by the tools they are for: Ansible's inventory parser,
nornir's SimpleInventory and ``smartupgrade fleet``'s own reader; the password is in them only
while it is the factory default."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from smartupgrade_client.cli.checks import UsageError
from smartupgrade_client.cli.fleet import Target, load_inventory
from smartupgrade_server.fleet.inventory import (
    PASSWORD_VARIABLE,
    InventoryEntry,
    InventoryFormat,
    Login,
    inventory_paths,
    render,
    write_inventories,
)
from tests.unit.fleet.readers import (
    ansible_group_hosts,
    ansible_inventory,
    ansible_values,
    nornir_inventory,
)

ENTRIES = (
    InventoryEntry("campus-a-1", "campus-a", "127.0.0.1", 20001, 30001, "S5732-H", "ESN1"),
    InventoryEntry("campus-a-2", "campus-a", "127.0.0.1", 20002, 30002, "S6730-H", "ESN2"),
    InventoryEntry("edge-1", "edge", "127.0.0.2", 20003, None, "S2720-EI", "ESN3"),
)
DEFAULT_LOGIN = Login("admin", "admin")
SECRET = "changed-password"
# what the command line gives when the inventory has no credentials of its own
NO_CREDENTIALS = Target("", "127.0.0.1", 830, "nobody", None, None)


@pytest.fixture
def default_files(tmp_path: Path) -> dict[InventoryFormat, Path]:
    return write_inventories(tmp_path / "out" / "fleet.yaml", ENTRIES, DEFAULT_LOGIN)


def test_three_files_beside_each_other_readable_by_the_owner_only(
    default_files: dict[InventoryFormat, Path], tmp_path: Path
) -> None:
    directory = tmp_path / "out"
    assert default_files == {
        InventoryFormat.SMARTUPGRADE: directory / "fleet.yaml",
        InventoryFormat.ANSIBLE: directory / "fleet.ansible.yaml",
        InventoryFormat.NORNIR: directory / "fleet.nornir-hosts.yaml",
    }
    for path in default_files.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_inventory_paths_without_a_known_suffix() -> None:
    assert inventory_paths(Path("d/inv")) == {
        InventoryFormat.SMARTUPGRADE: Path("d/inv"),
        InventoryFormat.ANSIBLE: Path("d/inv.ansible.yaml"),
        InventoryFormat.NORNIR: Path("d/inv.nornir-hosts.yaml"),
    }


def test_ansible_reads_hosts_groups_ports_and_connection(
    default_files: dict[InventoryFormat, Path], tmp_path: Path
) -> None:
    listing = ansible_inventory(default_files[InventoryFormat.ANSIBLE], tmp_path)
    groups = ansible_group_hosts(listing)
    assert groups["campus_a"] == ["campus-a-1", "campus-a-2"]
    assert groups["edge"] == ["edge-1"]
    assert groups.get("ungrouped", []) == []
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {"campus-a-1", "campus-a-2", "edge-1"}
    first, edge = hostvars["campus-a-1"], hostvars["edge-1"]
    assert (first["ansible_host"], first["ansible_port"]) == ("127.0.0.1", 20001)
    assert (edge["ansible_host"], edge["ansible_port"]) == ("127.0.0.2", 20003)
    assert first["ansible_connection"] == "ansible.netcommon.netconf"
    assert first["ansible_network_os"] == "ansible.netcommon.default"
    assert (first["ansible_user"], first["ansible_password"]) == ("admin", "admin")
    assert first["ansible_host_key_checking"] is False
    assert (first["model"], first["esn"], first["cli_port"]) == ("S5732-H", "ESN1", 30001)
    assert "cli_port" not in edge


def test_nornir_reads_hosts_and_connection_options(
    default_files: dict[InventoryFormat, Path],
) -> None:
    hosts = nornir_inventory(default_files[InventoryFormat.NORNIR]).hosts
    assert list(hosts) == ["campus-a-1", "campus-a-2", "edge-1"]
    first, edge = hosts["campus-a-1"], hosts["edge-1"]
    assert (first.hostname, first.port, first.username, first.password) == (
        "127.0.0.1",
        20001,
        "admin",
        "admin",
    )
    assert first.platform == "huawei_vrp"
    assert first.data == {"group": "campus-a", "model": "S5732-H", "esn": "ESN1"}
    netconf = first.get_connection_parameters("netconf")
    assert (netconf.hostname, netconf.port, netconf.username, netconf.password) == (
        "127.0.0.1",
        20001,
        "admin",
        "admin",
    )
    assert netconf.extras == {"hostkey_verify": False, "look_for_keys": False}
    # nornir-netconf's device handler for ncclient, which has none named huawei_vrp
    assert netconf.platform == "default"
    assert first.get_connection_parameters("netmiko").port == 30001
    scrapli = first.get_connection_parameters("scrapli")
    assert (scrapli.port, scrapli.platform) == (30001, "huawei_vrp")
    assert (edge.hostname, edge.port) == ("127.0.0.2", 20003)
    # a switch without a command line offers no command-line connection
    assert set(edge.connection_options) == {"netconf"}


def test_smartupgrade_fleet_reads_its_own(default_files: dict[InventoryFormat, Path]) -> None:
    targets = load_inventory(str(default_files[InventoryFormat.SMARTUPGRADE]), NO_CREDENTIALS)
    assert targets == [
        Target("campus-a-1", "127.0.0.1", 20001, "admin", "admin", None),
        Target("campus-a-2", "127.0.0.1", 20002, "admin", "admin", None),
        Target("edge-1", "127.0.0.2", 20003, "admin", "admin", None),
    ]


def test_our_own_as_json(default_files: dict[InventoryFormat, Path], tmp_path: Path) -> None:
    written = write_inventories(tmp_path / "fleet.json", ENTRIES, DEFAULT_LOGIN)
    assert written[InventoryFormat.ANSIBLE] == tmp_path / "fleet.ansible.yaml"
    assert json.loads(written[InventoryFormat.SMARTUPGRADE].read_text())["switches"]
    assert load_inventory(str(written[InventoryFormat.SMARTUPGRADE]), NO_CREDENTIALS) == (
        load_inventory(str(default_files[InventoryFormat.SMARTUPGRADE]), NO_CREDENTIALS)
    )


def test_a_changed_password_stays_out_of_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = write_inventories(tmp_path / "fleet.yaml", ENTRIES, Login("ops", None))
    own = yaml.safe_load(written[InventoryFormat.SMARTUPGRADE].read_text())
    assert own["defaults"] == {"username": "ops", "password_env": PASSWORD_VARIABLE}

    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    with pytest.raises(UsageError, match=f"{PASSWORD_VARIABLE} is not set"):
        load_inventory(str(written[InventoryFormat.SMARTUPGRADE]), NO_CREDENTIALS)
    monkeypatch.setenv(PASSWORD_VARIABLE, SECRET)
    targets = load_inventory(str(written[InventoryFormat.SMARTUPGRADE]), NO_CREDENTIALS)
    assert {(t.username, t.password) for t in targets} == {("ops", SECRET)}

    hosts = nornir_inventory(written[InventoryFormat.NORNIR]).hosts
    assert {(h.username, h.password) for h in hosts.values()} == {("ops", None)}

    # Ansible evaluates the password from the environment, host by host
    values = ansible_values(
        written[InventoryFormat.ANSIBLE],
        tmp_path,
        {"user": "ansible_user", "password": "ansible_password", "port": "ansible_port"},
        {PASSWORD_VARIABLE: SECRET},
    )
    assert values == {
        "campus-a-1": {"user": "ops", "password": SECRET, "port": 20001},
        "campus-a-2": {"user": "ops", "password": SECRET, "port": 20002},
        "edge-1": {"user": "ops", "password": SECRET, "port": 20003},
    }


def test_the_admin_api_renders_the_same_documents(
    default_files: dict[InventoryFormat, Path],
) -> None:
    for fmt, path in default_files.items():
        assert render(fmt, ENTRIES, DEFAULT_LOGIN) == path.read_text()
