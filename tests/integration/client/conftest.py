"""Fixtures: an emulated switch (``smartupgrade_server.sim.emulated_switch.EmulatedSwitch``)
listening on 127.0.0.1 with an OS-chosen port, its event loop in a thread of its own because the
SDK under test blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.credentials import copy_credentials
from tests.support.loop import LoopThread

T = TypeVar("T")
USERNAME = "admin"
PASSWORD = "admin"
IDENTITY = Identity(model="S5732-H", device_name="S5732-H24UM2CC", esn="2102351XFR10P0000001")
FACTORY = FactoryState(software="V200R020C00", patch="V200R020SPH")


@dataclass
class Sim:
    switch: EmulatedSwitch
    identity: Identity
    factory: FactoryState

    @property
    def port(self) -> int:
        return self.switch.port

    def connect(self, **options: Any) -> SmartUpgradeClient:
        return SmartUpgradeClient.connect(
            "127.0.0.1",
            self.port,
            username=options.pop("username", USERNAME),
            password=options.pop("password", PASSWORD),
            hostkey_verify=False,
            **options,
        )


class Sims:
    """Starts switches on one loop thread and closes them all at the end of the test."""

    def __init__(self, directory: Path, host_keys: Path) -> None:
        self._directory = directory
        self._host_keys = host_keys
        self._loop = LoopThread()
        self._switches: list[EmulatedSwitch] = []

    def start(self, identity: Identity = IDENTITY, factory: FactoryState = FACTORY) -> Sim:
        data_dir = self._directory / f"switch-{len(self._switches)}"
        data_dir.mkdir(mode=0o700)
        copy_credentials(self._host_keys, data_dir)
        switch = self._loop.run(
            EmulatedSwitch.start(
                data_dir, identity=identity, factory=factory, host="127.0.0.1", port=0
            )
        )
        self._switches.append(switch)
        return Sim(switch, identity, factory)

    def close(self) -> None:
        for switch in self._switches:
            self._loop.run(switch.close())
        self._loop.stop()


@pytest.fixture
def sims(tmp_path: Path, host_keys: Path) -> Iterator[Sims]:
    started = Sims(tmp_path, host_keys)
    yield started
    started.close()


@pytest.fixture
def sim(sims: Sims) -> Sim:
    return sims.start()


@pytest.fixture
def client(sim: Sim) -> Iterator[SmartUpgradeClient]:
    with sim.connect() as connected:
        yield connected
