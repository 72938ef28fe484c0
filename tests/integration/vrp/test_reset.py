"""A reset disables a scheduled upgrade (the seed's list of what disables it): VRP's `reboot` over
SSH, and a power cycle of the emulator's process, each with a schedule saved to startup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from smartupgrade_model.model import Schedule, ScheduleInformation, Triggered
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.credentials import copy_credentials
from tests.integration.device.conftest import CATALOGUE, START
from tests.integration.vrp.conftest import POLICY, Sim, start_switch
from tests.integration.vrp.test_shell_over_ssh import open_session
from tests.support.loop import LoopThread

DOWNLOAD_AT = "2026-11-27 10:00:00"  # START + 1 h
REBOOT = timedelta(seconds=60)  # the emulator's default reboot duration
HOUR = timedelta(hours=1)


@dataclass
class Lab:
    loop: LoopThread
    houp: HoupServer
    clock: SimulatedClock
    data_dir: Path
    sim: Sim

    def restart_process(self) -> None:
        """The emulator's process ends and starts again on the same data directory."""
        self.loop.run(self.sim.switch.close())
        self.sim = Sim(self.loop, self.houp, self._start())

    def _start(self) -> EmulatedSwitch:
        return start_switch(self.loop, self.data_dir, self.houp, clock=self.clock)


@pytest.fixture
def lab(tmp_path: Path, host_keys: Path) -> Iterator[Lab]:
    data_dir = tmp_path / "switch"
    data_dir.mkdir(mode=0o700)
    copy_credentials(host_keys, data_dir)
    loop = LoopThread()
    clock = SimulatedClock(START)
    houp = loop.run(HoupServer.start(tmp_path / "houp", catalogue=Catalogue.parse(CATALOGUE)))
    switch = start_switch(loop, data_dir, houp, clock=clock)
    lab = Lab(loop, houp, clock, data_dir, Sim(loop, houp, switch))
    try:
        yield lab
    finally:
        loop.run(lab.sim.switch.close())
        loop.run(houp.close())
        loop.stop()


def schedule_and_save(lab: Lab) -> None:
    with lab.sim.sdk() as client:
        client.set_ssl_policy(POLICY)
        client.enable()
        client.schedule(DOWNLOAD_AT)
        client.manager.copy_config(source="running", target="startup")
        assert client.read_config("startup").schedule == Schedule(DOWNLOAD_AT)


def test_reboot_over_ssh_clears_the_schedule(lab: Lab) -> None:
    schedule_and_save(lab)

    async def reboot() -> str:
        session = await open_session(lab.sim.cli_port)
        try:
            session.process.stdin.write("reboot\r")
            asked = await session.until(r"Continue\? \[Y/N\]:")
            session.process.stdin.write("y\r")
            return asked + await session.process.stdout.read()
        finally:
            await session.close()

    output = lab.loop.run(reboot())
    assert "System will reboot! Continue? [Y/N]:" in output  # the configuration was saved
    assert not lab.sim.switch.up
    lab.loop.run(lab.clock.advance(REBOOT))
    lab.loop.run(lab.sim.switch.serving())
    with lab.sim.sdk() as client:
        assert client.read_config().schedule is None
        assert client.read().schedule_information == ScheduleInformation()
        # the saved configuration keeps it, as a real switch's does until the next save
        assert client.read_config("startup").schedule == Schedule(DOWNLOAD_AT)
    lab.loop.run(lab.clock.advance(2 * HOUR))
    assert lab.sim.switch.device.state().schedule_information.download_triggered is Triggered.NO


def test_a_power_cycle_of_the_process_clears_the_schedule(lab: Lab) -> None:
    schedule_and_save(lab)
    lab.restart_process()
    with lab.sim.sdk() as client:
        assert client.read_config().schedule is None
        assert client.read().schedule_information == ScheduleInformation()
    lab.loop.run(lab.clock.advance(2 * HOUR))
    assert lab.sim.switch.device.state().upgrade_information.upgrade_status is None
