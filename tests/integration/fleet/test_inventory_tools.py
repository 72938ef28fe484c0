"""The inventories ``smartupgrade-sim fleet --inventory-out`` writes lead the tools that read them
to the switches: Ansible's and nornir's view of each host opens a NETCONF session (ncclient, as
their NETCONF plugins do) to the switch it names, nornir's netmiko options reach its command line,
and ``smartupgrade fleet`` runs on every switch. Once the fleet's password has been changed it is
in no file and every tool takes it from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from ncclient import manager
from netmiko import ConnectHandler

from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_server.fleet.inventory import PASSWORD_VARIABLE, InventoryFormat, inventory_paths
from smartupgrade_server.transport.users import (
    MAX_LEVEL,
    USERS_FILE,
    User,
    UserDatabase,
    hash_password,
)
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import FLEET_ANY_PORTS, running_fleet, smartupgrade_fleet
from tests.unit.fleet.readers import (
    ansible_group_hosts,
    ansible_inventory,
    ansible_values,
    nornir_inventory,
)

NAMES = ["sw-1", "sw-2", "sw-3"]
MODELS = ("--model=S5732-H", "--model=S2720-EI")
SECRET = "fleet-secret"


def netconf_esn(
    host: str, port: int, username: str, password: str | None, options: Mapping[str, Any]
) -> str | None:
    """The ESN the switch at ``host:port`` reports in a session opened with ``options``."""
    session = manager.connect(
        host=host,
        port=port,
        username=username,
        password=password,
        timeout=CLIENT_TIMEOUT,
        **{"allow_agent": False, **options},
    )
    with SmartUpgradeClient.from_manager(session) as client:
        esn = client.read().local_information.esn
    session.close_session()
    return esn


def test_every_tool_reaches_every_switch_through_the_written_inventories(
    tmp_path: Path, data_dir: Path
) -> None:
    inventory = tmp_path / "inventories" / "fleet.yaml"
    paths = inventory_paths(inventory)
    with running_fleet(
        data_dir, "--count=3", *MODELS, *FLEET_ANY_PORTS, f"--inventory-out={inventory}"
    ) as fleet:
        switches = fleet.switches()
        assert list(switches) == NAMES

        listing = ansible_inventory(paths[InventoryFormat.ANSIBLE], tmp_path / "ansible")
        assert ansible_group_hosts(listing) == {"ungrouped": [], "sw": NAMES}
        for name, variables in listing["_meta"]["hostvars"].items():
            assert variables["ansible_port"] == switches[name]["netconf_port"]
            assert variables["cli_port"] == switches[name]["cli_port"]
            assert variables["model"] == switches[name]["model"]
            assert variables["ansible_connection"] == "ansible.netcommon.netconf"
            esn = netconf_esn(
                variables["ansible_host"],
                variables["ansible_port"],
                variables["ansible_user"],
                variables["ansible_password"],
                {
                    "hostkey_verify": variables["ansible_host_key_checking"],
                    "look_for_keys": False,
                },
            )
            assert esn == variables["esn"] == switches[name]["esn"]

        hosts = nornir_inventory(paths[InventoryFormat.NORNIR]).hosts
        assert list(hosts) == NAMES
        for name, host in hosts.items():
            netconf = host.get_connection_parameters("netconf")
            assert netconf.hostname is not None and netconf.username is not None
            assert netconf.port is not None
            assert netconf.port == switches[name]["netconf_port"]
            esn = netconf_esn(
                netconf.hostname,
                netconf.port,
                netconf.username,
                netconf.password,
                netconf.extras or {},
            )
            assert esn == host.data["esn"] == switches[name]["esn"]
        cli = hosts["sw-2"].get_connection_parameters("netmiko")
        with ConnectHandler(
            device_type=cli.platform,
            host=cli.hostname,
            port=cli.port,
            username=cli.username,
            password=cli.password,
        ) as connection:
            shown = connection.send_command("display esn")
        assert f"ESN of slot 0: {switches['sw-2']['esn']}" in str(shown)

        run = smartupgrade_fleet(inventory, "display", "--no-refresh")
        assert run.code == ExitCode.OK, run.stderr
        assert list(run.rows) == NAMES
        for name, row in run.rows.items():
            assert row["port"] == switches[name]["netconf_port"]
            assert row["detail"].startswith("V200R020C00 V200R020SPH "), row


def test_a_changed_password_is_in_no_inventory_and_comes_from_the_environment(
    tmp_path: Path, data_dir: Path
) -> None:
    # the inventories name the first user who may do everything
    UserDatabase(
        [
            User("viewer", hash_password("viewer-password"), (), 1),
            User("ops", hash_password(SECRET), (), MAX_LEVEL),
        ],
        data_dir / USERS_FILE,
    ).save()
    inventory = tmp_path / "fleet.yaml"
    paths = inventory_paths(inventory)
    with running_fleet(data_dir, "--count=2", *FLEET_ANY_PORTS, f"--inventory-out={inventory}"):
        own = yaml.safe_load(inventory.read_text())
        assert own["defaults"] == {"username": "ops", "password_env": PASSWORD_VARIABLE}
        run = smartupgrade_fleet(inventory, "display", "--no-refresh")
        assert run.code == ExitCode.USAGE
        assert f"environment variable {PASSWORD_VARIABLE} is not set" in run.stderr
        run = smartupgrade_fleet(
            inventory, "display", "--no-refresh", environment={PASSWORD_VARIABLE: SECRET}
        )
        assert run.code == ExitCode.OK, run.stderr
        assert [row["exit"] for row in run.rows.values()] == [0, 0]

        hosts = nornir_inventory(paths[InventoryFormat.NORNIR]).hosts
        assert {(host.username, host.password) for host in hosts.values()} == {("ops", None)}

        values = ansible_values(
            paths[InventoryFormat.ANSIBLE],
            tmp_path / "ansible",
            {
                "host": "ansible_host",
                "port": "ansible_port",
                "user": "ansible_user",
                "password": "ansible_password",
            },
            {PASSWORD_VARIABLE: SECRET},
        )
        # ansible runs the hosts in parallel: they answer in any order
        assert set(values) == {"sw-1", "sw-2"}
        for host in values.values():
            assert (host["user"], host["password"]) == ("ops", SECRET)
            assert netconf_esn(
                host["host"],
                host["port"],
                host["user"],
                host["password"],
                {"hostkey_verify": False},
            )
