"""A reset disables a scheduled upgrade (the seed's list of what disables it): VRP's `reboot` over
SSH, and a power cycle of the emulator's process, each with a schedule saved to startup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from lxml import etree

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.errors import NETCONF_NS as NETCONF
from smartupgrade_client.errors import RpcFailed
from smartupgrade_model.model import Schedule, ScheduleInformation, Triggered
from smartupgrade_server.operations.system import RESTART_DELAY
from tests.support.defaults import POLICY, REBOOT, START
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.vrp import open_session

DOWNLOAD_AT = "2026-11-27 10:00:00"  # START + 1 h
HOUR = timedelta(hours=1)


def restart_process(lab: ThreadedSwitches, sim: SwitchRig) -> SwitchRig:
    """The emulator's process ends and starts again on the same data directory and clock."""
    lab.run(sim.close())
    return lab.start(cli=True, data_dir=sim.data_dir, clock=sim.clock)


def schedule_and_save(sim: SwitchRig) -> None:
    with sim.sdk() as client:
        client.set_ssl_policy(POLICY)
        client.enable()
        client.schedule(DOWNLOAD_AT)
        client.manager.copy_config(source="running", target="startup")
        assert client.read_config("startup").schedule == Schedule(DOWNLOAD_AT)


@contextmanager
def rebooted(sim: SwitchRig) -> Iterator[SmartUpgradeClient]:
    """The switch, down, through its reboot: a client of it once it serves again, without the
    schedule."""
    assert not sim.switch.up
    sim.loop.run(sim.clock.advance(REBOOT))
    sim.loop.run(sim.switch.serving())
    with sim.sdk() as client:
        assert client.read_config().schedule is None
        assert client.read().schedule_information == ScheduleInformation()
        yield client


def test_reboot_over_ssh_clears_the_schedule(sim: SwitchRig) -> None:
    schedule_and_save(sim)

    async def reboot() -> str:
        session = await open_session(sim.cli_port)
        try:
            session.process.stdin.write("reboot\r")
            asked = await session.until(r"Continue\? \[Y/N\]:")
            session.process.stdin.write("y\r")
            return asked + await session.process.stdout.read()
        finally:
            await session.close()

    output = sim.loop.run(reboot())
    assert "System will reboot! Continue? [Y/N]:" in output  # the configuration was saved
    with rebooted(sim) as client:
        # the saved configuration keeps it, as a real switch's does until the next save
        assert client.read_config("startup").schedule == Schedule(DOWNLOAD_AT)
    sim.loop.run(sim.clock.advance(2 * HOUR))
    assert sim.device.state().schedule_information.download_triggered is Triggered.NO


def test_a_power_cycle_of_the_process_clears_the_schedule(
    lab: ThreadedSwitches, sim: SwitchRig
) -> None:
    schedule_and_save(sim)
    again = restart_process(lab, sim)
    with again.sdk() as client:
        assert client.read_config().schedule is None
        assert client.read().schedule_information == ScheduleInformation()
    lab.run(again.clock.advance(2 * HOUR))
    assert again.status() is None


SYSTEM = "urn:ietf:params:xml:ns:yang:ietf-system"


def _system_state(client: SmartUpgradeClient, part: str) -> etree._Element:
    """One container of /system-state (RFC 7317) from a <get>."""
    reply = client.manager.get(
        filter=("subtree", f'<system-state xmlns="{SYSTEM}"><{part}/></system-state>')
    ).data_ele
    found: etree._Element | None = reply.find(f"{{{SYSTEM}}}system-state/{{{SYSTEM}}}{part}")
    assert found is not None, part
    return found


def test_netconf_system_restart_clears_the_schedule(sim: SwitchRig) -> None:
    """RFC 7317's system-restart: the reply first, then the same reset as VRP's reboot."""
    schedule_and_save(sim)
    with sim.sdk() as client:
        capabilities = list(client.manager.server_capabilities)
        booted = _system_state(client, "clock").findtext(f"{{{SYSTEM}}}boot-datetime")
        reply = client.call(etree.Element(f"{{{SYSTEM}}}system-restart"))
        assert reply.find(f"{{{NETCONF}}}ok") is not None
    assert sim.switch.up  # a moment on the switch's clock, for the reply to arrive
    sim.loop.run(sim.clock.advance(RESTART_DELAY))
    assert f"{SYSTEM}?module=ietf-system&revision=2014-08-06&deviations=sunc-system-deviations" in (
        capabilities
    )
    with rebooted(sim) as client:
        clock = _system_state(client, "clock")
        assert datetime.fromisoformat(clock.findtext(f"{{{SYSTEM}}}boot-datetime") or "") == (
            START + RESTART_DELAY + REBOOT
        )
        platform = _system_state(client, "platform")
        assert platform.findtext(f"{{{SYSTEM}}}os-release") == "V200R020C00"
        assert platform.findtext(f"{{{SYSTEM}}}os-version") == "V200R020SPH"
        assert platform.findtext(f"{{{SYSTEM}}}machine") == "S5732-H"
    assert booted is not None and datetime.fromisoformat(booted) == START


@pytest.mark.parametrize(
    ("request_xml", "tag"),
    [
        (f'<system-shutdown xmlns="{SYSTEM}"/>', "operation-not-supported"),
        (f'<set-current-datetime xmlns="{SYSTEM}"><current-datetime>2026-11-27T09:00:00Z'
         "</current-datetime></set-current-datetime>", "operation-not-supported"),
        (f'<system-restart xmlns="{SYSTEM}"><delay>5</delay></system-restart>', "unknown-element"),
    ],
)  # fmt: skip
def test_what_the_switch_does_not_implement_of_ietf_system(
    sim: SwitchRig, request_xml: str, tag: str
) -> None:
    with sim.sdk() as client, pytest.raises(RpcFailed) as failed:
        client.call(etree.fromstring(request_xml))
    assert failed.value.tag == tag
    assert sim.switch.up
