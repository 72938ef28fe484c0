"""A fleet's inventories as the tools that read them see them: Ansible's own parser and templating
(its command line, in a subprocess whose settings and temporary files stay in a directory of the
test's) and nornir's SimpleInventory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core.inventory import Inventory

ANSIBLE = Path(sys.executable).with_name("ansible")
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
# a playbook that upgrades a fleet, reboots included
ANSIBLE_TIMEOUT = 300.0
_AD_HOC_RESULT = re.compile(r"^(\S+) \| (\w+!?) => ", re.MULTILINE)


def run_ansible(
    argv: list[str], home: Path, environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """An Ansible command with its settings and temporary files in ``home``."""
    settings = {
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        # an inventory Ansible cannot parse is otherwise a warning and an empty inventory
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
        "ANSIBLE_INVENTORY_ENABLED": "yaml",
        "ANSIBLE_NOCOLOR": "true",
    }
    return subprocess.run(
        argv,
        env={**os.environ, **settings, **environment},
        capture_output=True,
        text=True,
        timeout=ANSIBLE_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _ansible(argv: list[str], home: Path, environment: Mapping[str, str]) -> str:
    done = run_ansible(argv, home, environment)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def ansible_inventory(path: Path, home: Path) -> dict[str, Any]:
    """``ansible-inventory --list``: each group's ``hosts`` and ``children``, and every host's
    variables in ``_meta.hostvars`` (as written: templates are not evaluated)."""
    listing: dict[str, Any] = json.loads(
        _ansible([str(ANSIBLE_INVENTORY), "-i", str(path), "--list"], home, {})
    )
    return listing


def ansible_group_hosts(listing: Mapping[str, Any]) -> dict[str, list[str]]:
    """Group -> its hosts, for the groups under ``all``."""
    return {group: listing.get(group, {}).get("hosts", []) for group in listing["all"]["children"]}


def ansible_values(
    path: Path, home: Path, expressions: Mapping[str, str], environment: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Host -> the ``expressions`` (name -> Jinja expression) as Ansible evaluates them for that
    host, lookups included, with ``environment`` set."""
    message = ", ".join(f'"{name}": {expression}' for name, expression in expressions.items())
    argv = [str(ANSIBLE), "-i", str(path), "all", "-m", "ansible.builtin.debug"]
    # the inventory's connection (ansible.netcommon.netconf) is a collection not installed
    # here; debug runs on the controller whichever connection a host has
    argv += ["-a", f"msg={{{{ {{{message}}} }}}}", "-e", "ansible_connection=local"]
    output = _ansible(argv, home, environment)
    values: dict[str, dict[str, Any]] = {}
    decoder = json.JSONDecoder()
    for match in _AD_HOC_RESULT.finditer(output):
        assert match.group(2) == "SUCCESS", output
        result, _ = decoder.raw_decode(output, match.end())
        values[match.group(1)] = result["msg"]
    return values


def nornir_inventory(hosts_file: Path) -> Inventory:
    """nornir's SimpleInventory of the hosts file alone (no groups or defaults file)."""
    absent = hosts_file.with_name("absent.yaml")
    options = {
        "host_file": str(hosts_file),
        "group_file": str(absent),
        "defaults_file": str(absent),
    }
    nornir = InitNornir(
        inventory={"plugin": "SimpleInventory", "options": options}, logging={"enabled": False}
    )
    return nornir.inventory
