"""One emulated switch and a HOUP of its own, wired as ``smartupgrade-sim`` wires them: the
switch reaches the HOUP at its default address (``s.houp.huawei.com:443``), trusts its CA
through the factory SSL policy and its OpenPGP key in its firmware. The command runs one until
interrupted; the pytest plugin (``smartupgrade_server.testing``) one per test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Self

from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch, NetconfOptions
from smartupgrade_server.sim.options import HOUP_DIR, factory_config, houp_route


@dataclass(frozen=True)
class SwitchWithHoup:
    houp: HoupServer
    switch: EmulatedSwitch

    @classmethod
    async def start(
        cls,
        data_dir: Path,
        *,
        identity: Identity,
        factory: FactoryState,
        clock: Clock,
        host: str = "127.0.0.1",
        port: int = 0,
        cli_port: int | None = None,
        web_port: int | None = None,
        houp_host: str = "127.0.0.1",
        houp_port: int = 0,
        houp_admin_port: int = 0,
        catalogue: Catalogue | Path | None = None,
        flash_capacity: int = DEFAULT_FLASH_CAPACITY,
        reboot_duration: timedelta = timedelta(seconds=60),
        netconf_options: NetconfOptions = NetconfOptions(),
    ) -> Self:
        """The HOUP (its keys in ``data_dir/houp``), then the switch; ports 0 are any free
        port, ``cli_port`` and ``web_port`` None leave the command line and web system off;
        ``netconf_options``: NETCONF over TLS and call home (docs/server.md)."""
        houp = await HoupServer.start(
            data_dir / HOUP_DIR,
            host=houp_host,
            port=houp_port,
            admin_port=houp_admin_port,
            catalogue=catalogue,
        )
        try:
            hosts, port_forwards = houp_route(houp.host, houp.port)
            switch = await EmulatedSwitch.start(
                data_dir,
                identity=identity,
                factory=factory,
                houp_public_key=houp.signing_public_key,
                clock=clock,
                host=host,
                port=port,
                cli_port=cli_port,
                web_port=web_port,
                factory_config=factory_config(houp.ca_cert_pem),
                flash_capacity=flash_capacity,
                hosts=hosts,
                port_forwards=port_forwards,
                reboot_duration=reboot_duration,
                netconf_options=netconf_options,
            )
        except BaseException:
            await houp.close()
            raise
        return cls(houp, switch)

    async def close(self) -> None:
        await self.switch.close()
        await self.houp.close()
