"""A fleet: many switches in one process and one event loop, sharing one HOUP, one schema, one
set of users and host keys; each switch keeps only its own data (docs/fleet.md).

:class:`LocalSwitches` are the switches this process runs: all of a fleet's, or a worker's
share of them (fleet/worker.py), reaching a HOUP that may run elsewhere (:class:`HoupAccess`).
:class:`Fleet` is the whole fleet in one process, its HOUP included.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import socket
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Self

import aiohttp
from cryptography import x509

from smartupgrade_server.device.clock import Clock
from smartupgrade_server.fleet.control import SwitchAction
from smartupgrade_server.fleet.inventory import InventoryEntry, Login, entries_of
from smartupgrade_server.fleet.member import (
    FleetEnvironment,
    FleetMember,
    HoupAccess,
    SwitchState,
)
from smartupgrade_server.fleet.spec import FleetSpec, FleetSpecError, Service
from smartupgrade_server.houp.doors import DEFAULT_DOOR
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
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME, UserDatabase
from smartupgrade_server.web.certificate import WebCertificate, load_or_create_certificate

logger = logging.getLogger(__name__)

# switches starting at once: their file writes overlap in threads, their CPU work does not
START_CONCURRENCY = 64
# files a process keeps for itself: the interpreter, its libraries, the HOUP, logs, pipes
RESERVED_FILES = 1024
# the common name of the web and TLS certificates a fleet's switches share
WEB_CERTIFICATE_NAME = TLS_CERTIFICATE_NAME = "smartupgrade-sim fleet"


def tls_client_cas(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return certificates_file(str(path))
    except argparse.ArgumentTypeError as error:
        raise FleetSpecError(f"tls_client_ca: {error}") from None


def fleet_tls_certificate(spec: FleetSpec, data_dir: Path) -> DeviceCertificate | None:
    """The certificate every switch serves NETCONF over TLS with, made once in the fleet's data
    directory, when the fleet serves TLS or calls home over it (blocking)."""
    endpoints = [call_home_url(url) for url in spec.call_home]
    tls = Service.TLS in spec.services or any(
        endpoint.transport is CallHomeTransport.TLS for endpoint in endpoints
    )
    if not tls:
        return None
    return load_or_create_device_certificate(
        data_dir, TLS_CERT_FILE, TLS_KEY_FILE, spec.host, TLS_CERTIFICATE_NAME
    )


def files_per_switch(spec: FleetSpec) -> int:
    """Open files a switch needs: a listening socket per service, and one more so that every
    switch may have a session or a file open at once."""
    return len(spec.services) + 1


def raise_open_file_limit(spec: FleetSpec, switches: int) -> int:
    """Raise the soft limit on open files towards the hard one for ``switches`` of ``spec``;
    returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # sessions beyond one a switch come out of the margin of the hard limit
    wanted = max(soft, RESERVED_FILES + switches * 2 * files_per_switch(spec))
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def open_file_limit() -> int:
    """The hard limit on open files of a process: what a worker may raise its own to."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 2**31 if hard == resource.RLIM_INFINITY else hard


async def load_credentials(spec: FleetSpec, data_dir: Path) -> SshCredentials:
    """The fleet's users and host keys, made on first use; DefaultCredentialsError when the
    switches or the admin API would listen beyond the loopback while admin/admin works."""
    credentials = await asyncio.to_thread(SshCredentials.load_or_create, data_dir)
    # once for the fleet rather than once per switch (it costs an scrypt); every switch's
    # address is in the network of the first
    for host in dict.fromkeys((spec.host, spec.switches[0].host)):
        await refuse_default_credentials(host, credentials.users, data_dir)
    return credentials


def fleet_login(users: UserDatabase) -> Login:
    """Who the inventories log in as (:class:`Login`); blocking (a password check)."""
    if users.uses_default_credentials():
        return Login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
    administrators = users.administrators()
    return Login(administrators[0].name if administrators else DEFAULT_USERNAME, None)


def fleet_web_certificate(spec: FleetSpec, data_dir: Path) -> WebCertificate | None:
    """The certificate every switch's web system serves, made once in the fleet's data
    directory (blocking): one key and one TLS context for thousands of switches, as their SSH
    host keys are one set."""
    if Service.WEB not in spec.services:
        return None
    return load_or_create_certificate(data_dir, spec.host, WEB_CERTIFICATE_NAME)


async def open_houp_doors(houp: HoupServer, spec: FleetSpec) -> HoupAccess:
    """A door of its own for each group with faults; how the switches reach them all."""
    ports: dict[str | None, int] = {None: houp.port}
    for group in spec.groups:
        if group.houp_faults is not None:
            door = await houp.open_door(group.name, group.houp_faults)
            ports[group.name] = door.port
    return HoupAccess(houp.host, ports, houp.ca_cert_pem, houp.signing_public_key)


# how long a shard waits for a HOUP that runs elsewhere to answer (it may start after the shard)
REMOTE_HOUP_TIMEOUT_S = 300.0
_REMOTE_HOUP_RETRY_S = 2.0


async def remote_houp(url: str, timeout: float = REMOTE_HOUP_TIMEOUT_S) -> HoupAccess:
    """How to reach the HOUP whose admin API is at ``url`` (``smartupgrade-sim houp``): its CA,
    signing key and main door, read from that API once it answers; its host name resolved to
    an address once, as the switches' host table needs one. OSError when it has not answered
    within ``timeout`` seconds."""
    base = url.rstrip("/")
    host = urllib.parse.urlsplit(base).hostname
    if host is None:
        raise FleetSpecError(f"houp_url: expected http://HOST:PORT, got {url!r}")
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        while True:
            try:
                async with http.get(f"{base}/doors") as doors_reply:
                    doors = await doors_reply.json()
                async with http.get(f"{base}/ca.pem") as ca_reply:
                    ca_cert_pem = await ca_reply.text()
                async with http.get(f"{base}/signing-key.asc") as key_reply:
                    public_key = await key_reply.text()
                break
            except (aiohttp.ClientError, TimeoutError) as error:
                if time.monotonic() > deadline:
                    raise OSError(f"the HOUP at {url} does not answer: {error}") from None
                logger.warning("waiting for the HOUP at %s: %s", url, error)
                await asyncio.sleep(_REMOTE_HOUP_RETRY_S)
    found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    address = str(found[0][4][0])
    ports = {door["name"]: door["port"] for door in doors}
    return HoupAccess(address, {None: ports[DEFAULT_DOOR]}, ca_cert_pem, public_key)


class LocalSwitches:
    """The switches of a fleet that run in this process; start with ``await
    LocalSwitches.launch(...)``, stop with ``close()``."""

    def __init__(
        self,
        spec: FleetSpec,
        credentials: SshCredentials,
        members: Sequence[FleetMember],
        metrics: EmulatorMetrics,
    ) -> None:
        self._spec = spec
        self.metrics = metrics
        self.credentials = credentials
        self.members = tuple(members)
        self._by_name = {member.spec.name: member for member in members}
        self.ready_seconds = 0.0
        # what the switches serve NETCONF over TLS with, if they do
        self.tls_certificate: DeviceCertificate | None = None

    @classmethod
    async def launch(
        cls,
        spec: FleetSpec,
        data_dir: Path,
        houp: HoupAccess,
        clock: Clock | None = None,
        *,
        indices: range | None = None,
        ports: Mapping[str, Mapping[str, int | None]] | None = None,
        houp_server: HoupServer | None = None,
    ) -> Self:
        """Start the switches of ``spec`` numbered ``indices`` (default: all of them); a switch
        that cannot start is reported in its state and the others run (check :meth:`failed`).
        ``ports`` are the ports switches had before, by name (``netconf_port``, ``cli_port``,
        ``web_port``), which they take again instead of any free one. ``houp_server``, the
        HOUP when it runs in this process, is in the metrics beside the switches."""
        began = time.perf_counter()
        chosen = spec.switches if indices is None else spec.switches[indices.start : indices.stop]
        raise_open_file_limit(spec, len(chosen))
        credentials = await load_credentials(spec, data_dir)
        members: list[FleetMember] = []
        metrics = EmulatorMetrics(
            houp_server,
            lambda: [
                SwitchView(m.spec.name, m.switch, m.state is SwitchState.RUNNING) for m in members
            ],
        )
        environment = FleetEnvironment(
            data_dir=data_dir,
            credentials=credentials,
            clock=clock or make_clock(spec.clock),
            houp=houp,
            factory_config=factory_config(houp.ca_cert_pem),
            reboot_duration=timedelta(seconds=spec.reboot_seconds),
            web_certificate=await asyncio.to_thread(fleet_web_certificate, spec, data_dir),
            netconf_settings=netconf_settings(
                [call_home_url(url) for url in spec.call_home],
                [] if spec.tls_client_ca is None else [tls_client_cas(spec.tls_client_ca)],
            ),
            tls_certificate=await asyncio.to_thread(fleet_tls_certificate, spec, data_dir),
            watch=metrics.watch,
        )
        members.extend(FleetMember(switch, environment) for switch in chosen)
        for member in members:
            member.take_ports((ports or {}).get(member.spec.name, {}))
        switches = cls(spec, credentials, members, metrics)
        switches.tls_certificate = environment.tls_certificate
        await switches.start_switches()
        switches.ready_seconds = time.perf_counter() - began
        return switches

    @property
    def spec(self) -> FleetSpec:
        return self._spec

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
        return entries_of(member.to_json() for member in self.members)

    async def login(self) -> Login:
        return await asyncio.to_thread(fleet_login, self.credentials.users)

    async def start_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.start, self.members if members is None else members)

    async def stop_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.stop, self.members if members is None else members)

    async def reset_switches(self, members: Iterable[FleetMember] | None = None) -> None:
        await _bounded(FleetMember.reset, self.members if members is None else members)

    async def close(self) -> None:
        await self.stop_switches()

    # --- FleetControl -----------------------------------------------------------------------

    async def switches(self) -> list[dict[str, Any]]:
        return [member.to_json() for member in self.members]

    async def switch(self, name: str) -> dict[str, Any] | None:
        member = self._by_name.get(name)
        return None if member is None else member.to_json()

    async def act(self, name: str, action: SwitchAction) -> dict[str, Any] | None:
        member = self._by_name.get(name)
        if member is None:
            return None
        await _MEMBER_ACTIONS[action](member)
        return member.to_json()

    async def act_on_all(self, action: SwitchAction) -> None:
        await _bounded(_MEMBER_ACTIONS[action], self.members)

    async def exposition(self) -> bytes:
        return self.metrics.text()

    def workers_json(self) -> list[dict[str, Any]]:
        names = [member.spec.name for member in self.members]
        return [
            {
                "index": 0,
                "pid": os.getpid(),
                "state": "running",
                "switches": len(names),
                "first": names[0] if names else None,
                "last": names[-1] if names else None,
                "restarts": 0,
                "last_exit": None,
            }
        ]


_MEMBER_ACTIONS: dict[SwitchAction, Callable[[FleetMember], Awaitable[None]]] = {
    SwitchAction.START: FleetMember.start,
    SwitchAction.STOP: FleetMember.stop,
    SwitchAction.RESET: FleetMember.reset,
    SwitchAction.CRASH: FleetMember.crash,
}


class Fleet(LocalSwitches):
    """The whole fleet in this process: its HOUP and every switch. Start with ``await
    Fleet.start(spec, data_dir)``; stop with ``close()``."""

    houp: HoupServer

    @classmethod
    async def start(cls, spec: FleetSpec, data_dir: Path, clock: Clock | None = None) -> Self:
        """Start the HOUP and every switch; ``clock``, the switches' one clock, replaces the
        spec's (a simulated clock in a test)."""
        began = time.perf_counter()
        houp = await start_houp(spec, data_dir)
        try:
            access = await open_houp_doors(houp, spec)
            fleet = await cls.launch(spec, data_dir, access, clock, houp_server=houp)
        except BaseException:
            await houp.close()
            raise
        fleet.houp = houp
        fleet.ready_seconds = time.perf_counter() - began
        return fleet

    async def close(self) -> None:
        await super().close()
        await self.houp.close()


async def start_houp(spec: FleetSpec, data_dir: Path) -> HoupServer:
    return await HoupServer.start(
        data_dir / HOUP_DIR,
        host=spec.houp_host,
        port=spec.houp_port,
        admin_port=spec.houp_admin_port,
        catalogue=spec.catalogue,
    )


async def _bounded(
    action: Callable[[FleetMember], Awaitable[None]], members: Iterable[FleetMember]
) -> None:
    gate = asyncio.Semaphore(START_CONCURRENCY)

    async def one(member: FleetMember) -> None:
        async with gate:
            await action(member)

    await asyncio.gather(*(one(member) for member in members))
