"""The switch rig: one emulated switch (``EmulatedSwitch``: datastores, NACM, notifications,
NETCONF over SSH, and on demand its command line, its web system and NETCONF over TLS) on
127.0.0.1, every port chosen by the OS, wired to the tests' HOUP as smartupgrade-sim wires it
(its default address through the host table, 443 forwarded, the HOUP's CA in the factory SSL
policy) or to none; and the clients the tests drive it with.

:class:`Switches` starts rigs on the test's event loop (async tests call blocking clients in a
thread: :meth:`SwitchRig.session`); :class:`ThreadedSwitches` on a loop of its own, with a
HOUP of its own, for tests that block (ncclient, the SDK, netmiko, the ``smartupgrade``
command)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack

from ncclient import manager
from yangson.enumerations import ContentType

from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_model.convert import RawObject
from smartupgrade_model.model import MODULE, UpgradeStatus
from smartupgrade_model.modules import AP_UPGRADE_FEATURE
from smartupgrade_server.datastore.store import DatastoreName
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import Clock, SimulatedClock
from smartupgrade_server.device.events import Booted, DeviceEvent, Line, Rebooting
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.products import supports_ap_upgrade
from smartupgrade_server.device.switch import Switch as Device
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.nacm.rules import NACM
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch, NetconfOptions
from smartupgrade_server.sim.options import factory_config, houp_route
from smartupgrade_server.transport.call_home import CallHomeTiming
from smartupgrade_server.web.server import WebServer
from tests.interop.clients import yanglint_validate_reply
from tests.support import defaults
from tests.support.client_pki import ClientCertificate, connect_tls
from tests.support.defaults import FLASH_CAPACITY, IDENTITY, NETWORK_TIMEOUT, REBOOT, START
from tests.support.houp import SMALL_CATALOGUE, running_houp
from tests.support.loop import LoopThread
from tests.support.manual_scheduler import ManualScheduler
from tests.support.rigs import Rigs
from tests.support.users import ADMIN, Account, Credentials, Server
from tests.support.vrp import typed
from tests.support.waiting import until
from tests.support.web import WebClient

T = TypeVar("T")
HOST = "127.0.0.1"


@dataclass
class SwitchRig:
    """A running switch, what it was started as, and its clients. Clients log in as the first
    of ``accounts`` unless told otherwise."""

    switch: EmulatedSwitch
    # the switch's clock: simulated unless the test gave another
    switch_clock: Clock
    # the HOUP the switch is wired to, if any
    wired_to: HoupServer | None
    data_dir: Path
    identity: Identity
    factory: FactoryState
    accounts: tuple[Account, ...]
    # the timers of confirmed commits, when the test fires them itself
    commit_timers: ManualScheduler | None = None
    # the loop serving the switch, when it is not the test's
    served_by: LoopThread | None = None
    events: list[DeviceEvent] = field(default_factory=list)
    _web_clients: list[WebClient] = field(default_factory=list)
    _closed: bool = False

    @property
    def houp(self) -> HoupServer:
        assert self.wired_to is not None, "a switch reaching no HOUP"
        return self.wired_to

    @property
    def clock(self) -> SimulatedClock:
        """The simulated clock the test moves."""
        assert isinstance(self.switch_clock, SimulatedClock), self.switch_clock
        return self.switch_clock

    @property
    def scheduler(self) -> ManualScheduler:
        assert self.commit_timers is not None, "started without a scheduler"
        return self.commit_timers

    @property
    def loop(self) -> LoopThread:
        """The loop thread serving the switch (:class:`ThreadedSwitches`)."""
        assert self.served_by is not None, "served by the test's own loop"
        return self.served_by

    @property
    def device(self) -> Device:
        return self.switch.device

    @property
    def port(self) -> int:
        return self.switch.port

    @property
    def cli_port(self) -> int:
        port = self.switch.cli_port
        assert port is not None, "started without cli=True"
        return port

    @property
    def tls_port(self) -> int:
        port = self.switch.tls_port
        assert port is not None, "started without tls=True"
        return port

    @property
    def web(self) -> WebServer:
        assert self.switch.web is not None, "started without web=True"
        return self.switch.web

    @property
    def tls_certificate(self) -> Path:
        """The switch's TLS certificate, which a client pins."""
        assert self.switch.netconf.tls is not None, "started without tls=True"
        return self.switch.netconf.tls.certificate.cert_path

    def server(self, username: str | None = None, *, password: str | None = None) -> Server:
        """The switch's NETCONF address, logging in as ``username`` (by default the first of
        ``accounts``) with ``password``, by default that account's."""
        name = username or self.accounts[0].name
        if password is None:
            password = next(a.password for a in self.accounts if a.name == name)
        return Server(HOST, self.port, name, password)

    def ncclient(self, username: str | None = None, **options: Any) -> manager.Manager:
        """An ncclient session over SSH (blocking)."""
        return self.server(username).ncclient(**options)

    async def session(self, username: str | None = None, **options: Any) -> manager.Manager:
        """:meth:`ncclient` in a thread, while the switch serves on the test's loop."""
        return await asyncio.to_thread(self.ncclient, username, **options)

    def connect_tls(self, client: ClientCertificate) -> manager.Manager:
        """An ncclient session over TLS, as ``client``, pinning the switch's certificate."""
        return connect_tls(self.tls_port, client, self.tls_certificate)

    def sdk(self, username: str | None = None, **options: Any) -> SmartUpgradeClient:
        """A session of the SDK (blocking)."""
        return self.server(username).sdk(**options)

    async def async_sdk(
        self, username: str | None = None, **options: Any
    ) -> AsyncSmartUpgradeClient:
        """A session of the asyncio SDK."""
        return await self.server(username).async_sdk(**options)

    def web_client(self) -> WebClient:
        """A browser of the switch's web system, closed with the rig."""
        client = WebClient(self.web)
        self._web_clients.append(client)
        return client

    def vrp(self, *lines: str) -> list[str]:
        """What the last of ``lines`` printed on the switch's own command line, typed over SSH
        (blocking: :class:`ThreadedSwitches`)."""
        return self.loop.run(typed(self.cli_port, *lines))

    def argv(self, *command: str) -> list[str]:
        """``smartupgrade`` arguments for this switch."""
        return ["--port", str(self.port), *command]

    def running(self) -> RawObject:
        """``running`` without the factory NACM rules (nacm/factory.py)."""
        running = self.switch.datastores.raw(DatastoreName.RUNNING)
        running.pop(NACM, None)
        return running

    def status(self) -> UpgradeStatus | None:
        return self.device.state().upgrade_information.upgrade_status

    async def settled(self) -> None:
        """Until the operation started last has ended."""
        await until(lambda: self.status() is not UpgradeStatus.RUNNING)

    def check_state(self, reply: Any) -> None:
        """The operational state against the modules: yangson in-process, and yanglint as an
        oracle on ``reply`` (an ncclient reply to a <get>)."""
        raw = self.switch.datastores.operational().raw_value()
        validated(self.switch.datastores.schema, raw, ContentType.all)
        ap_upgrade = supports_ap_upgrade(self.identity.model)
        features = [f"{MODULE}:{AP_UPGRADE_FEATURE}"] if ap_upgrade else []
        result = yanglint_validate_reply(reply.xml, "get", features=features)
        assert result.valid, result.output

    async def close(self) -> None:
        """Close the web clients and stop the switch (once)."""
        if self._closed:
            return
        self._closed = True
        for client in self._web_clients:
            await client.close()
        await self.switch.close()


