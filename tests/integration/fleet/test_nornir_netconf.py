"""nornir-netconf's tasks, on the nornir hosts file a fleet writes, upgrade the fleet: lock the
candidate, edit it, commit, unlock, get, and the smart-upgrade RPCs (refresh, download,
right-now), with the progress polled with get until every switch runs the new software.

nornir-netconf 2.1.0 runs with nornir 3.5.0 (3.6 dropped the ``Optional`` its tasks import from
``nornir.core.task``) and ncclient 0.7.1 (its metadata asks for < 0.7.0, hence installed without
its dependencies by tools/install.sh)."""

from __future__ import annotations

import pytest
from lxml import etree
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.task import AggregatedResult
from nornir_netconf.plugins.tasks import (
    netconf_commit,
    netconf_edit_config,
    netconf_get,
    netconf_lock,
    netconf_rpc,
)

from smartupgrade_model.model import NAMESPACE as SU
from smartupgrade_server.testing.running import RunningFleet
from tests.support.houp import SMALL_CATALOGUE_FILE
from tests.support.waiting import blocking_until

pytestmark = pytest.mark.smartupgrade_fleet(count=3, catalogue=SMALL_CATALOGUE_FILE)
ENABLE = (
    f'<config><smart-upgrade xmlns="{SU}"><ssl-policy>houp</ssl-policy>'
    "<enabled>true</enabled></smart-upgrade></config>"
)


def nornir_of(fleet: RunningFleet) -> Nornir:
    return InitNornir(
        inventory={"plugin": "SimpleInventory", "options": {"host_file": str(fleet.nornir_hosts)}},
        runner={"plugin": "threaded", "options": {"num_workers": 10}},
        logging={"enabled": False},
    )


def ok(results: AggregatedResult) -> dict[str, etree._Element]:
    """Each host's reply, failing the test on any failed host."""
    failed = {host: str(multi[0].exception) for host, multi in results.items() if multi.failed}
    assert results and not failed, failed
    return {
        host: etree.fromstring(multi[0].result.rpc.xml.encode()) for host, multi in results.items()
    }


def leaf(reply: etree._Element, name: str) -> str | None:
    return reply.findtext(f".//{{{SU}}}{name}")


def test_nornir_netconf_upgrades_the_fleet_from_its_hosts_file(
    smartupgrade_fleet: RunningFleet,
) -> None:
    nr = nornir_of(smartupgrade_fleet)
    assert sorted(nr.inventory.hosts) == ["sw-1", "sw-2", "sw-3"]

    locked = nr.run(task=netconf_lock, datastore="candidate", operation="lock")
    ok(locked)
    ok(nr.run(task=netconf_edit_config, config=ENABLE, target="candidate"))
    ok(nr.run(task=netconf_commit))
    # the lock is the session's: unlock with the manager that holds it
    for host, multi in locked.items():
        unlocked = nr.filter(name=host).run(
            task=netconf_lock,
            datastore="candidate",
            operation="unlock",
            manager=multi[0].result.manager,
        )
        ok(unlocked)
    replies = ok(
        nr.run(task=netconf_get, path=f'<smart-upgrade xmlns="{SU}"/>', filter_type="subtree")
    )
    assert {leaf(reply, "enabled") for reply in replies.values()} == {"true"}

    checked = ok(nr.run(task=netconf_rpc, payload=f'<refresh xmlns="{SU}"/>'))
    assert {leaf(reply, "check-result") for reply in checked.values()} == {"need-update"}
    started = ok(nr.run(task=netconf_rpc, payload=f'<download xmlns="{SU}"/>'))
    assert {leaf(reply, "upgrade-status") for reply in started.values()} == {"running"}

    progress = f'<smart-upgrade xmlns="{SU}"><upgrade-information/></smart-upgrade>'

    def downloaded() -> bool:
        replies = ok(nr.run(task=netconf_get, path=progress, filter_type="subtree"))
        return {leaf(reply, "upgrade-status") for reply in replies.values()} == {"success"}

    blocking_until(downloaded, "download on every switch")
    ok(nr.run(task=netconf_rpc, payload=f'<right-now xmlns="{SU}"/>'))
    # the switches reboot: their sessions are gone (closing them fails, and nornir then
    # leaves the hosts out of its next runs), new ones open once the switches are back
    nr.close_connections()
    nr.data.reset_failed_hosts()
    local = f'<smart-upgrade xmlns="{SU}"><local-information/></smart-upgrade>'

    def upgraded() -> bool:
        results = nr.run(task=netconf_get, path=local, filter_type="subtree")
        if results.failed:
            # a host refused while it reboots: a new connection and another try for it
            nr.close_connections()
            nr.data.reset_failed_hosts()
            return False
        versions = {leaf(reply, "software-version") for reply in ok(results).values()}
        return versions == {"V200R024C00"}

    blocking_until(upgraded, "V200R024C00 on every switch")
    nr.close_connections()
