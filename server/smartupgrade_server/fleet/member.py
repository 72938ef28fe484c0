"""One switch of a fleet: started, stopped, reset or crashed on its own, and whatever goes wrong
with it (a port taken, a full disk, a bug) is its state, never the fleet's."""

from __future__ import annotations

import asyncio
import errno
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from smartupgrade_model.convert import RawObject
from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.fleet.spec import SwitchSpec
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch, NetconfOptions
from smartupgrade_server.sim.options import ap_esn, houp_route
from smartupgrade_server.transport.certificates import DeviceCertificate
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.server_settings import NetconfServerSettings
from smartupgrade_server.web.certificate import WebCertificate

logger = logging.getLogger(__name__)

SWITCHES_DIR = "switches"


class SwitchState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    REBOOTING = "rebooting"
    STOPPED = "stopped"
    FAILED = "failed"
    CRASHED = "crashed"


@dataclass(frozen=True)
class HoupAccess:
    """How the switches of a fleet reach its one HOUP: all that a worker process or a shard
    needs to know of it."""

    host: str
    # HOUP door name -> its port; None: the HOUP's main door
    ports: Mapping[str | None, int]
    ca_cert_pem: str
    public_key: str


@dataclass(frozen=True)
class FleetEnvironment:
    """What every switch of the fleet shares."""

    data_dir: Path
    credentials: SshCredentials
    clock: Clock
    houp: HoupAccess
    factory_config: RawObject
    reboot_duration: timedelta
    # the web system's certificate, when the switches serve one
    web_certificate: WebCertificate | None
    # whom every switch calls home; the TLS certificate they share, if they serve TLS
    netconf_settings: NetconfServerSettings = field(default_factory=NetconfServerSettings)
    tls_certificate: DeviceCertificate | None = None
    # told of every switch started, under its name (the metrics count its upgrade statuses)
    watch: Callable[[str, EmulatedSwitch], None] | None = None


def describe_os_error(error: OSError) -> str:
    """The reason an operator can act on: which port is taken, which disk is full."""
    if error.errno == errno.EADDRINUSE:
        # asyncio's text names the address: "error while attempting to bind on address …"
        return f"cannot listen, port in use ({error.strerror or error})"
    if error.errno == errno.ENOSPC:
        return f"no space left on the disk of {error.filename or 'its data directory'}"
    if error.errno == errno.EMFILE:
        return "too many open files (raise the limit with ulimit -n)"
    if error.errno in (errno.EEXIST, errno.ENOTDIR) and error.filename:
        # a file where the switch's data directory (or a folder in it) should be
        return f"{error.filename} is in the way: a directory is needed there"
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason


