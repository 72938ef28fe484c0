"""Fixtures: emulated switches (``EmulatedSwitch``) and one HOUP on 127.0.0.1, port 0, served by
an event loop in a thread of its own while the command line under test blocks.

The switches are wired to the HOUP the way smartupgrade-sim wires them (the default URL through
the host table, 443 forwarded, the HOUP's CA in the factory SSL policy ``houp``). Their clock is
simulated; a reboot (the switch's, or its AP's) is let through by advancing it when the switch
or the AP goes down, so right-now ends as fast as the bytes cross HTTPS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_model.convert import ssl_policy_config
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import Booted, DeviceEvent, Line, Rebooting
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.credentials import copy_credentials
from tests.support.loop import LoopThread
from tests.support.vrp import typed

T = TypeVar("T")
USERNAME = "admin"
PASSWORD = "admin"
POLICY = "houp"
# the seed's AP example: the display then has every section of the seed's second example
AP_DEVICE = "AirEngine 8760-X1-PRO"
AP_ESN = "2102353VUR10N2000123"
IDENTITY = Identity("S5732-H", "S5732-H24UM2CC", "2102351XFR10P2000123", AP_DEVICE, AP_ESN)
REBOOT = timedelta(minutes=5)
START = datetime(2026, 11, 27, 1, 0, 0, tzinfo=UTC)
FACTORY = FactoryState("V200R020C00", "V200R020SPH", "V200R019C10")
NEW_SOFTWARE = "V200R024C00"
SOFTWARE_SIZE = 400_000
AP_PACKAGE = "AirEngineX760_V200R024C00.bin"

# Small files keep the suite fast: what matters is that real bytes cross HTTPS.
CATALOGUE = f"""
unsupported_models: ["S5731-L*"]
families:
  - family: S5732-H
    upgrades:
      - from: {{software: ["V200R019*", "V200R020*"]}}
        to:
          software: {NEW_SOFTWARE}
          patch: V200R020SPH001
          description_en: "1)description:2)CC+SPH"
          software_package: {{name: "{{family}}-{NEW_SOFTWARE}.cc", size: {SOFTWARE_SIZE}}}
          patch_package: {{name: "{{family}}-V200R020SPH001.pat", size: 14910}}
  - family: AirEngine X760
    models: ["AirEngine *760*"]
    upgrades:
      - from: {{software: "V200R019*"}}
        to:
          software: {NEW_SOFTWARE}
          software_package: {{name: "{AP_PACKAGE}", size: 50000}}
"""


@dataclass
class Sim:
    switch: EmulatedSwitch
    clock: SimulatedClock
    loop: LoopThread

    @property
    def port(self) -> int:
        return self.switch.port

    def argv(self, *command: str) -> list[str]:
        """``smartupgrade`` arguments for this switch."""
        return ["--port", str(self.port), *command]

    def vrp(self, *lines: str) -> list[str]:
        """What the last of ``lines`` printed on the switch's own command line."""
        port = self.switch.cli_port
        assert port is not None
        return self.loop.run(typed(port, *lines))

    def connect(self) -> SmartUpgradeClient:
        return SmartUpgradeClient.connect(
            "127.0.0.1", self.port, username=USERNAME, password=PASSWORD, hostkey_verify=False
        )


@pytest.fixture(scope="session")
def houp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared so keys, certificates and signatures are made once."""
    return tmp_path_factory.mktemp("cli-houp")


class Lab:
    """A HOUP and the switches started against it; everything closed at the end of the test."""

    def __init__(self, directory: Path, host_keys: Path, houp_dir: Path) -> None:
        self._directory = directory
        self._host_keys = host_keys
        self._loop = LoopThread()
        self.houp = self._loop.run(HoupServer.start(houp_dir, catalogue=Catalogue.parse(CATALOGUE)))
        self._sims: list[Sim] = []

    def start(self, identity: Identity = IDENTITY) -> Sim:
        data_dir = self._directory / f"switch-{len(self._sims)}"
        data_dir.mkdir(mode=0o700)
        copy_credentials(self._host_keys, data_dir)
        clock = SimulatedClock(START)
        default = SmartUpgrade()
        switch = self._loop.run(
            EmulatedSwitch.start(
                data_dir,
                identity=identity,
                factory=FACTORY,
                houp_public_key=self.houp.signing_public_key,
                clock=clock,
                factory_config=ssl_policy_config(POLICY, (self.houp.ca_cert_pem,)),
                flash_capacity=16 * 1024 * 1024,
                hosts={default.url: "127.0.0.1"},
                port_forwards={default.https_port: self.houp.port},
                network_timeout=2.0,
                reboot_duration=REBOOT,
                cli_port=0,
            )
        )
        sim = Sim(switch, clock, self._loop)
        loop = self._loop.loop

        async def run_the_reboot(booted: asyncio.Event) -> None:
            # The switch sets its boot timer after it has gone down (after Rebooting), so the
            # clock is moved on until it has booted; the loop yields to the switch in between.
            while not booted.is_set():
                await clock.advance(REBOOT)
                await asyncio.sleep(0.01)

        booted = asyncio.Event()

        def boot_through(event: DeviceEvent) -> None:
            if isinstance(event, Rebooting):
                booted.clear()
                loop.create_task(run_the_reboot(booted))
            elif isinstance(event, Booted):
                booted.set()
            elif isinstance(event, Line) and event.message == messages.AP_REBOOTING:
                # the AP reboots, the switch stays up: its AP boot timer is armed in this step
                loop.call_soon(lambda: loop.create_task(clock.advance(REBOOT)))

        if switch.smart_upgrade:
            switch.device.subscribe(boot_through)
        self._sims.append(sim)
        return sim

    def set_bandwidth(self, limit: int | None) -> None:
        self.houp.settings.bandwidth_limit = limit

    def close(self) -> None:
        for sim in self._sims:
            self._loop.run(sim.switch.close())
        self._loop.run(self.houp.close())
        self._loop.stop()


@pytest.fixture
def lab(tmp_path: Path, host_keys: Path, houp_dir: Path) -> Iterator[Lab]:
    started = Lab(tmp_path, host_keys, houp_dir)
    yield started
    started.close()


@pytest.fixture
def sim(lab: Lab) -> Sim:
    return lab.start()
