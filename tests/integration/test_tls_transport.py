"""NETCONF over TLS (RFC 7589) on 127.0.0.1, beside the SSH server of the same switch, driven by
ncclient's connect_tls, a raw asyncio TLS client, openssl s_client and plain TCP."""

from __future__ import annotations

import asyncio
import logging
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lxml import etree
from ncclient import manager
from ncclient.transport.errors import SessionCloseError, TransportError

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import FrameDecoder, encode_chunked
from smartupgrade_server.netconf.registry import (
    SessionTransport,
    TerminationReason,
)
from smartupgrade_server.transport.cert_to_name import CertToName, MapType, parse_fingerprint
from smartupgrade_server.transport.logins import LoginService
from smartupgrade_server.transport.tls import (
    TlsClientAuthentication,
)
from tests.support.blocking import call
from tests.support.client_pki import ClientCa, ClientCertificate, connect_tls
from tests.support.transport import TEST_CAPABILITY, TEST_NS, RawSession, TransportRig, serving
from tests.support.users import ADMIN, Account, Credentials
from tests.support.waiting import until

HELLO_TIMEOUT = 0.5


@pytest.fixture
def data_dir(tmp_path: Path, credentials: Credentials) -> Path:
    # a user who logs in by certificate only: no password, no key
    return credentials.data_dir(
        tmp_path / "data", ADMIN, Account("viewer", None, 1), Account("bob", "x")
    )


@pytest.fixture
def ca(tmp_path: Path) -> ClientCa:
    return ClientCa(tmp_path / "pki")


@pytest.fixture
def admin(ca: ClientCa) -> ClientCertificate:
    return ca.issue("admin")


@pytest.fixture
async def rig(data_dir: Path, ca: ClientCa) -> AsyncIterator[TransportRig]:
    """SSH and TLS; the CA's certificates are named by their common name."""
    async with serving(data_dir, hello_timeout=HELLO_TIMEOUT) as rig:
        await rig.serve_tls(
            TlsClientAuthentication(
                (ca.certificate,),
                (CertToName(1, parse_fingerprint(ca.fingerprint), MapType.COMMON_NAME),),
            )
        )
        yield rig


def connect(rig: TransportRig, client: ClientCertificate) -> manager.Manager:
    return connect_tls(rig.tls_port, client, rig.tls_certificate)


def ping(m: manager.Manager) -> str | None:
    reply = etree.fromstring(
        m.dispatch(etree.fromstring(f'<ping xmlns="{TEST_NS}"/>')).xml.encode()
    )
    return reply.findtext(f"{{{TEST_NS}}}pong")


