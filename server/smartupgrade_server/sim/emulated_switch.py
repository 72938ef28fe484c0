"""One emulated switch behind NETCONF: the switch emulator, its datastores, the operations and
the SSH server, composed (docs/server.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Self, TypedDict, Unpack

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import switch_schema
from smartupgrade_server.datastore.persistence import save_config
from smartupgrade_server.datastore.store import STARTUP_FILE, Datastores, Scheduler
from smartupgrade_server.datastore.yang_library import module_set
from smartupgrade_server.device.clock import Clock, WallClock
from smartupgrade_server.device.events import Booted, DeviceEvent
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.products import supports_ap_upgrade, supports_smart_upgrade
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.device.switch import Switch as Device
from smartupgrade_server.nacm.enforcement import AccessControl, AccessControlledOperations
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.netconf.registry import SessionRegistry
from smartupgrade_server.operations.capabilities import (
    protocol_capabilities,
    server_capabilities,
)
from smartupgrade_server.operations.device_link import DeviceLink
from smartupgrade_server.operations.dispatcher import NetconfOperations
from smartupgrade_server.operations.monitoring import Discovery
from smartupgrade_server.operations.nmda import NmdaOperations
from smartupgrade_server.operations.notifications import NotificationStream
from smartupgrade_server.operations.smart_upgrade import SmartUpgradeOperations
from smartupgrade_server.operations.subscriptions import Subscriptions
from smartupgrade_server.operations.system import SystemOperations
from smartupgrade_server.operations.yang_push import YangPush
from smartupgrade_server.transport.call_home import CallHomeTiming
from smartupgrade_server.transport.certificates import (
    DeviceCertificate,
    load_or_create_device_certificate,
)
from smartupgrade_server.transport.cli_ssh import CliSshServer
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.netconf_server import NetconfServer
from smartupgrade_server.transport.server_settings import (
    NetconfServerConfig,
    NetconfServerSettings,
)
from smartupgrade_server.transport.ssh import NetconfSshServer
from smartupgrade_server.transport.tls import TLS_CERT_FILE, TLS_KEY_FILE
from smartupgrade_server.vrp.shell import CommandLine, FixedChassis
from smartupgrade_server.web.certificate import WebCertificate
from smartupgrade_server.web.server import WebServer

logger = logging.getLogger(__name__)
# real seconds a rebooting switch lets its sessions write the notifications already queued
REBOOT_DRAIN = 1.0
# the emulator's default flash, shown by a switch without one (display version)


class DeviceOptions(TypedDict, total=False):
    """The switch emulator's own settings (docs/device.md); its defaults apply when absent."""

    flash_capacity: int
    hosts: Mapping[str, str]
    port_forwards: Mapping[int, int]
    network_timeout: float
    reboot_duration: timedelta


@dataclass(frozen=True)
class NetconfOptions:
    """The NETCONF server's options beyond SSH (docs/server.md): NETCONF over TLS on
    ``tls_port`` (0: any; None: not listening) with ``tls_certificate`` (a fleet's; by default
    the switch's own, made in its data directory), the program's own TLS client mappings and
    call-home clients (``settings``, beside the datastore's /netconf-server), and the time of
    the calls home (tests pass their own)."""

    tls_port: int | None = None
    tls_certificate: DeviceCertificate | None = None
    settings: NetconfServerSettings = field(default_factory=NetconfServerSettings)
    call_home_timing: CallHomeTiming | None = None


