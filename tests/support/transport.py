"""The transport rig: NETCONF's listeners alone (SSH; NETCONF over TLS and call home on demand)
in front of operations of the tests' own instead of a switch's: ``ping`` answers with the
session's user, ``block`` waits until the test releases it, ``explode`` fails as a bug would,
``bulk`` answers 64 KiB. How each session ended is recorded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from smartupgrade_server.netconf.operations import OperationTable
from smartupgrade_server.netconf.registry import (
    SessionContext,
    SessionRegistry,
    Termination,
    TerminationReason,
)
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.transport.call_home import CallHomeClient, CallHomeTiming
from smartupgrade_server.transport.certificates import (
    DeviceCertificate,
    load_or_create_device_certificate,
)
from smartupgrade_server.transport.netconf_server import NetconfServer
from smartupgrade_server.transport.server_settings import NetconfServerSettings
from smartupgrade_server.transport.ssh import NetconfSshServer
from smartupgrade_server.transport.tls import (
    TLS_CERT_FILE,
    TLS_KEY_FILE,
    NetconfTlsServer,
    TlsClientAuthentication,
)
from tests.support import raw_netconf
from tests.support.waiting import until

HOST = "127.0.0.1"
TEST_NS = "urn:example:test"
TEST_CAPABILITY = f"{TEST_NS}?module=test"
BULK_SIZE = 64 * 1024


def dispatcher_for_tests(release_blocked: asyncio.Event) -> OperationTable:
    """The tests' operations; ``block`` answers once ``release_blocked`` is set."""
    table = OperationTable()

    async def ping(context: SessionContext, request: RpcRequest) -> ReplyContent:
        pong = etree.Element(f"{{{TEST_NS}}}pong", nsmap={"t": TEST_NS})
        pong.text = context.username
        return pong

    async def block(context: SessionContext, request: RpcRequest) -> ReplyContent:
        await release_blocked.wait()
        return None

    async def explode(context: SessionContext, request: RpcRequest) -> ReplyContent:
        raise RuntimeError("a bug in an operation")

    async def bulk(context: SessionContext, request: RpcRequest) -> ReplyContent:
        element = etree.Element(f"{{{TEST_NS}}}bulk", nsmap={"t": TEST_NS})
        element.text = "x" * BULK_SIZE
        return element

    table.register(TEST_NS, "bulk", bulk)
    table.register(TEST_NS, "explode", explode)
    table.register(TEST_NS, "ping", ping)
    table.register(TEST_NS, "block", block)
    return table


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (yet): a controller away, or one to come."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class RawSession(raw_netconf.RawSession):
    async def ping(self, message_id: str = "ping") -> etree._Element:
        return await self.call(f'<ping xmlns="{TEST_NS}"/>', message_id)


async def pong(session: RawSession) -> str | None:
    """Who the server says the session's user is."""
    return (await session.ping()).findtext(f"{{{TEST_NS}}}pong")


@dataclass
class TransportRig:
    """The listeners of one data directory (its users and host keys, its TLS certificate)."""

    ssh: NetconfSshServer
    data_dir: Path
    release_blocked: asyncio.Event
    ended: list[tuple[SessionContext, TerminationReason]]
    tls_listener: NetconfTlsServer | None = None
    servers: list[NetconfServer] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.ssh.port

    @property
    def tls(self) -> NetconfTlsServer:
        assert self.tls_listener is not None, "no serve_tls yet"
        return self.tls_listener

    @property
    def tls_port(self) -> int:
        assert self.tls.port is not None
        return self.tls.port

    @property
    def tls_certificate(self) -> Path:
        """The server's TLS certificate, which a client pins."""
        return self.tls.certificate.cert_path

    @property
    def ended_ids(self) -> list[int]:
        return [context.session_id for context, _ in self.ended]

    async def wait_ended(self, session_id: int) -> None:
        await until(lambda: session_id in self.ended_ids)

    def _certificate(self) -> DeviceCertificate:
        return load_or_create_device_certificate(
            self.data_dir, TLS_CERT_FILE, TLS_KEY_FILE, HOST, "switch"
        )

    async def serve_tls(self, authentication: TlsClientAuthentication) -> NetconfTlsServer:
        """NETCONF over TLS on a port of its own, with the SSH server's users and sessions."""
        self.tls_listener = await NetconfTlsServer.start(
            self.ssh.logins, self.ssh.service, self._certificate(), authentication
        )
        await self.tls_listener.listen(HOST, 0)
        return self.tls_listener

    async def call_home(self, *clients: CallHomeClient, timing: CallHomeTiming) -> NetconfServer:
        """A NETCONF server calling ``clients`` home, with the SSH server's sessions."""
        server = await NetconfServer.start(
            self.ssh,
            host=HOST,
            tls_port=None,
            tls_certificate=self._certificate,
            settings=NetconfServerSettings(call_home={c.name: c for c in clients}),
            timing=timing,
        )
        self.servers.append(server)
        return server

    async def close(self) -> None:
        self.release_blocked.set()
        for server in self.servers:
            await server.close()
        if self.tls_listener is not None:
            await self.tls_listener.close()
        await self.ssh.close()


@asynccontextmanager
async def serving(data_dir: Path, **ssh_options: Any) -> AsyncIterator[TransportRig]:
    """The SSH server of ``data_dir`` (made with its users and host keys) on 127.0.0.1, any
    port, with ``ssh_options`` (``NetconfSshServer.start``'s), until the block ends."""
    registry = SessionRegistry()
    ended: list[tuple[SessionContext, TerminationReason]] = []

    def record(context: SessionContext, termination: Termination) -> None:
        ended.append((context, termination.reason))

    registry.add_termination_hook(record)
    release_blocked = asyncio.Event()
    ssh = await NetconfSshServer.start(
        HOST,
        0,
        data_dir,
        dispatcher_for_tests(release_blocked),
        [TEST_CAPABILITY],
        registry=registry,
        **ssh_options,
    )
    rig = TransportRig(ssh, data_dir, release_blocked, ended)
    try:
        yield rig
    finally:
        await rig.close()
