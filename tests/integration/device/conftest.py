"""A real HOUP on 127.0.0.1 (port 0) and a switch that talks to it over real HTTPS, on a
simulated clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import DeviceEvent, Line
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer

# Small files keep the suite fast: what matters is that real bytes cross HTTPS.
CATALOGUE = """
unsupported_models: ["S5731-L*"]
families:
  - family: S5732-H
    upgrades:
      - from: {software: ["V200R019*", "V200R020*"]}
        to:
          software: V200R024C00
          patch: V200R020SPH001
          upgrade_description: ""
          description_en: "1)description:2)CC+SPH"
          software_package: {name: "{family}-V200R024C00.cc", size: 300000}
          patch_package: {name: "{family}-V200R020SPH001.pat", size: 14910}
  - family: AirEngine X760
    models: ["AirEngine *760*"]
    upgrades:
      - from: {software: "V200R019*"}
        to:
          software: V200R024C00
          software_package: {name: AirEngineX760_V200R024C00.bin, size: 50000}
"""
MODEL = "S5732-H"
SOFTWARE = "S5732-H-V200R024C00.cc"
SOFTWARE_SIZE = 300000
PATCH = "S5732-H-V200R020SPH001.pat"
PATCH_SIZE = 14910
START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone(timedelta(hours=8)))
POLICY = "houp"
AP_ESN = "2102353VUR10N2000123"


@pytest.fixture(scope="session")
def houp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared so keys, certificates and signatures are made once."""
    return tmp_path_factory.mktemp("houp-data")


@pytest.fixture
async def houp(houp_dir: Path) -> AsyncIterator[HoupServer]:
    server = await HoupServer.start(houp_dir, catalogue=Catalogue.parse(CATALOGUE))
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


def config(houp: HoupServer, **changes: object) -> SmartUpgrade:
    base = SmartUpgrade(url="127.0.0.1", https_port=houp.port, ssl_policy=POLICY, enabled=True)
    return SmartUpgrade(**{**base.__dict__, **changes})


@dataclass
class Rig:
    """A switch wired to the HOUP, with what it said and asked for recorded."""

    houp: HoupServer
    clock: SimulatedClock
    data_dir: Path
    switch: Switch
    events: list[DeviceEvent] = field(default_factory=list)
    schedule_cancel_requests: int = 0
    reboots: int = 0

    def policies(self) -> dict[str, list[str]]:
        return {POLICY: [self.houp.ca_cert_pem]}

    def configure(self, **changes: object) -> SmartUpgrade:
        new = config(self.houp, **changes)
        self.switch.check_config(new, self.policies())
        self.switch.apply_config(new, self.policies())
        return new

    def lines(self) -> list[str]:
        return [str(e.message) for e in self.events if isinstance(e, Line) and not e.transient]


SwitchFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig(
    houp: HoupServer, clock: SimulatedClock, tmp_path: Path
) -> AsyncIterator[SwitchFactory]:
    rigs: list[Rig] = []

    async def make(
        *,
        model: str = MODEL,
        software: str = "V200R020C00",
        patch: str | None = "V200R020SPH",
        ap: str | None = None,
        ap_software: str | None = None,
        flash_capacity: int = 16 * 1024 * 1024,
        data_dir: Path | None = None,
        hosts: dict[str, str] | None = None,
        **config_changes: object,
    ) -> Rig:
        directory = data_dir or tmp_path / f"switch{len(rigs)}"
        switch = Switch(
            directory,
            identity=Identity(
                model,
                f"{model}24UM2CC",
                "2102351XFR10P2000123",
                ap,
                None if ap is None else AP_ESN,
            ),
            factory=FactoryState(software, patch, ap_software),
            clock=clock,
            houp_public_key=houp.signing_public_key,
            flash_capacity=flash_capacity,
            hosts=hosts,
            network_timeout=2.0,
            reboot_duration=timedelta(minutes=5),
        )
        rig = Rig(houp, clock, directory, switch)
        switch.subscribe(rig.events.append)

        def cancel_requested() -> None:
            rig.schedule_cancel_requests += 1

        async def rebooting() -> None:
            rig.reboots += 1

        switch.on_schedule_cancel = cancel_requested
        switch.on_reboot = rebooting
        rig.configure(**config_changes)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        await rig.switch.close()
