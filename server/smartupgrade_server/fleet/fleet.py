"""A fleet: many switches in one process and one event loop, sharing one HOUP, one schema, one
set of users and host keys; each switch keeps only its own data (docs/fleet.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Self

from cryptography import x509

from smartupgrade_server.device.clock import Clock
from smartupgrade_server.fleet.inventory import InventoryEntry, Login
from smartupgrade_server.fleet.member import FleetEnvironment, FleetMember, SwitchState
from smartupgrade_server.fleet.spec import FleetSpec, FleetSpecError
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.metrics import EmulatorMetrics, SwitchView
from smartupgrade_server.sim.options import (
    HOUP_DIR,
    call_home_url,
    certificates_file,
    factory_config,
    make_clock,
    netconf_settings,
)
from smartupgrade_server.transport.call_home import CallHomeTransport
from smartupgrade_server.transport.certificates import (
    DeviceCertificate,
    load_or_create_device_certificate,
)
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.ssh import refuse_default_credentials
from smartupgrade_server.transport.tls import TLS_CERT_FILE, TLS_KEY_FILE
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME

logger = logging.getLogger(__name__)

# switches starting at once: their file writes overlap in threads, their CPU work does not
START_CONCURRENCY = 64
# listening sockets and files per switch, with room for its sessions
_FILES_PER_SWITCH = 8
# the common name of the TLS certificate a fleet's switches share
TLS_CERTIFICATE_NAME = "smartupgrade-sim fleet"


def tls_client_cas(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return certificates_file(str(path))
    except argparse.ArgumentTypeError as error:
        raise FleetSpecError(f"tls_client_ca: {error}") from None


def fleet_tls_certificate(spec: FleetSpec, data_dir: Path) -> DeviceCertificate | None:
    """The certificate every switch serves NETCONF over TLS with, made once in the fleet's data
    directory, when the fleet serves TLS or calls home over it (blocking)."""
    endpoints = [call_home_url(url) for url in spec.call_home]
    tls = any(switch.tls_port is not None for switch in spec.switches) or any(
        endpoint.transport is CallHomeTransport.TLS for endpoint in endpoints
    )
    if not tls:
        return None
    return load_or_create_device_certificate(
        data_dir, TLS_CERT_FILE, TLS_KEY_FILE, spec.host, TLS_CERTIFICATE_NAME
    )


def raise_open_file_limit(switches: int) -> int:
    """Raise the soft limit on open files towards the hard one, as a fleet needs two listening
    sockets per switch and more; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, 1024 + switches * _FILES_PER_SWITCH)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


class Fleet:
    """Start with ``await Fleet.start(spec, data_dir)``; stop with ``close()``."""

    def __init__(
        self,
        spec: FleetSpec,
        houp: HoupServer,
        credentials: SshCredentials,
        members: Sequence[FleetMember],
        metrics: EmulatorMetrics,
    ) -> None:
        self.spec = spec
        self.metrics = metrics
        self.houp = houp
        self.credentials = credentials
        self.members = tuple(members)
        self._by_name = {member.spec.name: member for member in members}
        self.ready_seconds = 0.0
        # what the switches serve NETCONF over TLS with, if they do
        self.tls_certificate: DeviceCertificate | None = None

    @classmethod
    async def start(cls, spec: FleetSpec, data_dir: Path, clock: Clock | None = None) -> Self:
        """Start the HOUP and every switch; a switch that cannot start is reported in its
        state and the others run (check :meth:`failed`). ``clock``, the switches' one clock,
        replaces the spec's (a simulated clock in a test)."""
        raise_open_file_limit(spec.count)
        began = time.perf_counter()
        houp = await HoupServer.start(
            data_dir / HOUP_DIR,
            host=spec.houp_host,
            port=spec.houp_port,
            admin_port=spec.houp_admin_port,
            catalogue=spec.catalogue,
        )
        try:
            ports: dict[str | None, int] = {None: houp.port}
            for group in spec.groups:
                if group.houp_faults is not None:
                    door = await houp.open_door(group.name, group.houp_faults)
                    ports[group.name] = door.port
            credentials = await asyncio.to_thread(SshCredentials.load_or_create, data_dir)
            # once for the fleet rather than once per switch (it costs an scrypt)
            await refuse_default_credentials(spec.host, credentials.users, data_dir)
            members: list[FleetMember] = []
            metrics = EmulatorMetrics(
                houp,
                lambda: [
                    SwitchView(m.spec.name, m.switch, m.state is SwitchState.RUNNING)
                    for m in members
                ],
            )
            environment = FleetEnvironment(
                data_dir=data_dir,
                host=spec.host,
                credentials=credentials,
                clock=clock or make_clock(spec.clock),
                houp_host=houp.host,
                houp_ports=ports,
                houp_public_key=houp.signing_public_key,
                factory_config=factory_config(houp.ca_cert_pem),
                reboot_duration=timedelta(seconds=spec.reboot_seconds),
                netconf_settings=netconf_settings(
                    [call_home_url(url) for url in spec.call_home],
                    [] if spec.tls_client_ca is None else [tls_client_cas(spec.tls_client_ca)],
                ),
                tls_certificate=await asyncio.to_thread(fleet_tls_certificate, spec, data_dir),
                watch=metrics.watch,
            )
            members.extend(FleetMember(switch, environment) for switch in spec.switches)
            fleet = cls(spec, houp, credentials, members, metrics)
            fleet.tls_certificate = environment.tls_certificate
            await fleet.start_switches()
        except BaseException:
            await houp.close()
            raise
        fleet.ready_seconds = time.perf_counter() - began
        return fleet

    def member(self, name: str) -> FleetMember:
        """KeyError for a name that is not in the fleet."""
        return self._by_name[name]

    def in_state(self, *states: SwitchState) -> list[FleetMember]:
        return [member for member in self.members if member.state in states]

    def failed(self) -> list[FleetMember]:
        return self.in_state(SwitchState.FAILED, SwitchState.CRASHED)

    def inventory_entries(self) -> list[InventoryEntry]:
        """Every switch that has its ports, started or not: a stopped switch comes back on
        the same ones."""
        return [
            InventoryEntry(
                name=member.spec.name,
                group=member.spec.group,
                host=self.spec.host,
                netconf_port=member.netconf_port,
                cli_port=member.cli_port or None,
                model=member.spec.model,
                esn=member.spec.esn,
            )
            for member in self.members
            if member.netconf_port
        ]

    async def login(self) -> Login:
        """Who the inventories log in as (:class:`Login`)."""
        users = self.credentials.users
        if await asyncio.to_thread(users.uses_default_credentials):
            return Login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        administrators = users.administrators()
        return Login(administrators[0].name if administrators else DEFAULT_USERNAME, None)

    async def start_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.start, self.members if members is None else members)

    async def stop_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.stop, self.members if members is None else members)

    async def reset_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.reset, self.members if members is None else members)

    async def close(self) -> None:
        await self.stop_switches()
        await self.houp.close()


async def _bounded(
    action: Callable[[FleetMember], Awaitable[None]], members: Iterable[FleetMember]
) -> None:
    gate = asyncio.Semaphore(START_CONCURRENCY)

    async def one(member: FleetMember) -> None:
        async with gate:
            await action(member)

    await asyncio.gather(*(one(member) for member in members))
