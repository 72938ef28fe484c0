"""Doors of the HOUP emulator: HTTPS listeners serving the same HOUP, each with faults of its own.

A fleet of emulated switches shares one HOUP; a group of switches pointed at a door of its own
meets that door's faults while the others upgrade through a healthy one. Catalogue, content,
keys, certificates, settings and statistics stay the HOUP's.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
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
        # The door owns its listening socket for its whole life, so that no other server of the
        # machine takes the port while the door is closed; aiohttp serves a duplicate of it.
        self._socket: socket.socket | None = None
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
        """Bind `port` (0: a free one) and serve; raises OSError when the port is taken."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((self._host, port))
            listening.listen(socket.SOMAXCONN)
            listening.setblocking(False)
        except OSError:
            listening.close()
            raise
        self._socket = listening
        self.port = listening.getsockname()[1]
        await self._serve()

    async def set_unreachable(self, unreachable: bool) -> None:
        """Reset every new connection and drop this door's open ones (netError), or serve
        again on the same port."""
        if unreachable and self._listener is not None and self._socket is not None:
            self._stop_serving()
            asyncio.get_running_loop().add_reader(self._socket, self._reset_waiting)
        elif not unreachable and self._listener is None and self._socket is not None:
            asyncio.get_running_loop().remove_reader(self._socket)
            await self._serve()

    def close(self) -> None:
        """Release the port; the door serves nothing afterwards."""
        if self._socket is None:
            return
        if self._listener is None:
            asyncio.get_running_loop().remove_reader(self._socket)
        else:
            self._stop_serving()
        self._socket.close()
        self._socket = None

    async def _serve(self) -> None:
        assert self._socket is not None
        self._listener = await asyncio.get_running_loop().create_server(
            self._server, sock=self._socket.dup(), ssl=self._context
        )

    def _stop_serving(self) -> None:
        assert self._listener is not None
        self._listener.close()
        self._listener = None
        for connection in self._server.connections:
            if self.serves(connection.transport):
                connection.force_close()

    def _reset_waiting(self) -> None:
        # A closed door cannot give up its port (see __init__), so it does what a host without
        # the service does as nearly as a bound port allows: every connection is reset before a
        # byte of TLS, and the switch reports netError.
        assert self._socket is not None
        while True:
            try:
                connection, _ = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

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