class SwitchOptions(TypedDict, total=False):
    """What a test may choose of a switch (:meth:`Switches.start`)."""

    identity: Identity
    factory: FactoryState
    accounts: tuple[Account, ...]
    clock: Clock
    scheduler: ManualScheduler
    cli: bool
    web: bool
    tls: bool
    call_home_timing: CallHomeTiming
    flash_capacity: int
    data_dir: Path
    through_reboots: bool


class Switches(Rigs[SwitchRig]):
    """Starts switch rigs for one test, closes them after it."""

    def __init__(
        self,
        directory: Path,
        credentials: Credentials,
        houp: HoupServer | None,
        loop: LoopThread | None = None,
    ) -> None:
        super().__init__()
        self._directory = directory
        self._credentials = credentials
        self._houp = houp
        self._loop = loop

    async def start(
        self,
        *,
        identity: Identity = IDENTITY,
        factory: FactoryState | None = None,
        accounts: tuple[Account, ...] = (ADMIN,),
        clock: Clock | None = None,
        scheduler: ManualScheduler | None = None,
        cli: bool = False,
        web: bool = False,
        tls: bool = False,
        call_home_timing: CallHomeTiming | None = None,
        flash_capacity: int = FLASH_CAPACITY,
        data_dir: Path | None = None,
        through_reboots: bool = False,
    ) -> SwitchRig:
        """A switch that is ``identity`` and runs ``factory`` on its first start (by default
        tests/support/defaults.py's, the AP's versions too for a switch managing one), in
        ``data_dir`` (by default a new one) holding the users of ``accounts`` and the session's
        host keys. ``clock``: a simulated one from START unless given; ``scheduler`` times
        confirmed commits (the loop's clock unless given). ``cli``, ``web`` and ``tls`` also
        serve the command line, the web system and NETCONF over TLS; ``call_home_timing`` is
        the backoff of the calls home. ``through_reboots`` moves the (simulated) clock through
        each reboot of the switch or of its AP, so that it comes back as soon as it went
        down."""
        directory = data_dir or self._directory / f"switch-{self.started}"
        self._credentials.data_dir(directory, *accounts)
        clock = clock or SimulatedClock(START)
        factory = factory or defaults.factory(ap=identity.ap_device_type is not None)
        wiring: dict[str, Any] = {}
        if self._houp is not None:
            hosts, port_forwards = houp_route(self._houp.host, self._houp.port)
            wiring = {
                "houp_public_key": self._houp.signing_public_key,
                "factory_config": factory_config(self._houp.ca_cert_pem),
                "hosts": hosts,
                "port_forwards": port_forwards,
            }
        switch = await EmulatedSwitch.start(
            directory,
            identity=identity,
            factory=factory,
            clock=clock,
            host=HOST,
            scheduler=scheduler,
            cli_port=0 if cli else None,
            web_port=0 if web else None,
            netconf_options=NetconfOptions(
                tls_port=0 if tls else None, call_home_timing=call_home_timing
            ),
            flash_capacity=flash_capacity,
            network_timeout=NETWORK_TIMEOUT,
            reboot_duration=REBOOT,
            **wiring,
        )
        rig = SwitchRig(
            switch,
            clock,
            self._houp,
            directory,
            identity,
            factory,
            accounts,
            scheduler,
            self._loop,
        )
        self._keep(rig)
        if switch.smart_upgrade:
            switch.device.subscribe(rig.events.append)
            if through_reboots:
                assert isinstance(clock, SimulatedClock)
                _through_reboots(switch.device, clock)
        return rig