class FleetMember:
    def __init__(self, spec: SwitchSpec, environment: FleetEnvironment) -> None:
        self.spec = spec
        self.data_dir = environment.data_dir / SWITCHES_DIR / spec.name
        self.switch: EmulatedSwitch | None = None
        self.error: str | None = None
        # the ports first bound (port 0: any) are kept across restarts: inventories stay right
        self.netconf_port = spec.netconf_port
        self.cli_port = spec.cli_port
        self.web_port = spec.web_port
        self.tls_port = spec.tls_port
        self._environment = environment
        self._state = SwitchState.STOPPED
        self._lock = asyncio.Lock()

    def take_ports(self, ports: Mapping[str, int | None]) -> None:
        """The ports the switch had before (``GET /switches``' ``netconf_port``, ``cli_port``,
        ``web_port``), for those its spec leaves to the system (0)."""
        if self.netconf_port == 0:
            self.netconf_port = ports.get("netconf_port") or 0
        if self.cli_port == 0:
            self.cli_port = ports.get("cli_port") or 0
        if self.web_port == 0:
            self.web_port = ports.get("web_port") or 0
        if self.tls_port == 0:
            self.tls_port = ports.get("tls_port") or 0

    @property
    def state(self) -> SwitchState:
        if self.switch is None:
            return self._state
        if self.switch.failure is not None:
            return SwitchState.FAILED
        return SwitchState.RUNNING if self.switch.up else SwitchState.REBOOTING

    @property
    def reason(self) -> str | None:
        """Why the switch failed or crashed."""
        if self.switch is not None:
            return self.switch.failure
        return self.error

    async def start(self) -> None:
        async with self._lock:
            if self.switch is None:
                await self._start()

    async def stop(self) -> None:
        async with self._lock:
            await self._stop(SwitchState.STOPPED, None)

    async def crash(self) -> None:
        """Go down as a switch whose software crashed: sessions and transfers cut, no reply;
        back only when started again."""
        async with self._lock:
            await self._stop(SwitchState.CRASHED, "crashed (injected through the admin API)")

    async def reset(self) -> None:
        """Back to the factory: the data directory is wiped and the switch starts afresh."""
        async with self._lock:
            await self._stop(SwitchState.STOPPED, None)
            try:
                await asyncio.to_thread(shutil.rmtree, self.data_dir, ignore_errors=False)
            except FileNotFoundError:
                pass
            except OSError as error:
                self._state, self.error = SwitchState.FAILED, describe_os_error(error)
                return
            await self._start()

    async def _start(self) -> None:
        spec, environment = self.spec, self._environment
        self._state, self.error = SwitchState.STARTING, None
        houp = environment.houp
        hosts, port_forwards = houp_route(houp.host, houp.ports[spec.houp_door])
        try:
            self.switch = await EmulatedSwitch.start(
                self.data_dir,
                # the seed's "Device name" is the product's, as on a switch started alone
                identity=Identity(
                    spec.model,
                    spec.model,
                    spec.esn,
                    spec.ap_device_type,
                    ap_esn(spec.index + 1) if spec.ap_device_type else None,
                ),
                factory=FactoryState(spec.software, spec.patch, spec.ap_software),
                houp_public_key=houp.public_key,
                clock=environment.clock,
                host=spec.host,
                port=self.netconf_port,
                cli_port=self.cli_port,
                web_port=self.web_port,
                web_certificate=environment.web_certificate,
                factory_config=environment.factory_config,
                credentials=environment.credentials,
                flash_capacity=spec.flash_capacity,
                hosts=hosts,
                port_forwards=port_forwards,
                reboot_duration=environment.reboot_duration,
                netconf_options=NetconfOptions(
                    tls_port=self.tls_port,
                    tls_certificate=environment.tls_certificate,
                    settings=environment.netconf_settings,
                ),
            )
        except OSError as error:
            self._state, self.error = SwitchState.FAILED, describe_os_error(error)
            return
        except Exception as error:  # a bug in one switch is that switch's crash
            logger.exception("switch %s crashed while starting", spec.name)
            self._state, self.error = SwitchState.CRASHED, f"crashed while starting: {error!r}"
            return
        self.netconf_port = self.switch.port
        self.cli_port = self.switch.cli_port
        self.web_port = self.switch.web_port
        self.tls_port = self.switch.tls_port
        if environment.watch is not None:
            environment.watch(spec.name, self.switch)

    async def _stop(self, state: SwitchState, reason: str | None) -> None:
        switch, self.switch = self.switch, None
        if switch is not None:
            try:
                await switch.close()
            except Exception:
                logger.exception("switch %s failed while stopping", self.spec.name)
        self._state, self.error = state, reason

    def to_json(self) -> dict[str, Any]:
        running = self.switch is not None and self.switch.smart_upgrade
        device = self.switch.device if self.switch is not None and running else None
        return switch_json(
            self.spec,
            self._environment.data_dir,
            state=self.state,
            reason=self.reason,
            ports=(self.netconf_port, self.cli_port, self.web_port, self.tls_port),
            versions=(device.software_version, device.patch_version) if device else None,
        )


def switch_json(
    spec: SwitchSpec,
    fleet_dir: Path,
    *,
    state: SwitchState,
    reason: str | None,
    ports: tuple[int, int | None, int | None, int | None] | None = None,
    versions: tuple[str, str | None] | None = None,
) -> dict[str, Any]:
    """A switch as the admin API shows it (``GET /switches``); ``ports`` (NETCONF, command
    line, web, TLS) as bound, else the spec's; ``versions`` (software, patch) of a running
    switch."""
    netconf, cli, web, tls = ports or (
        spec.netconf_port,
        spec.cli_port,
        spec.web_port,
        spec.tls_port,
    )
    return {
        "name": spec.name,
        "group": spec.group,
        "model": spec.model,
        "esn": spec.esn,
        "state": state.value,
        "reason": reason,
        "address": spec.address,
        "netconf_port": netconf or None,
        "cli_port": cli or None,
        "web_port": web or None,
        "tls_port": tls or None,
        "software": versions[0] if versions else None,
        "patch": versions[1] if versions else None,
        "houp_door": spec.houp_door,
        "data_dir": str(fleet_dir / SWITCHES_DIR / spec.name),
    }
