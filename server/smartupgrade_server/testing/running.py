"""What the pytest plugin's fixtures give a test: switches, fleets, their HOUP's fault injection
and the simulated clock, each served from an event loop in a thread of its own, so that the
code under test may block (ncclient, a subprocess) or run its own event loop."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import urllib.request
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_server.device.clock import Clock, SimulatedClock, WallClock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.products import supports_ap_upgrade
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.fleet.admin import FleetAdmin
from smartupgrade_server.fleet.fleet import Fleet
from smartupgrade_server.fleet.inventory import InventoryFormat, write_inventories
from smartupgrade_server.fleet.spec import parse_fleet
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.sim.options import (
    DEFAULT_AP_DEVICE_TYPE,
    DEFAULT_AP_SOFTWARE,
    DEFAULT_MODEL,
    DEFAULT_PATCH,
    DEFAULT_SOFTWARE,
    ap_esn,
    esn,
)
from smartupgrade_server.sim.with_houp import SwitchWithHoup
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME, USERS_FILE

T = TypeVar("T")
HOST = "127.0.0.1"
# how long a request to the HOUP's admin port may take
_ADMIN_TIMEOUT = 30.0


class LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="smartupgrade-loop", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result (from another thread)."""
        return self.submit(coroutine).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def make_credentials(directory: Path) -> Path:
    """The factory users (``admin``/``admin``) and host keys, made once in ``directory``
    (RSA key generation and scrypt take a while) and copied into each switch's data."""
    SshCredentials.load_or_create(directory)
    return directory


def copy_credentials(source: Path, data_dir: Path) -> None:
    """``users.yaml`` and the host keys (with their ``.pub``) of ``source`` into ``data_dir``."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for item in [*source.glob("ssh_host_*"), source / USERS_FILE]:
        shutil.copy2(item, data_dir / item.name)


def public_host_keys(data_dir: Path) -> tuple[str, ...]:
    """The switch's host keys as OpenSSH public key lines (``ssh-ed25519 AAAA…``)."""
    return tuple(
        " ".join(path.read_text().split()[:2]) for path in sorted(data_dir.glob("ssh_host_*.pub"))
    )


class SimClock:
    """The simulated clock of a test's switches: their time moves only when the test advances
    it, and every timer that falls due on the way (a scheduled download, a reboot, the periodic
    version check) fires in order before :meth:`advance` returns."""

    def __init__(self, loop: LoopThread, start: datetime | None = None) -> None:
        self._loop = loop
        self.clock = SimulatedClock(start or datetime.now().astimezone().replace(microsecond=0))

    def now(self) -> datetime:
        """The switches' local time (timezone-aware)."""
        return self.clock.now()

    def pending(self) -> list[datetime]:
        """When the timers still waiting are due, earliest first."""
        return self.clock.pending()

    def advance(self, delta: timedelta | float) -> None:
        """Move the switches' time forward (a timedelta or seconds), from a synchronous test."""
        self._loop.run(self.clock.advance(_seconds(delta)))

    async def advance_async(self, delta: timedelta | float) -> None:
        """The same from an asyncio test, without blocking its event loop."""
        await asyncio.wrap_future(self._loop.submit(self.clock.advance(_seconds(delta))))


def _seconds(delta: timedelta | float) -> timedelta:
    return delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


@dataclass(frozen=True)
class HoupFaults:
    """Fault injection into an emulated HOUP (docs/houp.md): what its admin port takes, from
    Python. ``door`` is a fleet group's own door (a group with ``houp_faults``), or None for
    the HOUP's main door."""

    admin_url: str
    door: str | None = None

    @property
    def faults_url(self) -> str:
        return (
            f"{self.admin_url}/faults"
            if self.door is None
            else (f"{self.admin_url}/doors/{self.door}/faults")
        )

    def get(self) -> dict[str, Any]:
        """The faults in force (the admin port's ``GET /faults``)."""
        faults: dict[str, Any] = _admin_json(self.faults_url)
        return faults

    def set(self, **faults: Any) -> dict[str, Any]:
        """Add or change faults, e.g. ``set(expired_certificate=True)``, ``set(unreachable=True)``,
        ``set(break_after={"bytes": 1000})``; returns the faults now in force. A fault the HOUP
        does not know raises ``urllib.error.HTTPError`` (400) and changes nothing."""
        _admin_json(self.faults_url, "PUT", faults)
        return self.get()

    def clear(self) -> None:
        """Every fault off, the HOUP reachable again."""
        _admin_json(self.faults_url, "DELETE")

    def stats(self) -> dict[str, Any]:
        """What the HOUP sent: bytes per file and door, and every request."""
        stats: dict[str, Any] = _admin_json(f"{self.admin_url}/stats")
        return stats

    def for_door(self, door: str) -> HoupFaults:
        return HoupFaults(self.admin_url, door)