class EmulatedSwitch:
    """A switch emulator managed over NETCONF: ``await EmulatedSwitch.start(...)``, then
    ``close()``.

    The switch's reboot is the server's: every session is dropped, the ports stop listening
    and the calls home stop while the switch is down; it listens again on the same ports and
    calls home again once the switch has booted (``await serving()``). ``running`` lives on
    across the switch's reboot, as the management plane's state; only a process start loads it
    from ``startup``.
    """

    def __init__(
        self,
        *,
        device: Device | None,
        datastores: Datastores,
        operations: NetconfOperations,
        discovery: Discovery,
        notifications: NotificationStream,
        subscriptions: Subscriptions,
        push: YangPush,
        access: AccessControl,
        link: DeviceLink | None,
        netconf: NetconfServer,
        netconf_config: NetconfServerConfig,
        netconf_options: NetconfOptions,
        data_dir: Path,
        host: str,
        command_line: CommandLine | None = None,
        credentials: SshCredentials | None = None,
    ) -> None:
        self._device = device
        self.datastores = datastores
        self.operations = operations
        self.discovery = discovery
        self.notifications = notifications
        self.subscriptions = subscriptions
        self._push = push
        self.access = access
        self.netconf = netconf
        # the SSH server: its users, logins and sessions are every transport's
        self.server = netconf.ssh
        self._netconf_config = netconf_config
        self._netconf_options = netconf_options
        self._tls_port = netconf.tls_port
        self.command_line = command_line
        self.cli_server: CliSshServer | None = None
        self._cli_port: int | None = None
        self._link = link
        self._data_dir = data_dir
        self._host = host
        self._port = netconf.ssh.port
        self._serving = asyncio.Event()
        self._serving.set()
        self._restart: asyncio.Task[None] | None = None
        self._credentials = credentials
        # why the switch stopped serving for good, if it did (a port taken while it rebooted)
        self.failure: str | None = None
        self.web: WebServer | None = None

    @classmethod
    async def start(
        cls,
        data_dir: Path,
        *,
        identity: Identity,
        factory: FactoryState,
        houp_public_key: str | None = None,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        scheduler: Scheduler | None = None,
        factory_config: RawObject | None = None,
        cli_port: int | None = None,
        credentials: SshCredentials | None = None,
        web_port: int | None = None,
        web_certificate: WebCertificate | None = None,
        netconf_options: NetconfOptions = NetconfOptions(),
        **device_options: Unpack[DeviceOptions],
    ) -> Self:
        """Boot the switch whose data is in ``data_dir`` (created on first start) and listen
        on ``host:port``.

        ``identity`` and ``factory`` (the versions of a first start), ``houp_public_key`` (the
        OpenPGP key the firmware trusts), ``clock`` (default: wall clock) and
        ``device_options`` go to the switch emulator. A model without Smart Upgrade (S5731-L…)
        gets no emulator: NETCONF and the command line serve it without the smart-upgrade
        module, its RPCs and commands. ``factory_config`` is the startup
        configuration written when ``data_dir`` has none yet, beside the factory NACM rules
        (nacm/factory.py) unless it has its own. ``scheduler`` times confirmed
        commits; by default the running event loop's clock. ``cli_port`` (0: any) also serves
        the switch's VRP command line over SSH on ``host`` (docs/cli-vrp.md). ``credentials``
        (a fleet's) replace the users and host keys of ``data_dir``, at every boot.
        ``web_port`` (0: any) also serves the switch's web system over HTTPS on ``host``
        (docs/web.md), with ``web_certificate`` (a fleet's) instead of its own.
        ``netconf_options`` add NETCONF over TLS and call home.
        """
        await asyncio.to_thread(_prepare_data_dir, data_dir, factory_config)
        ap_upgrade = supports_ap_upgrade(identity.model)
        smart_upgrade = supports_smart_upgrade(identity.model)
        schema = switch_schema(ap_upgrade=ap_upgrade, smart_upgrade=smart_upgrade)
        datastores = await asyncio.to_thread(
            Datastores,
            schema,
            data_dir,
            scheduler or asyncio.get_running_loop().call_later,
        )
        clock = clock or WallClock()
        operations = NetconfOperations(datastores)
        device: Device | None = None
        link: DeviceLink | None = None
        if smart_upgrade:
            device = Device(
                data_dir,
                identity=identity,
                factory=factory,
                clock=clock,
                houp_public_key=houp_public_key,
                **device_options,
            )
            link = _wire_device(device, datastores, operations)
        discovery = Discovery(
            module_set(
                smart_upgrade=smart_upgrade,
                ap_upgrade=ap_upgrade,
                protocol_capabilities=protocol_capabilities(),
            ),
            datastores,
        )
        discovery.register(operations.register)
        operations.add_state_source(discovery.selected)
        NmdaOperations(datastores, [discovery.selected]).register(operations.register)
        access = AccessControl(datastores)
        datastores.set_authorizer(access)
        datastores.add_state_provider(access.state)
        notifications, subscriptions, push = _notifications(operations, clock, access, device, link)
        netconf_config = NetconfServerConfig(datastores, netconf_options.settings)
        netconf_config.attach()
        try:
            netconf = await _listen(
                host,
                port,
                data_dir,
                operations,
                discovery,
                notifications=notifications,
                subscriptions=subscriptions,
                access=access,
                credentials=credentials,
                tls_port=netconf_options.tls_port,
                tls_certificate=partial(
                    _tls_certificate, netconf_options, data_dir, host, identity.device_name
                ),
                settings=netconf_config.settings,
                timing=netconf_options.call_home_timing,
            )
        except BaseException:
            push.close()
            if link is not None:
                link.close()
            if device is not None:
                await device.close()
            raise
        shown = device or FixedChassis(
            identity,
            factory.software,
            factory.patch,
            clock,
            device_options.get("flash_capacity", DEFAULT_FLASH_CAPACITY),
        )
        switch = cls(
            device=device,
            datastores=datastores,
            operations=operations,
            discovery=discovery,
            notifications=notifications,
            subscriptions=subscriptions,
            push=push,
            access=access,
            link=link,
            netconf=netconf,
            netconf_config=netconf_config,
            netconf_options=netconf_options,
            data_dir=data_dir,
            host=host,
            command_line=None if cli_port is None else CommandLine(datastores, shown),
            credentials=credentials,
        )
        # running may have changed while the server started
        netconf_config.listener = switch._netconf_settings_changed
        netconf.apply(netconf_config.settings)
        if device is not None:
            device.on_reboot = switch._switch_down
            device.subscribe(switch._observe)
        await switch._open_other_ports(cli_port, web_port, web_certificate, shown)
        return switch

    async def _open_other_ports(
        self,
        cli_port: int | None,
        web_port: int | None,
        web_certificate: WebCertificate | None,
        shown: Device | FixedChassis,
    ) -> None:
        # a switch that cannot listen on all its ports is not started at all
        try:
            if self.command_line is not None and cli_port is not None:
                self.cli_server = await _listen_cli(
                    self._host, cli_port, self._data_dir, self.command_line, self.server
                )
                self._cli_port = self.cli_server.port
            if web_port is not None:
                self.web = await WebServer.start(
                    self._host,
                    web_port,
                    self._data_dir,
                    chassis=shown,
                    access=self.access,
                    logins=self.server.logins,
                    certificate=web_certificate,
                )
        except BaseException:
            await self.close()
            raise

    @property
    def device(self) -> Device:
        """The switch emulator; a model without Smart Upgrade has none."""
        if self._device is None:
            raise RuntimeError("a switch without Smart Upgrade has no emulator")
        return self._device

    @property
    def smart_upgrade(self) -> bool:
        return self._device is not None

    @property
    def port(self) -> int:
        return self._port

    @property
    def tls_port(self) -> int | None:
        """NETCONF over TLS, if the switch listens for it."""
        return self._tls_port

    def _netconf_settings_changed(self, settings: NetconfServerSettings) -> None:
        # while the switch is down, its next boot reads the settings
        if self._serving.is_set():
            self.netconf.apply(settings)

    @property
    def cli_port(self) -> int | None:
        return self._cli_port

    @property
    def web_port(self) -> int | None:
        return None if self.web is None else self.web.port

    async def serving(self) -> None:
        """Wait until the server accepts connections (after a reboot of the switch)."""
        await self._serving.wait()

    @property
    def up(self) -> bool:
        """Serving; False while the switch reboots, and for good once :attr:`failure` is set."""
        return self._serving.is_set()

    async def _switch_down(self) -> None:
        self._serving.clear()
        await self.netconf.close(drain=REBOOT_DRAIN)
        if self.cli_server is not None:
            await self.cli_server.close(let_shells_finish=True)
        if self.web is not None:
            await self.web.stop()

    def _observe(self, event: DeviceEvent) -> None:
        if isinstance(event, Booted):
            self._restart = asyncio.create_task(self._switch_up())

    async def _switch_up(self) -> None:
        options = self._netconf_options
        try:
            self.netconf = await _listen(
                self._host,
                self._port,
                self._data_dir,
                self.operations,
                self.discovery,
                notifications=self.notifications,
                subscriptions=self.subscriptions,
                access=self.access,
                credentials=self._credentials,
                tls_port=self._tls_port,
                tls_certificate=self.netconf.tls_certificate,
                settings=self._netconf_config.settings,
                timing=options.call_home_timing,
            )
            self.server = self.netconf.ssh
            if self.command_line is not None and self._cli_port is not None:
                self.cli_server = await _listen_cli(
                    self._host, self._cli_port, self._data_dir, self.command_line, self.server
                )
            if self.web is not None:
                await self.web.listen(self.server.logins)
        except OSError as error:
            logger.exception("the switch booted but cannot listen on port %d again", self._port)
            self.failure = f"booted but cannot listen again: {error.strerror or error}"
            return
        self._serving.set()

    async def close(self) -> None:
        """Stop serving and shut the switch down (an upgrade in progress is interrupted)."""
        if self._restart is not None:
            self._restart.cancel()
            await asyncio.gather(self._restart, return_exceptions=True)
        if self._serving.is_set():
            await self.netconf.close()
            if self.cli_server is not None:
                await self.cli_server.close()
        if self.web is not None:
            await self.web.close()
        self._push.close()
        if self._link is not None:
            self._link.close()
        if self._device is not None:
            await self._device.close()


