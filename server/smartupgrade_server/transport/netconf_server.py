"""One switch's NETCONF server on every transport: the SSH listener, the TLS listener when
asked for, and the calls home; all on the SSH server's :class:`NetconfService` (one set of
sessions, ids and counters), all following :class:`NetconfServerSettings`."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Self

from smartupgrade_server.transport.call_home import (
    CalledHome,
    CallHome,
    CallHomeTiming,
    CallHomeTransport,
)
from smartupgrade_server.transport.certificates import DeviceCertificate
from smartupgrade_server.transport.server_settings import NetconfServerSettings
from smartupgrade_server.transport.ssh import NetconfSshServer
from smartupgrade_server.transport.tls import NetconfTlsServer

logger = logging.getLogger(__name__)


class NetconfServer:
    """Start it with :meth:`start`; :meth:`apply` follows a settings change."""

    def __init__(
        self,
        ssh: NetconfSshServer,
        tls_certificate: Callable[[], DeviceCertificate],
        settings: NetconfServerSettings,
        timing: CallHomeTiming | None,
    ) -> None:
        self.ssh = ssh
        self.tls: NetconfTlsServer | None = None
        self.tls_certificate = tls_certificate
        self.settings = settings
        self.call_home = CallHome(self._serve_call_home, timing)
        self._applying: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        ssh: NetconfSshServer,
        *,
        host: str,
        tls_port: int | None,
        tls_certificate: Callable[[], DeviceCertificate],
        settings: NetconfServerSettings,
        timing: CallHomeTiming | None = None,
    ) -> Self:
        """Serve beside the listening ``ssh`` server: NETCONF over TLS on ``host:tls_port``
        unless None (0: any port), and the calls home of ``settings``. ``tls_certificate``
        loads or makes the switch's certificate (blocking), once TLS is first needed."""
        server = cls(ssh, tls_certificate, settings, timing)
        try:
            if tls_port is not None:
                tls = await server._tls()
                await tls.listen(host, tls_port)
            await server.call_home.configure(settings.call_home)
        except BaseException:
            await server.close()
            raise
        return server

    @property
    def tls_port(self) -> int | None:
        return None if self.tls is None else self.tls.port

    def apply(self, settings: NetconfServerSettings) -> None:
        """Follow ``settings`` from now on (the datastore changed); changes are applied in
        order, each after the one before."""
        if settings == self.settings:
            return
        self.settings = settings
        if self._applying is None or self._applying.done():
            self._applying = asyncio.create_task(self._apply())

    async def _apply(self) -> None:
        applied: NetconfServerSettings | None = None
        while applied is not self.settings:
            applied = self.settings
            try:
                if self.tls is not None:
                    await self.tls.authenticate(applied.tls)
                await self.call_home.configure(applied.call_home)
            except Exception:
                logger.exception("the NETCONF server could not apply its new settings")

    async def _tls(self) -> NetconfTlsServer:
        if self.tls is None:
            certificate = await asyncio.to_thread(self.tls_certificate)
            self.tls = await NetconfTlsServer.start(
                self.ssh.logins, self.ssh.service, certificate, self.settings.tls
            )
        return self.tls

    async def _serve_call_home(
        self, transport: CallHomeTransport, sock: socket.socket, idle_timeout: float | None
    ) -> CalledHome | None:
        if transport is CallHomeTransport.SSH:
            return await self.ssh.serve_call_home(sock, idle_timeout)
        tls = await self._tls()
        return await tls.serve_call_home(sock, idle_timeout)

    async def close(self, *, drain: float = 0.0) -> None:
        """Stop calling, stop listening, end every session; first, for at most ``drain``
        seconds, let the sessions write the notifications already queued for them (and queue
        no more): what the switch said before it reboots reaches its subscribers, and nothing
        it says later does."""
        if drain > 0:
            await self.ssh.service.drain(drain)
        if self._applying is not None:
            self._applying.cancel()
            await asyncio.gather(self._applying, return_exceptions=True)
        await self.call_home.close()
        if self.tls is not None:
            await self.tls.close()
        await self.ssh.close()
