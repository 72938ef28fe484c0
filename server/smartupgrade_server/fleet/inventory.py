"""The fleet as controllers and tools read it: the project's own inventory (``smartupgrade
fleet``, docs/cli.md), an Ansible inventory (NETCONF through ``ansible.netcommon.netconf``) and a
nornir hosts file (SimpleInventory)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from smartupgrade_server.transport.private_files import write_private_file

# how the project's CLI and Ansible read a password kept out of the inventory
PASSWORD_VARIABLE = "SMARTUPGRADE_PASSWORD"


class InventoryFormat(StrEnum):
    SMARTUPGRADE = "smartupgrade"
    ANSIBLE = "ansible"
    NORNIR = "nornir"


@dataclass(frozen=True)
class InventoryEntry:
    name: str
    group: str
    host: str
    netconf_port: int
    cli_port: int | None
    model: str
    esn: str
    web_port: int | None = None


def entries_of(switches: Iterable[Mapping[str, Any]]) -> list[InventoryEntry]:
    """The inventory of switches as the fleet's admin API shows them (``GET /switches``, of
    this fleet or of many shards): every switch that has its ports, started or not, since a
    stopped switch comes back on the same ones."""
    return [
        InventoryEntry(
            name=switch["name"],
            group=switch["group"],
            host=switch["address"],
            netconf_port=switch["netconf_port"],
            cli_port=switch["cli_port"],
            model=switch["model"],
            esn=switch["esn"],
            web_port=switch.get("web_port"),
        )
        for switch in switches
        if switch["netconf_port"]
    ]


def _common_port(entries: Sequence[InventoryEntry]) -> int | None:
    """The NETCONF port of every switch when they all have the same (switches at addresses of
    their own): the inventory names it once."""
    ports = {entry.netconf_port for entry in entries}
    return ports.pop() if len(ports) == 1 and len({entry.host for entry in entries}) > 1 else None


@dataclass(frozen=True)
class Login:
    """The user the inventories name; ``password`` only while it is the factory default (which
    is no secret), else it comes from $SMARTUPGRADE_PASSWORD."""

    username: str
    password: str | None


def smartupgrade_inventory(entries: Sequence[InventoryEntry], login: Login) -> dict[str, Any]:
    defaults: dict[str, Any] = {"username": login.username}
    if login.password is None:
        defaults["password_env"] = PASSWORD_VARIABLE
    else:
        defaults["password"] = login.password
    common = _common_port(entries)
    if common is not None:
        defaults["port"] = common
    return {
        "defaults": defaults,
        "switches": [
            {"name": entry.name, "host": entry.host}
            | ({} if common is not None else {"port": entry.netconf_port})
            for entry in entries
        ],
    }


def ansible_inventory(entries: Sequence[InventoryEntry], login: Login) -> dict[str, Any]:
    password = login.password or f"{{{{ lookup('ansible.builtin.env', '{PASSWORD_VARIABLE}') }}}}"
    common = _common_port(entries)
    groups: dict[str, dict[str, Any]] = {}
    for entry in entries:
        host: dict[str, Any] = {"ansible_host": entry.host}
        if common is None:
            host["ansible_port"] = entry.netconf_port
        host |= {"model": entry.model, "esn": entry.esn}
        if entry.cli_port is not None:
            host["cli_port"] = entry.cli_port
        if entry.web_port is not None:
            host["web_port"] = entry.web_port
        groups.setdefault(_ansible_group(entry.group), {"hosts": {}})["hosts"][entry.name] = host
    variables: dict[str, Any] = {
        "ansible_connection": "ansible.netcommon.netconf",
        "ansible_network_os": "ansible.netcommon.default",
        "ansible_user": login.username,
        "ansible_password": password,
        # each emulated switch makes its own host key
        "ansible_host_key_checking": False,
    }
    if common is not None:
        variables["ansible_port"] = common
    return {"all": {"vars": variables, "children": groups}}


def _ansible_group(name: str) -> str:
    # Ansible warns about group names that are not Python identifiers
    return name.replace("-", "_")


def nornir_hosts(entries: Sequence[InventoryEntry], login: Login) -> dict[str, Any]:
    hosts: dict[str, Any] = {}
    for entry in entries:
        host: dict[str, Any] = {
            "hostname": entry.host,
            "port": entry.netconf_port,
            "username": login.username,
            "platform": "huawei_vrp",
            # groups would need a groups file beside this one: the group is data instead
            "data": {"group": entry.group, "model": entry.model, "esn": entry.esn},
            "connection_options": {
                "netconf": {
                    "port": entry.netconf_port,
                    # nornir-netconf hands the platform to ncclient as its device handler, and
                    # ncclient has none named huawei_vrp; its 'huawei' handler only adds Huawei's
                    # proprietary <execute-cli>, which the switch refuses: the standard one
                    "platform": "default",
                    "extras": {"hostkey_verify": False, "look_for_keys": False},
                }
            },
        }
        if login.password is not None:
            host["password"] = login.password
        if entry.cli_port is not None:
            host["connection_options"]["netmiko"] = {"port": entry.cli_port, "platform": "huawei"}
            host["connection_options"]["scrapli"] = {
                "port": entry.cli_port,
                "platform": "huawei_vrp",
                "extras": {"auth_strict_key": False},
            }
        hosts[entry.name] = host
    return hosts


_RENDERERS = {
    InventoryFormat.SMARTUPGRADE: smartupgrade_inventory,
    InventoryFormat.ANSIBLE: ansible_inventory,
    InventoryFormat.NORNIR: nornir_hosts,
}
_SUFFIXES = {
    InventoryFormat.ANSIBLE: ".ansible.yaml",
    InventoryFormat.NORNIR: ".nornir-hosts.yaml",
}


# libyaml's emitter when PyYAML has it: a tenth of the time for ten thousand switches
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def render(fmt: InventoryFormat, entries: Sequence[InventoryEntry], login: Login) -> str:
    return yaml.dump(_RENDERERS[fmt](entries, login), Dumper=_DUMPER, sort_keys=False)


def inventory_paths(path: Path) -> dict[InventoryFormat, Path]:
    """``fleet.yaml`` -> itself, ``fleet.ansible.yaml`` and ``fleet.nornir-hosts.yaml``."""
    stem = path.with_suffix("") if path.suffix in (".yaml", ".yml", ".json") else path
    return {
        InventoryFormat.SMARTUPGRADE: path,
        **{fmt: stem.with_name(stem.name + suffix) for fmt, suffix in _SUFFIXES.items()},
    }


def write_inventories(
    path: Path, entries: Sequence[InventoryEntry], login: Login
) -> dict[InventoryFormat, Path]:
    """Every format, each file replaced atomically; readable by the owner only, since a
    password may be in them. The project's own inventory is JSON when ``path`` ends in .json."""
    written = inventory_paths(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for fmt, target in written.items():
        if fmt is InventoryFormat.SMARTUPGRADE and target.suffix == ".json":
            text = json.dumps(smartupgrade_inventory(entries, login), indent=2) + "\n"
        else:
            text = render(fmt, entries, login)
        write_private_file(target, text.encode())
    return written