def _wire_device(
    device: Device, datastores: Datastores, operations: NetconfOperations
) -> DeviceLink:
    """The switch emulator behind the datastores: it boots with ``running``, serves the RPCs
    of sunc-smart-upgrade and ietf-system's system-restart, and its state."""
    link = DeviceLink(device, datastores)
    link.attach()
    SmartUpgradeOperations(device, datastores.schema).register(operations.register)
    system = SystemOperations(device)
    system.register(operations.register)
    datastores.add_state_provider(system.state)
    return link


def _notifications(
    operations: NetconfOperations,
    clock: Clock,
    access: AccessControl,
    device: Device | None,
    link: DeviceLink | None,
) -> tuple[NotificationStream, Subscriptions, YangPush]:
    """The NETCONF stream (RFC 5277), dynamic subscriptions (RFC 8639) and YANG-push (RFC
    8641), fed by the datastores' commits and the switch's events."""
    datastores = operations.datastores
    notifications = NotificationStream(datastores.schema, clock, access)
    notifications.register(operations.register)
    datastores.subscribe(notifications)
    datastores.add_confirmed_commit_listener(notifications.confirmed_commit)
    subscriptions = Subscriptions(datastores, clock, notifications)
    subscriptions.register(operations.register)
    datastores.subscribe(subscriptions)
    datastores.add_state_provider(subscriptions.state)
    push = YangPush(subscriptions, access, None if link is None else link.state)
    push.register(operations.register)
    datastores.subscribe(push)
    if device is not None:
        device.subscribe(notifications.device_event)
        device.subscribe(push.device_event)
    return notifications, subscriptions, push


