"""Doors of the HOUP emulator: HTTPS listeners serving the same HOUP, each with faults of its own.

A fleet of emulated switches shares one HOUP; a group of switches pointed at a door of its own
meets that door's faults while the others upgrade through a healthy one. Catalogue, content,
keys, certificates, settings and statistics stay the HOUP's.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from aiohttp import web

from smartupgrade_server.houp.faults import Faults

DEFAULT_DOOR = "default"


class HoupDoor:
    """One HTTPS listener; opened by `HoupServer.open_door`, closed with the server."""

    def __init__(
        self,
        name: str,
        faults: Faults,
        *,
        server: web.Server,
        host: str,
        context: ssl.SSLContext,
        expired_context: ssl.SSLContext,
    ) -> None:
        self.name = name
        self.faults = faults
        self.port = 0
        self._server = server
        self._host = host
        self._context = context
        self._expired_context = expired_context
        context.sni_callback = self._choose_certificate
        self._listener: asyncio.Server | None = None

    @property
    def unreachable(self) -> bool:
        return self._listener is None

    def serves(self, transport: asyncio.BaseTransport | None) -> bool:
        """Whether a connection came in through this door (False once it is gone)."""
        # The transport keeps the context it was accepted with, even after the SNI callback
        # switched its handshake to the expired certificate's context.
        return transport is not None and transport.get_extra_info("sslcontext") is self._context

    async def listen(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(self._server, self._host, port, ssl=self._context)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def set_unreachable(self, unreachable: bool) -> None:
        """Stop listening and drop this door's open connections (netError), or listen again on
        the same port."""
        if unreachable and self._listener is not None:
            self._listener.close()
            self._listener = None
            for connection in self._server.connections:
                if self.serves(connection.transport):
                    connection.force_close()
        elif not unreachable and self._listener is None:
            await self.listen(self.port)

    async def clear_faults(self) -> None:
        self.faults.clear()
        await self.set_unreachable(False)

    def faults_json(self) -> dict[str, Any]:
        """The admin form of this door's faults: the `Faults` JSON plus `unreachable`."""
        return {**self.faults.to_json(), "unreachable": self.unreachable}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.port,
            "unreachable": self.unreachable,
            "faults": self.faults.to_json(),
        }

    def _choose_certificate(
        self, ssl_object: ssl.SSLObject, _server_name: str | None, _context: ssl.SSLContext
    ) -> None:
        # Called for every ClientHello (with or without SNI), so the fault reaches new handshakes.
        if self.faults.expired_certificate:
            ssl_object.context = self._expired_context