def _through_reboots(device: Device, clock: SimulatedClock) -> None:
    loop = asyncio.get_running_loop()
    booted = asyncio.Event()
    reboots: set[asyncio.Task[None]] = set()

    def run(coroutine: Coroutine[Any, Any, None]) -> None:
        task = loop.create_task(coroutine)
        reboots.add(task)
        task.add_done_callback(reboots.discard)

    async def run_the_reboot() -> None:
        # The switch sets its boot timer after it has gone down (after Rebooting), so the clock
        # is moved on until it has booted; the loop yields to the switch in between.
        while not booted.is_set():
            await clock.advance(REBOOT)
            await asyncio.sleep(0.01)

    def boot_through(event: DeviceEvent) -> None:
        if isinstance(event, Rebooting):
            booted.clear()
            run(run_the_reboot())
        elif isinstance(event, Booted):
            booted.set()
        elif isinstance(event, Line) and event.message == messages.AP_REBOOTING:
            # the AP reboots, the switch stays up: its AP boot timer is armed in this step
            loop.call_soon(lambda: run(clock.advance(REBOOT)))

    device.subscribe(boot_through)


class ThreadedSwitches:
    """Switch rigs served by an event loop in a thread of its own, with a HOUP of their own
    serving ``catalogue`` (none without ``houp_dir``): for tests whose clients block. Each
    switch is started with ``options`` (:meth:`Switches.start`), then those of its own."""

    def __init__(
        self,
        directory: Path,
        credentials: Credentials,
        houp_dir: Path | None,
        catalogue: str = SMALL_CATALOGUE,
        **options: Unpack[SwitchOptions],
    ) -> None:
        self._options = options
        self.loop = LoopThread()
        self._stack = AsyncExitStack()
        self.wired_to = (
            None
            if houp_dir is None
            else self.loop.run(self._stack.enter_async_context(running_houp(houp_dir, catalogue)))
        )
        self._switches = Switches(directory, credentials, self.wired_to, self.loop)

    @property
    def houp(self) -> HoupServer:
        assert self.wired_to is not None, "switches reaching no HOUP"
        return self.wired_to

    def start(self, **options: Unpack[SwitchOptions]) -> SwitchRig:
        chosen = self._options.copy()
        chosen.update(options)
        return self.loop.run(self._switches.start(**chosen))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """``coroutine`` on the switches' loop."""
        return self.loop.run(coroutine)

    def set_bandwidth(self, limit: int | None) -> None:
        """The HOUP's bandwidth in bytes per second (None: unlimited)."""
        self.houp.settings.bandwidth_limit = limit

    def close(self) -> None:
        try:
            self.loop.run(self._switches.close())
            self.loop.run(self._stack.aclose())
        finally:
            self.loop.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
