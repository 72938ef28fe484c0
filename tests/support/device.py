"""The device rig: the switch emulator alone (no NETCONF), on a simulated clock, talking to a real
HOUP over real HTTPS (or to none), with what it said and asked for recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import DeviceEvent, Line
from smartupgrade_server.device.identity import FactoryState
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.houp.server import HoupServer
from tests.support.defaults import (
    FACTORY,
    FLASH_CAPACITY,
    MODEL,
    NETWORK_TIMEOUT,
    POLICY,
    REBOOT,
    identity,
)
from tests.support.rigs import Rigs


def device_config(houp: HoupServer, **changes: object) -> SmartUpgrade:
    """Smart upgrade enabled against ``houp`` through the policy ``houp``, with ``changes``."""
    base = SmartUpgrade(url=houp.host, https_port=houp.port, ssl_policy=POLICY, enabled=True)
    return SmartUpgrade(**{**base.__dict__, **changes})


@dataclass
class DeviceRig:
    """A switch emulator, with its events, the schedule cancellations it asked for and its
    reboots recorded."""

    # the HOUP the switch is configured to reach, if any
    wired_to: HoupServer | None
    clock: SimulatedClock
    data_dir: Path
    switch: Switch
    events: list[DeviceEvent] = field(default_factory=list)
    schedule_cancel_requests: int = 0
    reboots: int = 0

    @property
    def houp(self) -> HoupServer:
        assert self.wired_to is not None, "a switch reaching no HOUP"
        return self.wired_to

    def policies(self) -> dict[str, list[str]]:
        """The SSL policy trusting the HOUP's CA, as the switch's configuration gives it."""
        return {POLICY: [self.houp.ca_cert_pem]}

    def configure(self, **changes: object) -> SmartUpgrade:
        """Apply :func:`device_config` with ``changes``, checked first as a write would be."""
        new = device_config(self.houp, **changes)
        self.switch.check_config(new, self.policies())
        self.switch.apply_config(new, self.policies())
        return new

    def lines(self) -> list[str]:
        """What the switch printed, but the lines a terminal overwrites."""
        return [str(e.message) for e in self.events if isinstance(e, Line) and not e.transient]

    async def close(self) -> None:
        await self.switch.close()


class Devices(Rigs[DeviceRig]):
    """Starts switch emulators for one test, all on one clock, and closes them after it."""

    def __init__(self, directory: Path, clock: SimulatedClock, houp: HoupServer | None) -> None:
        super().__init__()
        self._directory = directory
        self._clock = clock
        self._houp = houp

    async def start(
        self,
        *,
        model: str = MODEL,
        software: str = FACTORY.software,
        patch: str | None = FACTORY.patch,
        ap: str | None = None,
        ap_software: str | None = None,
        flash_capacity: int = FLASH_CAPACITY,
        data_dir: Path | None = None,
        hosts: dict[str, str] | None = None,
        **config_changes: object,
    ) -> DeviceRig:
        """A switch of ``model`` running ``software`` and ``patch`` (and managing the AP ``ap``
        running ``ap_software``) on its first start in ``data_dir`` (by default a new one), its
        host table ``hosts``; with a HOUP, configured by :func:`device_config` with
        ``config_changes``."""
        directory = data_dir or self._directory / f"switch{self.started}"
        switch = Switch(
            directory,
            identity=identity(model, ap=ap),
            factory=FactoryState(software, patch, ap_software),
            clock=self._clock,
            houp_public_key=None if self._houp is None else self._houp.signing_public_key,
            flash_capacity=flash_capacity,
            hosts=hosts,
            network_timeout=NETWORK_TIMEOUT,
            reboot_duration=REBOOT,
        )
        rig = DeviceRig(self._houp, self._clock, directory, switch)
        switch.subscribe(rig.events.append)

        def cancel_requested() -> None:
            rig.schedule_cancel_requests += 1

        async def rebooting() -> None:
            rig.reboots += 1

        switch.on_schedule_cancel = cancel_requested
        switch.on_reboot = rebooting
        if self._houp is not None:
            rig.configure(**config_changes)
        return self._keep(rig)