def _admin_json(url: str, method: str = "GET", body: Mapping[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=_ADMIN_TIMEOUT) as answer:
        text = answer.read()
    return json.loads(text) if text else None


@dataclass(frozen=True)
class SwitchLogin:
    """How a controller logs in to the switches of a fixture."""

    host: str
    username: str
    password: str
    # OpenSSH public key lines of the switches' host keys, to pin or to check
    host_keys: tuple[str, ...]

    def known_hosts(self, port: int) -> str:
        """Lines for an OpenSSH ``known_hosts`` file naming the switch at ``port``."""
        return "".join(f"[{self.host}]:{port} {key}\n" for key in self.host_keys)


class _LoggingIn:
    """``host``, ``username`` and ``password`` of the fixture's :class:`SwitchLogin`."""

    login: SwitchLogin

    @property
    def host(self) -> str:
        return self.login.host

    @property
    def username(self) -> str:
        return self.login.username

    @property
    def password(self) -> str:
        return self.login.password


@dataclass(frozen=True)
class RunningSwitch(_LoggingIn):
    """One emulated switch with a HOUP of its own, listening on 127.0.0.1."""

    login: SwitchLogin
    port: int
    cli_port: int | None
    model: str
    esn: str
    data_dir: Path
    houp: HoupFaults
    _pair: SwitchWithHoup = field(repr=False)

    @property
    def host_keys(self) -> tuple[str, ...]:
        return self.login.host_keys

    @property
    def known_hosts(self) -> str:
        return self.login.known_hosts(self.port)

    def ncclient_args(self) -> dict[str, Any]:
        """Keyword arguments for ``ncclient.manager.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "hostkey_verify": False,
            "look_for_keys": False,
            "allow_agent": False,
        }

    def connect(self, **options: Any) -> SmartUpgradeClient:
        """A session of the project's own SDK (docs/sdk.md), e.g. to set up or check state."""
        return SmartUpgradeClient.connect(
            self.host,
            self.port,
            username=options.pop("username", self.username),
            password=options.pop("password", self.password),
            hostkey_verify=False,
            **options,
        )

    @property
    def software_version(self) -> str | None:
        """The software the switch runs (read from the emulator, no session needed)."""
        device = self._pair.switch.device if self._pair.switch.smart_upgrade else None
        return None if device is None else device.software_version


@dataclass(frozen=True)
class SwitchOptions:
    """What ``@pytest.mark.smartupgrade_switch(...)`` may set."""

    model: str = DEFAULT_MODEL
    software: str = DEFAULT_SOFTWARE
    patch: str | None = DEFAULT_PATCH
    esn: str = esn(1)
    catalogue: Catalogue | Path | str | None = None
    flash_capacity: int = DEFAULT_FLASH_CAPACITY
    # seconds on the switch's clock; short, so that a controller's test does not wait a minute
    reboot_seconds: float = 1.0
    command_line: bool = False


def start_switch(
    loop: LoopThread,
    data_dir: Path,
    credentials: Path,
    options: SwitchOptions,
    clock: SimClock | None,
) -> RunningSwitch:
    copy_credentials(credentials, data_dir)
    ap = supports_ap_upgrade(options.model)
    catalogue = Path(options.catalogue) if isinstance(options.catalogue, str) else options.catalogue
    pair = loop.run(
        SwitchWithHoup.start(
            data_dir,
            identity=Identity(
                options.model,
                options.model,
                options.esn,
                DEFAULT_AP_DEVICE_TYPE if ap else None,
                ap_esn(1) if ap else None,
            ),
            factory=FactoryState(
                options.software, options.patch or None, DEFAULT_AP_SOFTWARE if ap else None
            ),
            clock=_clock(clock),
            cli_port=0 if options.command_line else None,
            catalogue=catalogue,
            flash_capacity=options.flash_capacity,
            reboot_duration=timedelta(seconds=options.reboot_seconds),
        )
    )
    return RunningSwitch(
        login=SwitchLogin(HOST, DEFAULT_USERNAME, DEFAULT_PASSWORD, public_host_keys(data_dir)),
        port=pair.switch.port,
        cli_port=pair.switch.cli_port,
        model=options.model,
        esn=options.esn,
        data_dir=data_dir,
        houp=HoupFaults(f"http://{pair.houp.host}:{pair.houp.admin_port}"),
        _pair=pair,
    )


def stop_switch(loop: LoopThread, switch: RunningSwitch) -> None:
    loop.run(switch._pair.close())


def _clock(clock: SimClock | None) -> Clock:
    return WallClock() if clock is None else clock.clock


@dataclass(frozen=True)
class FleetSwitch:
    name: str
    group: str
    model: str
    esn: str
    port: int
    cli_port: int | None


@dataclass(frozen=True)
class RunningFleet(_LoggingIn):
    """A fleet in the test's process (docs/fleet.md): every switch on 127.0.0.1 with ports of
    its own, one shared HOUP, the admin API, and the inventories written for the tools."""

    login: SwitchLogin
    switches: tuple[FleetSwitch, ...]
    houp: HoupFaults
    admin_url: str
    inventories: Mapping[InventoryFormat, Path]
    data_dir: Path
    _fleet: Fleet = field(repr=False)
    _admin: FleetAdmin = field(repr=False)

    @property
    def inventory(self) -> Path:
        """The inventory of ``smartupgrade fleet`` (docs/cli.md)."""
        return self.inventories[InventoryFormat.SMARTUPGRADE]

    @property
    def ansible_inventory(self) -> Path:
        return self.inventories[InventoryFormat.ANSIBLE]

    @property
    def nornir_hosts(self) -> Path:
        return self.inventories[InventoryFormat.NORNIR]

    def switch(self, name: str) -> FleetSwitch:
        """KeyError for a name that is not in the fleet."""
        return {switch.name: switch for switch in self.switches}[name]


@dataclass(frozen=True)
class FleetOptions:
    """What ``@pytest.mark.smartupgrade_fleet(...)`` may set: ``count`` switches taking
    ``models`` in turn, or ``groups`` as in a fleet file."""

    count: int = 3
    models: Sequence[str] = (DEFAULT_MODEL,)
    groups: Sequence[Mapping[str, Any]] | None = None
    catalogue: Path | str | None = None
    reboot_seconds: float = 1.0


def start_fleet(
    loop: LoopThread,
    data_dir: Path,
    credentials: Path,
    options: FleetOptions,
    clock: SimClock | None,
) -> RunningFleet:
    shutil.copytree(credentials, data_dir)
    groups = options.groups or [
        {"name": "sw", "count": options.count, "models": list(options.models)}
    ]
    document: dict[str, Any] = {
        "groups": [dict(group) for group in groups],
        # every port the OS's choice
        "base_port": 0,
        "houp_port": 0,
        "houp_admin_port": 0,
        "admin_port": 0,
        "reboot_seconds": options.reboot_seconds,
    }
    if options.catalogue is not None:
        document["catalogue"] = str(Path(options.catalogue).absolute())
    spec = parse_fleet(document, Path.cwd(), {})

    async def start() -> tuple[Fleet, FleetAdmin]:
        fleet = await Fleet.start(spec, data_dir, None if clock is None else clock.clock)
        try:
            return fleet, await FleetAdmin.start(fleet, spec.host, 0)
        except BaseException:
            await fleet.close()
            raise

    fleet, admin = loop.run(start())
    failed = fleet.failed()
    if failed:
        loop.run(_close_fleet(fleet, admin))
        raise RuntimeError(
            "switches of the fleet did not start: "
            + ", ".join(f"{member.spec.name} ({member.reason})" for member in failed)
        )
    inventories = write_inventories(
        data_dir / "inventory" / "fleet.yaml", fleet.inventory_entries(), loop.run(fleet.login())
    )
    return RunningFleet(
        login=SwitchLogin(HOST, DEFAULT_USERNAME, DEFAULT_PASSWORD, public_host_keys(data_dir)),
        switches=tuple(
            FleetSwitch(
                name=member.spec.name,
                group=member.spec.group,
                model=member.spec.model,
                esn=member.spec.esn,
                port=member.netconf_port,
                cli_port=member.cli_port or None,
            )
            for member in fleet.members
        ),
        houp=HoupFaults(f"http://{fleet.houp.host}:{fleet.houp.admin_port}"),
        admin_url=f"http://{spec.host}:{admin.port}",
        inventories=inventories,
        data_dir=data_dir,
        _fleet=fleet,
        _admin=admin,
    )


async def _close_fleet(fleet: Fleet, admin: FleetAdmin) -> None:
    await admin.close()
    await fleet.close()


def stop_fleet(loop: LoopThread, fleet: RunningFleet) -> None:
    loop.run(_close_fleet(fleet._fleet, fleet._admin))
