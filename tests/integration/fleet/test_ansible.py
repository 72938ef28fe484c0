"""The playbooks of docs/ansible.md, as they are there, run by ansible-playbook with
ansible.netcommon's netconf_get, netconf_config and netconf_rpc: against one switch (a check for
a new version, a confirmed commit) and against a fleet's written inventory (an upgrade of every
switch with its progress polled); and the client bug the page works around."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml

from smartupgrade_server.testing.running import RunningFleet, RunningSwitch
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.houp import SMALL_CATALOGUE_FILE
from tests.unit.fleet.readers import ANSIBLE_PLAYBOOK, run_ansible

DOC = Path(__file__).resolve().parents[3] / "docs" / "ansible.md"
# a file of the page: a yaml block whose first line names it
_FILE = re.compile(r"^```yaml\n# (?P<name>[\w.-]+\.ya?ml)\n(?P<text>.*?)^```$", re.M | re.S)
FILES = {match["name"]: match["text"] for match in _FILE.finditer(DOC.read_text())}


def playbook(directory: Path, inventory: Path, name: str) -> str:
    """``ansible-playbook -i INVENTORY NAME`` with the page's file; its output."""
    path = directory / name
    path.write_text(FILES[name])
    done = run_ansible(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "--forks", "10", str(path)],
        directory / "ansible-home",
        {},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_page_has_its_files() -> None:
    assert set(FILES) == {"switch.yaml", "check.yml", "confirmed-commit.yml", "upgrade-fleet.yml"}


def test_one_switch_checks_for_a_version_and_takes_a_confirmed_commit(
    smartupgrade_switch: RunningSwitch, tmp_path: Path
) -> None:
    inventory = yaml.safe_load(FILES["switch.yaml"])
    inventory["all"]["hosts"]["switch"]["ansible_port"] = smartupgrade_switch.port
    inventory_path = tmp_path / "switch.yaml"
    inventory_path.write_text(yaml.safe_dump(inventory))

    output = playbook(tmp_path, inventory_path, "check.yml")
    assert '"msg": "need-update: V200R024C00 V200R020SPH001"' in output

    playbook(tmp_path, inventory_path, "confirmed-commit.yml")
    # the playbook's session has ended: an unconfirmed commit would have been rolled back
    with smartupgrade_switch.connect() as switch:
        assert switch.read_config().https_port == 10443


def test_netconf_config_confirm_still_fails_on_the_client(
    smartupgrade_switch: RunningSwitch, tmp_path: Path
) -> None:
    """The bug docs/ansible.md works around (ansible.netcommon #551): when a release fixes it,
    this test fails, and the page can say so."""
    inventory = yaml.safe_load(FILES["switch.yaml"])
    inventory["all"]["hosts"]["switch"]["ansible_port"] = smartupgrade_switch.port
    (tmp_path / "switch.yaml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "confirm.yml").write_text(
        """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.netcommon.netconf_config:
        target: candidate
        confirm: 30
        content: |
          <config><smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">
          <https-port>10443</https-port></smart-upgrade></config>
"""
    )
    done = run_ansible(
        [str(ANSIBLE_PLAYBOOK), "-i", str(tmp_path / "switch.yaml"), str(tmp_path / "confirm.yml")],
        tmp_path / "ansible-home",
        {},
    )
    assert done.returncode != 0
    assert "Argument must be bytes or unicode, got 'int'" in done.stdout + done.stderr
    with smartupgrade_switch.connect() as switch:
        assert switch.read_config().https_port == 443


@pytest.mark.smartupgrade_fleet(count=3, catalogue=SMALL_CATALOGUE_FILE, reboot_seconds=5)
def test_the_playbook_upgrades_the_fleet_from_its_written_inventory(
    smartupgrade_fleet: RunningFleet, tmp_path: Path
) -> None:
    output = playbook(tmp_path, smartupgrade_fleet.ansible_inventory, "upgrade-fleet.yml")
    assert output.count('"msg": "success: software 100%, patch 100%"') == 3
    with urllib.request.urlopen(
        f"{smartupgrade_fleet.admin_url}/switches", timeout=CLIENT_TIMEOUT
    ) as answer:
        switches = json.load(answer)
    assert [(s["name"], s["software"]) for s in switches] == [
        ("sw-1", "V200R024C00"),
        ("sw-2", "V200R024C00"),
        ("sw-3", "V200R024C00"),
    ]
