"""A switch with its VRP command line on 127.0.0.1 (OS-chosen ports), wired to a real HOUP
over HTTPS, on a loop thread of its own: netmiko, scrapli and napalm block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_model.convert import ssl_policy_config
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.credentials import copy_credentials
from tests.integration.device.conftest import CATALOGUE
from tests.support.loop import LoopThread

USERNAME = "admin"
PASSWORD = "admin"
POLICY = "houp"
IDENTITY = Identity("S5732-H", "S5732-H24UM2CC", "2102351XFR10P0000001")
FACTORY = FactoryState("V200R020C00", "V200R020SPH")


@dataclass
class Sim:
    loop: LoopThread
    houp: HoupServer
    switch: EmulatedSwitch

    @property
    def cli_port(self) -> int:
        port = self.switch.cli_port
        assert port is not None
        return port

    def sdk(self) -> SmartUpgradeClient:
        return SmartUpgradeClient.connect(
            "127.0.0.1", self.switch.port, username=USERNAME, password=PASSWORD,
            hostkey_verify=False,
        )  # fmt: skip


def start_switch(
    loop: LoopThread,
    data_dir: Path,
    houp: HoupServer,
    *,
    identity: Identity = IDENTITY,
    factory: FactoryState = FACTORY,
    clock: Clock | None = None,
) -> EmulatedSwitch:
    """The switch of `data_dir` (NETCONF and command line on OS-chosen ports), reaching `houp`
    by its default name through the host table, as smartupgrade-sim wires it."""
    default = SmartUpgrade()
    return loop.run(
        EmulatedSwitch.start(
            data_dir,
            identity=identity,
            factory=factory,
            clock=clock,
            houp_public_key=houp.signing_public_key,
            port=0,
            cli_port=0,
            factory_config=ssl_policy_config(POLICY, (houp.ca_cert_pem,)),
            hosts={default.url: houp.host},
            port_forwards={default.https_port: houp.port},
        )
    )


@contextmanager
def open_sim(
    tmp_path: Path,
    host_keys: Path,
    *,
    identity: Identity = IDENTITY,
    factory: FactoryState = FACTORY,
    clock: Clock | None = None,
) -> Iterator[Sim]:
    """A HOUP and a switch in `tmp_path`, closed at the end (the switch `Sim.switch` is then,
    should a test have started another on the same data directory)."""
    data_dir = tmp_path / "switch"
    data_dir.mkdir(mode=0o700)
    copy_credentials(host_keys, data_dir)
    loop = LoopThread()
    houp = loop.run(HoupServer.start(tmp_path / "houp", catalogue=Catalogue.parse(CATALOGUE)))
    sim = Sim(
        loop,
        houp,
        start_switch(loop, data_dir, houp, identity=identity, factory=factory, clock=clock),
    )
    try:
        yield sim
    finally:
        loop.run(sim.switch.close())
        loop.run(houp.close())
        loop.stop()


@pytest.fixture
def sim(tmp_path: Path, host_keys: Path) -> Iterator[Sim]:
    with open_sim(tmp_path, host_keys) as opened:
        yield opened
