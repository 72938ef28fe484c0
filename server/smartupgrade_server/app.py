"""One emulated switch behind NETCONF: datastores, operations and the SSH server, composed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from smartupgrade_server.datastore.codec import RawObject, Schema
from smartupgrade_server.datastore.schema import (
    AP_UPGRADE_FEATURE,
    SMART_UPGRADE_MODULE,
    data_model,
)
from smartupgrade_server.datastore.store import Datastores, Scheduler
from smartupgrade_server.models import supports_ap_upgrade, supports_smart_upgrade
from smartupgrade_server.netconf.registry import SessionRegistry
from smartupgrade_server.operations.capabilities import server_capabilities
from smartupgrade_server.operations.dispatcher import NetconfOperations
from smartupgrade_server.transport.ssh import NetconfSshServer


@dataclass(frozen=True)
class SwitchIdentity:
    """What 'Local information' of display smart-upgrade information shows."""

    model: str
    device_name: str
    esn: str
    software_version: str
    patch_version: str | None = None

    def __post_init__(self) -> None:
        if not supports_smart_upgrade(self.model):
            raise ValueError(f"{self.model} does not support Smart Upgrade")

    @property
    def ap_upgrade(self) -> bool:
        return supports_ap_upgrade(self.model)

    def state(self) -> RawObject:
        local: RawObject = {
            "device-name": self.device_name,
            "esn": self.esn,
            "software-version": self.software_version,
        }
        if self.patch_version is not None:
            local["patch-version"] = self.patch_version
        return {f"{SMART_UPGRADE_MODULE}:smart-upgrade": {"local-information": local}}


class Switch:
    """A listening NETCONF server for one switch; ``await Switch.start(...)``, then close()."""

    def __init__(
        self, datastores: Datastores, operations: NetconfOperations, server: NetconfSshServer
    ) -> None:
        self.datastores = datastores
        self.operations = operations
        self.server = server

    @classmethod
    async def start(
        cls,
        identity: SwitchIdentity,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        scheduler: Scheduler | None = None,
    ) -> Self:
        """Load (or create) the switch's data in ``data_dir`` and listen on ``host:port``.

        ``scheduler`` times confirmed commits; by default the running event loop's clock.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        schema = Schema(data_model(ap_upgrade=identity.ap_upgrade))
        datastores = await asyncio.to_thread(
            Datastores,
            schema,
            data_dir,
            scheduler or asyncio.get_running_loop().call_later,
        )
        # the device emulator replaces this with its live state
        datastores.set_state_provider(identity.state)
        operations = NetconfOperations(datastores)
        registry = SessionRegistry()
        registry.add_end_hook(operations.session_ended)
        features = {SMART_UPGRADE_MODULE: (AP_UPGRADE_FEATURE,)} if identity.ap_upgrade else {}
        server = await NetconfSshServer.start(
            host,
            port,
            data_dir,
            operations,
            server_capabilities(features),
            registry=registry,
        )
        return cls(datastores, operations, server)

    @property
    def port(self) -> int:
        return self.server.port

    async def close(self) -> None:
        await self.server.close()