async def test_ncclient_over_tls_is_the_mapped_user_in_chunked_framing(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    def session() -> tuple[str, list[str], str | None]:
        with connect(rig, admin) as m:
            return m.session_id, list(m.server_capabilities), ping(m)

    session_id, capabilities, pong = await call(session)
    # RFC 7589: chunked framing only, so base:1.1 alone
    assert capabilities == [BASE_1_1, TEST_CAPABILITY]
    assert pong == "admin"
    ((context, reason),) = rig.ended
    assert (context.session_id, context.transport, reason) == (
        int(session_id),
        SessionTransport.NETCONF_TLS,
        TerminationReason.CLOSED,
    )
    assert rig.ssh.counters.in_sessions == 1


class RawTls:
    """A NETCONF client over TLS written by hand, to send what real clients never would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = FrameDecoder()
        self._messages: list[bytes] = []

    @classmethod
    async def open(cls, rig: TransportRig, client: ClientCertificate | None) -> RawTls:
        context = ssl.create_default_context(cafile=rig.tls_certificate)
        if client is not None:
            context.load_cert_chain(client.cert_path, client.key_path)
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.tls_port, ssl=context)
        return cls(reader, writer)

    async def read_message(self) -> bytes:
        """The next message; b"" once the server has closed the connection."""
        while not self._messages:
            data = await self.reader.read(65536)
            if not data:
                return b""
            self._messages.extend(m for m in self.decoder.feed(data) if isinstance(m, bytes))
        return self._messages.pop(0)

    def send_hello(self, *capabilities: str) -> None:
        caps = "".join(f"<capability>{c}</capability>" for c in capabilities)
        self.writer.write(
            f'<hello xmlns="{BASE_NS}"><capabilities>{caps}</capabilities></hello>]]>]]>'.encode()
        )
        if BASE_1_1 in capabilities:
            self.decoder.switch_to_chunked()

    def send_rpc(self, message_id: str, operation: str) -> None:
        self.writer.write(
            encode_chunked(
                f'<rpc message-id="{message_id}" xmlns="{BASE_NS}">{operation}</rpc>'.encode()
            )
        )


async def test_a_base_1_0_client_is_refused_as_a_bad_hello(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    raw = await RawTls.open(rig, admin)
    hello = etree.fromstring(await raw.read_message())
    assert next(c.text for c in hello.iter(f"{{{BASE_NS}}}capability")) == BASE_1_1
    raw.send_hello(BASE_1_0)
    assert await raw.read_message() == b""
    await until(lambda: bool(rig.ended))
    assert [reason for _, reason in rig.ended] == [TerminationReason.BAD_HELLO]
    assert rig.ssh.counters.in_bad_hellos == 1
    raw.writer.close()


def refused(rig: TransportRig, client: ClientCertificate) -> str:
    """What ncclient says when the switch refuses ``client``."""

    def attempt() -> str:
        with pytest.raises((TransportError, SessionCloseError, ssl.SSLError, OSError)) as caught:
            connect(rig, client)
        return repr(caught.value)

    return attempt()


@pytest.mark.parametrize(
    ("client", "reason"),
    [
        ("stranger", "maps to 'stranger', not a user"),
        ("expired", "certificate has expired"),
        ("other-ca", "unable to get local issuer certificate"),
    ],
)
async def test_a_refused_certificate_gets_no_session(
    rig: TransportRig,
    ca: ClientCa,
    client: str,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    certificate = {
        "stranger": lambda: ca.issue("stranger"),
        "expired": lambda: ca.issue("admin", expired=True),
        "other-ca": lambda: ClientCa(ca.directory / "other", "Other CA").issue("admin"),
    }[client]()
    caplog.set_level(logging.INFO, logger="smartupgrade_server.transport")
    await call(lambda: refused(rig, certificate))
    await until(lambda: rig.ssh.logins.counters.refused_certificates[LoginService.NETCONF] == 1)
    assert reason in caplog.text
    assert len(rig.ssh.registry) == 0 and rig.ended == []
    assert rig.ssh.counters.in_sessions == 0
    # the right certificate still gets in
    assert await call(lambda: session_user(rig, ca.issue("admin"))) == "admin"


def session_user(rig: TransportRig, client: ClientCertificate) -> str | None:
    with connect(rig, client) as m:
        return ping(m)


async def test_a_client_without_a_certificate_is_refused(
    rig: TransportRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smartupgrade_server.transport")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        raw = await RawTls.open(rig, None)
        # TLS 1.3: the client learns of the refusal on its first read
        await raw.read_message()
        raise ConnectionError("no alert")
    await until(lambda: rig.ssh.logins.counters.refused_certificates[LoginService.NETCONF] == 1)
    assert "certificate from 127.0.0.1 refused: peer did not return a certificate" in caplog.text


async def test_a_certificate_only_user_gets_its_level(rig: TransportRig, ca: ClientCa) -> None:
    def who() -> str | None:
        return session_user(rig, ca.issue("viewer"))

    assert await call(who) == "viewer"
    ((context, _),) = rig.ended
    assert (context.username, context.level) == ("viewer", 1)


async def test_a_plain_tcp_client_on_the_tls_port_is_cut_off(
    rig: TransportRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="smartupgrade_server.transport")
    reader, writer = await asyncio.open_connection("127.0.0.1", rig.tls_port)
    writer.write(
        f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
        "</capabilities></hello>]]>]]>".encode()
    )
    answer = await reader.read()
    # a TLS alert at most, never a NETCONF message
    assert b"<hello" not in answer
    writer.close()
    assert len(rig.ssh.registry) == 0 and rig.ssh.counters.in_sessions == 0
    assert "TLS handshake with 127.0.0.1 failed: WRONG_VERSION_NUMBER" in caplog.text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_openssl_s_client_sees_the_switchs_certificate(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    done = await asyncio.create_subprocess_exec(
        "openssl",
        "s_client",
        "-connect",
        f"127.0.0.1:{rig.tls_port}",
        "-CAfile",
        str(rig.tls_certificate),
        "-cert",
        str(admin.cert_path),
        "-key",
        str(admin.key_path),
        "-verify_return_error",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await done.communicate(b"")
    text = output.decode()
    assert "Verify return code: 0 (ok)" in text
    assert "subject=CN = switch" in text
    assert "Protocol  : TLSv1.3" in text or "TLSv1.3" in text


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_tls_1_1_is_refused(rig: TransportRig, admin: ClientCertificate) -> None:
    context = ssl.create_default_context(cafile=rig.tls_certificate)
    context.load_cert_chain(admin.cert_path, admin.key_path)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.open_connection("127.0.0.1", rig.tls_port, ssl=context)


async def test_an_ssh_session_kills_a_tls_session(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    victim = await RawTls.open(rig, admin)
    hello = etree.fromstring(await victim.read_message())
    victim_id = int(hello.findtext(f"{{{BASE_NS}}}session-id") or 0)
    victim.send_hello(BASE_1_1)
    killer = await RawSession.open(rig.ssh.port)
    killer.send_rpc("1", f"<kill-session><session-id>{victim_id}</session-id></kill-session>")
    assert etree.fromstring(await killer.read_message()).find(f"{{{BASE_NS}}}ok") is not None
    assert await victim.read_message() == b""
    assert (rig.ended[0][0].session_id, rig.ended[0][1]) == (victim_id, TerminationReason.KILLED)
    killer.close()


async def test_a_tls_session_without_a_hello_times_out(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    silent = await RawTls.open(rig, admin)
    await silent.read_message()
    assert await silent.read_message() == b""
    await until(lambda: bool(rig.ended))
    assert rig.ended[0][1] is TerminationReason.TIMEOUT
    assert rig.ssh.counters.dropped_sessions == 1


async def test_new_trust_applies_to_the_next_handshake(rig: TransportRig, tmp_path: Path) -> None:
    other = ClientCa(tmp_path / "other", "Other CA")
    client = other.issue("bob")
    await call(lambda: refused(rig, client))
    await rig.tls.authenticate(
        rig.tls.authentication
        + TlsClientAuthentication(
            (other.certificate,),
            (CertToName(1, parse_fingerprint(client.fingerprint), MapType.SPECIFIED, "bob"),),
        )
    )
    assert await call(lambda: session_user(rig, client)) == "bob"


async def test_many_requests_and_the_eof_after_them(
    rig: TransportRig, admin: ClientCertificate
) -> None:
    raw = await RawTls.open(rig, admin)
    await raw.read_message()
    raw.send_hello(BASE_1_0, BASE_1_1)
    for n in range(40):
        raw.send_rpc(str(n), f'<ping xmlns="{TEST_NS}"/>')
    replies = [etree.fromstring(await raw.read_message()).get("message-id") for _ in range(40)]
    assert replies == [str(n) for n in range(40)]
    raw.writer.close()
    await until(lambda: bool(rig.ended))
    assert rig.ended[0][1] is TerminationReason.DROPPED
