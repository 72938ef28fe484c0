"""A controller follows a fleet's upgrade by YANG-push alone: plain ncclient, one session per
switch of ``smartupgrade-sim fleet``, an on-change subscription to each switch's upgrade and
versions, ``right-now`` on every switch, each status and progress from the patches, then, after
the reboot, a new subscription whose first update has the new versions. No ``<get>``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from ncclient import manager

from smartupgrade_model.model import NAMESPACE
from smartupgrade_server.transport.users import DEFAULT_USERNAME
from tests.integration.test_yang_push import (
    UPGRADE_SELECTION,
    Mirror,
    establish,
    on_change,
)
from tests.interop.clients import yanglint_validate_notification
from tests.support.sim import running_fleet
from tests.support.users import Server

CATALOGUE = """\
families:
  - family: S5732-H
    upgrades:
      - from: {software: "V200R020*"}
        to:
          software: V200R024C00
          patch: V200R020SPH001
          software_package: {name: "{family}-V200R024C00.cc", size: 262144}
          patch_package: {name: "{family}-V200R020SPH001.pat", size: 14910}
"""
FLEET_FILE = """\
base_port: 0
houp_port: 0
houp_admin_port: 0
admin_port: 0
clock: 60
reboot_seconds: 5
catalogue: catalogue.yaml
groups:
  - {name: campus, count: 4, models: [S5732-H]}
"""
ENABLE = (
    f'<config><smart-upgrade xmlns="{NAMESPACE}"><ssl-policy>houp</ssl-policy>'
    "<enabled>true</enabled></smart-upgrade></config>"
)
FEATURES = ["sunc-smart-upgrade:ap-upgrade"]


@dataclass
class Followed:
    """What the controller learnt of one switch, by updates only."""

    statuses: list[str] = field(default_factory=list)
    percents: list[int] = field(default_factory=list)
    after: dict[str, str | None] = field(default_factory=dict)


def server(switch: dict[str, Any], password: str) -> Server:
    """A switch of the inventory."""
    return Server(switch["host"], switch["port"], DEFAULT_USERNAME, password)


def updates(session: manager.Manager, mirror: Mirror) -> Any:
    """Each update applied to the mirror, until the session has ended and every notification
    it received is taken."""
    while True:
        notification = session.take_notification(block=True, timeout=0.2)
        if notification is None:
            if not session.connected:
                return
            continue
        checked = yanglint_validate_notification(notification.notification_xml, FEATURES)
        assert checked.valid, checked.output
        mirror.apply(notification.notification_ele[1])
        yield


def follow(switch: dict[str, Any], password: str) -> Followed:
    followed = Followed()
    session = server(switch, password).ncclient()
    session.edit_config(target="running", config=ENABLE)
    session.dispatch(etree.fromstring(f'<refresh xmlns="{NAMESPACE}"/>'))
    session.dispatch(establish(on_change(selection=UPGRADE_SELECTION)))
    mirror = Mirror()
    session.dispatch(etree.fromstring(f'<right-now xmlns="{NAMESPACE}"/>'))
    for _ in updates(session, mirror):
        status = mirror.leaf("upgrade-information/upgrade-status")
        if status is not None and status not in followed.statuses:
            followed.statuses.append(status)
        percent = mirror.leaf("upgrade-information/software-download-progress")
        if percent is not None and (not followed.percents or followed.percents[-1] != int(percent)):
            followed.percents.append(int(percent))
    # the switch reboots: connect again as soon as it listens
    session = server(switch, password).ncclient_once_up()
    session.dispatch(establish(on_change(selection=UPGRADE_SELECTION)))
    for _ in updates(session, mirror):
        break
    followed.statuses.append(mirror.leaf("upgrade-information/upgrade-status") or "")
    followed.after = {
        "software": mirror.leaf("local-information/software-version"),
        "patch": mirror.leaf("local-information/patch-version"),
        "result": mirror.leaf("upgrade-information/last-upgrade-result"),
    }
    session.close_session()
    return followed


def test_a_controller_follows_a_fleets_upgrade_by_yang_push_alone(
    tmp_path: Path, data_dir: Path
) -> None:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    fleet_file = tmp_path / "fleet-file.yaml"
    fleet_file.write_text(FLEET_FILE)
    inventory = tmp_path / "inventory.yaml"
    with running_fleet(data_dir, str(fleet_file), f"--inventory-out={inventory}"):
        document = yaml.safe_load(inventory.read_text())
        password = document["defaults"]["password"]
        switches = document["switches"]
        with ThreadPoolExecutor(len(switches)) as pool:
            results = list(pool.map(lambda switch: follow(switch, password), switches))
    for followed in results:
        assert followed.statuses == ["running", "success"]
        assert followed.percents == sorted(followed.percents) and followed.percents[-1] == 100
        assert followed.after == {
            "software": "V200R024C00",
            "patch": "V200R020SPH001",
            "result": "success",
        }