def _prepare_data_dir(data_dir: Path, factory_config: RawObject | None) -> None:
    """The data directory, with the factory startup configuration on a first start: file
    system work, which a fleet's event loop should not wait for (blocking)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    startup = data_dir / STARTUP_FILE
    if not startup.exists():
        save_config(startup, {**factory_nacm(), **(factory_config or {})})


async def _listen(
    host: str,
    port: int,
    data_dir: Path,
    operations: NetconfOperations,
    discovery: Discovery,
    *,
    notifications: NotificationStream,
    subscriptions: Subscriptions,
    access: AccessControl,
    credentials: SshCredentials | None,
    tls_port: int | None,
    tls_certificate: Callable[[], DeviceCertificate],
    settings: NetconfServerSettings,
    timing: CallHomeTiming | None,
) -> NetconfServer:
    registry = SessionRegistry()
    registry.add_end_hook(operations.session_ended)
    notifications.attach(registry)
    subscriptions.attach(registry)
    guarded = AccessControlledOperations(operations, access)
    server = await NetconfSshServer.start(
        host,
        port,
        data_dir,
        guarded,
        server_capabilities(discovery.modules),
        registry=registry,
        authorize=guarded.authorize,
        credentials=credentials,
    )
    discovery.listening(server.counters, server.capabilities)
    try:
        return await NetconfServer.start(
            server,
            host=host,
            tls_port=tls_port,
            tls_certificate=tls_certificate,
            settings=settings,
            timing=timing,
        )
    except BaseException:
        await server.close()
        raise


def _tls_certificate(
    options: NetconfOptions, data_dir: Path, host: str, device_name: str
) -> DeviceCertificate:
    """The fleet's certificate, or the switch's own (made in its data directory)."""
    return options.tls_certificate or load_or_create_device_certificate(
        data_dir, TLS_CERT_FILE, TLS_KEY_FILE, host, device_name
    )


async def _listen_cli(
    host: str, port: int, data_dir: Path, command_line: CommandLine, netconf: NetconfSshServer
) -> CliSshServer:
    # one set of users, login delays, host keys and session ids for both protocols
    return await CliSshServer.start(
        host,
        port,
        command_line,
        logins=netconf.logins,
        host_keys=netconf.host_keys,
        registry=netconf.registry,
        data_dir=data_dir,
    )
