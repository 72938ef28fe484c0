"""The NETCONF/SSH server on 127.0.0.1, driven by ncclient and by a raw asyncssh client."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RaiseMode

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import (
    FrameDecoder,
    encode_chunked,
    encode_end_of_message,
)
from smartupgrade_server.netconf.registry import SessionRegistry
from smartupgrade_server.transport.ssh import DefaultCredentialsError, NetconfSshServer
from smartupgrade_server.transport.users import (
    USERS_FILE,
    User,
    UserDatabase,
    hash_password,
)
from tests.support.blocking import call
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.transport import (
    BULK_SIZE,
    TEST_CAPABILITY,
    TEST_NS,
    RawSession,
    TransportRig,
    dispatcher_for_tests,
    serving,
)
from tests.support.users import Credentials, Server
from tests.support.xml import canonical


@pytest.fixture
def data_dir(tmp_path: Path, credentials: Credentials) -> Path:
    return credentials.data_dir(tmp_path / "data")


@pytest.fixture
async def harness(data_dir: Path) -> AsyncIterator[TransportRig]:
    async with serving(data_dir, max_message_size=64 * 1024) as rig:
        yield rig


def connect(port: int, username: str = "admin", password: str = "admin") -> manager.Manager:
    return Server("127.0.0.1", port, username, password).ncclient(timeout=CLIENT_TIMEOUT)


def error_tag(reply: etree._Element) -> str | None:
    return reply.findtext(f"{{{BASE_NS}}}rpc-error/{{{BASE_NS}}}error-tag")


# --- ncclient ---------------------------------------------------------------------------


async def test_ncclient_hello_session_id_and_capabilities(harness: TransportRig) -> None:
    def session() -> tuple[str, list[str], str]:
        with connect(harness.port) as m:
            reply = m.dispatch(etree.fromstring(f'<ping xmlns="{TEST_NS}"/>'))
            return m.session_id, list(m.server_capabilities), reply.xml

    session_id, capabilities, reply = await call(session)
    assert int(session_id) >= 1
    assert capabilities == [BASE_1_0, BASE_1_1, TEST_CAPABILITY]
    pong = etree.fromstring(reply.encode()).find(f"{{{TEST_NS}}}pong")
    assert pong is not None
    assert pong.text == "admin"


async def test_base_1_1_replies_are_chunked(harness: TransportRig) -> None:
    raw = await RawSession.open(harness.port)
    raw.send_rpc("7", f'<ping xmlns="{TEST_NS}"/>')
    data = await raw.reader.read(65536)
    assert data.startswith(b"\n#")
    assert data.endswith(b"\n##\n")
    (reply,) = raw.decoder.feed(data)
    assert isinstance(reply, bytes)
    assert etree.fromstring(reply).get("message-id") == "7"
    raw.close()


async def test_close_session_releases_the_session_before_replying(harness: TransportRig) -> None:
    def session() -> str:
        m = connect(harness.port)
        m.close_session()
        return str(m.session_id)

    session_id = int(await call(session))
    assert session_id in harness.ended_ids
    assert harness.ssh.registry.get(session_id) is None


async def test_kill_session_from_a_second_session(harness: TransportRig) -> None:
    victim = await RawSession.open(harness.port)

    def kill() -> str:
        with connect(harness.port) as m:
            return str(m.kill_session(str(victim.session_id)).ok)

    assert await call(kill) == "True"
    assert victim.session_id in harness.ended_ids
    assert await victim.read_message() == b""


async def test_kill_session_of_itself_is_invalid_value(harness: TransportRig) -> None:
    def kill_self() -> str:
        with connect(harness.port) as m:
            m.raise_mode = RaiseMode.NONE
            return str(m.kill_session(m.session_id).xml)

    reply = etree.fromstring((await call(kill_self)).encode())
    assert error_tag(reply) == "invalid-value"


async def test_unknown_operation_is_operation_not_supported(harness: TransportRig) -> None:
    def frobnicate() -> str:
        with connect(harness.port) as m:
            m.raise_mode = RaiseMode.NONE
            return str(m.dispatch(etree.fromstring('<frobnicate xmlns="urn:example:x"/>')).xml)

    reply = etree.fromstring((await call(frobnicate)).encode())
    assert reply.tag == f"{{{BASE_NS}}}rpc-reply"
    (error,) = reply
    message = "operation 'frobnicate' in namespace 'urn:example:x' is not supported"
    assert canonical(error) == canonical(
        f"""<rpc-error xmlns="{BASE_NS}">
              <error-type>protocol</error-type>
              <error-tag>operation-not-supported</error-tag>
              <error-severity>error</error-severity>
              <error-message xml:lang="en">{message}</error-message>
            </rpc-error>"""
    )


async def test_a_failing_operation_is_operation_failed_and_the_session_goes_on(
    harness: TransportRig,
) -> None:
    raw = await RawSession.open(harness.port)
    raw.send_rpc("x", f'<explode xmlns="{TEST_NS}"/>')
    assert canonical(await raw.read_message()) == canonical(
        f"""<rpc-reply xmlns="{BASE_NS}" message-id="x">
              <rpc-error>
                <error-type>application</error-type>
                <error-tag>operation-failed</error-tag>
                <error-severity>error</error-severity>
                <error-message xml:lang="en">internal server error</error-message>
              </rpc-error>
            </rpc-reply>"""
    )
    assert (await raw.ping()).find(f"{{{TEST_NS}}}pong") is not None
    raw.close()


# --- one session never stalls another -------------------------------------------------------


async def test_sessions_run_concurrently_and_each_in_order(harness: TransportRig) -> None:
    slow = await RawSession.open(harness.port)
    slow.send_rpc("1", f'<block xmlns="{TEST_NS}"/>')
    slow.send_rpc("2", f'<ping xmlns="{TEST_NS}"/>')
    other = await RawSession.open(harness.port)
    assert (await other.ping()).get("message-id") == "ping"
    harness.release_blocked.set()
    first = etree.fromstring(await slow.read_message())
    second = etree.fromstring(await slow.read_message())
    assert [first.get("message-id"), second.get("message-id")] == ["1", "2"]
    slow.close()
    other.close()


async def test_a_client_that_floods_and_never_reads_stalls_only_itself(
    harness: TransportRig,
) -> None:
    # far more reply bytes than the SSH window and the server's write buffer together
    count = 60
    flooder = await RawSession.open(harness.port)
    for n in range(count):
        flooder.send_rpc(str(n), f'<bulk xmlns="{TEST_NS}"/>')
    other = await RawSession.open(harness.port)
    for n in range(5):
        assert (await other.ping(str(n))).get("message-id") == str(n)
    ids = [etree.fromstring(await flooder.read_message()).get("message-id") for _ in range(count)]
    assert ids == [str(n) for n in range(count)]
    flooder.close()
    other.close()


async def test_every_request_before_the_clients_eof_is_answered_in_order(
    harness: TransportRig,
) -> None:
    # RFC 6242 clients may send their requests, then EOF, then read: each request received
    # before the EOF is answered, in order, and only then is the channel closed
    raw = await RawSession.open(harness.port)
    for n in range(5):
        raw.send_rpc(str(n), f'<ping xmlns="{TEST_NS}"/>')
    raw.send_rpc("close", "<close-session/>")
    raw.send_rpc("after-close", f'<ping xmlns="{TEST_NS}"/>')
    raw.writer.write_eof()
    replies = []
    while message := await raw.read_message():
        replies.append(etree.fromstring(message).get("message-id"))
    assert replies == ["0", "1", "2", "3", "4", "close"]
    raw.close()


async def test_ssh_s_netconf_from_a_file_gets_every_reply(data_dir: Path, tmp_path: Path) -> None:
    """OpenSSH's client, as a script runs it: ``ssh -s netconf < requests.xml``."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_ed25519"
    key.write_private_key(key_file)
    key_file.chmod(0o600)
    UserDatabase([User("admin", None, (key.convert_to_public(),), 3)], data_dir / USERS_FILE).save()
    server = await NetconfSshServer.start(
        "127.0.0.1", 0, data_dir, dispatcher_for_tests(asyncio.Event())
    )
    hello = (
        f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
        "</capabilities></hello>]]>]]>"
    )
    rpcs = "".join(
        f'<rpc message-id="{n}" xmlns="{BASE_NS}"><ping xmlns="{TEST_NS}"/></rpc>]]>]]>'
        for n in range(5)
    )
    requests = tmp_path / "requests.xml"
    requests.write_text(hello + rpcs)
    try:
        with requests.open("rb") as stdin:
            process = await asyncio.create_subprocess_exec(
                *("ssh", "-F", "/dev/null", "-i", str(key_file), "-p", str(server.port)),
                *("-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"),
                *("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"),
                *("admin@127.0.0.1", "-s", "netconf"),
                stdin=stdin,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await server.close()
    assert process.returncode == 0, stderr.decode()
    decoder = FrameDecoder()
    messages = decoder.feed(stdout)
    assert len(messages) == 6, stdout.decode()
    replies = [etree.fromstring(m) for m in messages[1:] if isinstance(m, bytes)]
    assert [reply.get("message-id") for reply in replies] == ["0", "1", "2", "3", "4"]
    assert all(reply.findtext(f"{{{TEST_NS}}}pong") == "admin" for reply in replies)


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rpc [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>&x;</get></rpc>'
)
ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
    b'<rpc message-id="&e;" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get>&e;</get></rpc>'
)


@pytest.mark.parametrize(
    "payload", [XXE, ENTITY_BOMB, b"\x00\x01 not xml at all <<<"], ids=["xxe", "bomb", "garbage"]
)
async def test_hostile_message_gets_malformed_message_and_the_session_goes_on(
    harness: TransportRig, payload: bytes
) -> None:
    raw = await RawSession.open(harness.port)
    raw.writer.write(encode_chunked(payload))
    reply = await raw.read_message()
    assert b"root:" not in reply
    assert error_tag(etree.fromstring(reply)) == "malformed-message"
    assert (await raw.ping()).find(f"{{{TEST_NS}}}pong") is not None
    raw.close()


@pytest.mark.parametrize(
    "stream",
    [b"\n#99999999999999999999\n", b"\n#4294967296\n", b"\n#1x\n"],
    ids=["too-many-digits", "over-rfc-6242-maximum", "bad-digit"],
)
async def test_broken_framing_closes_only_that_session(
    harness: TransportRig, stream: bytes
) -> None:
    bystander = await RawSession.open(harness.port)
    raw = await RawSession.open(harness.port)
    raw.writer.write(stream)
    assert await raw.read_message() == b""
    await harness.wait_ended(raw.session_id)
    assert (await bystander.ping()).find(f"{{{TEST_NS}}}pong") is not None
    raw.close()
    bystander.close()


async def test_a_message_over_the_size_limit_is_too_big_and_the_session_goes_on(
    harness: TransportRig,
) -> None:
    # a chunk announced past the limit (64 KiB here) is dropped as it arrives
    endless = await RawSession.open(harness.port)
    endless.writer.write(b"\n#4294967295\n" + b"x" * 1_000_000)
    raw = await RawSession.open(harness.port)
    assert (await raw.ping()).find(f"{{{TEST_NS}}}pong") is not None
    endless.close()
    raw.writer.write(encode_chunked(b"<" + b"z" * 70_000 + b"/>"))
    reply = etree.fromstring(await raw.read_message())
    assert error_tag(reply) == "too-big"
    assert reply.get("message-id") is None
    assert (await raw.ping()).find(f"{{{TEST_NS}}}pong") is not None
    raw.close()


async def test_dropped_connection_frees_the_session(harness: TransportRig) -> None:
    raw = await RawSession.open(harness.port)
    assert (await raw.ping()).find(f"{{{TEST_NS}}}pong") is not None
    assert harness.ssh.registry.get(raw.session_id) is not None
    raw.connection.abort()
    await harness.wait_ended(raw.session_id)
    assert harness.ssh.registry.get(raw.session_id) is None


async def test_rpc_before_hello_closes_the_session(harness: TransportRig) -> None:
    raw = await RawSession.open(harness.port, hello=False)
    raw.writer.write(
        encode_end_of_message(b'<rpc message-id="1" xmlns="' + BASE_NS.encode() + b'"><get/></rpc>')
    )
    raw.decoder = FrameDecoder()
    assert await raw.read_message() == b""
    raw.close()


async def test_a_pty_on_the_netconf_channel_changes_no_byte(harness: TransportRig) -> None:
    # scrapli-netconf's system transport runs `ssh -tt -s netconf`; a terminal that echoed
    # input or turned \n into \r\n would break every chunk size
    raw = await RawSession.open(harness.port, term_type="xterm")
    raw.writer.write(
        encode_chunked(
            f'<rpc message-id="1" xmlns="{BASE_NS}">\r\n<bulk xmlns="{TEST_NS}"/>\n</rpc>'.encode()
        )
    )
    reply = etree.fromstring(await raw.read_message())
    assert reply.get("message-id") == "1"
    assert reply.findtext(f"{{{TEST_NS}}}bulk") == "x" * BULK_SIZE
    assert (await raw.ping()).findtext(f"{{{TEST_NS}}}pong") == "admin"
    raw.close()


async def test_shell_exec_and_other_subsystems_are_refused(harness: TransportRig) -> None:
    async with asyncssh.connect(
        "127.0.0.1", harness.port, username="admin", password="admin", known_hosts=None
    ) as connection:
        with pytest.raises(asyncssh.ChannelOpenError):
            await connection.run("ls")
        with pytest.raises(asyncssh.ChannelOpenError):
            await connection.open_session()
        with pytest.raises(asyncssh.ChannelOpenError):
            await connection.open_session(subsystem="sftp")


# --- authentication and host keys -----------------------------------------------------------


async def test_wrong_password_is_refused(harness: TransportRig) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await RawSession.open(harness.port, password="not-admin")
    with pytest.raises(asyncssh.PermissionDenied):
        await RawSession.open(harness.port, username="nobody", password="admin")


async def test_public_key_authentication(data_dir: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    users = UserDatabase(
        [
            User("admin", hash_password("s3cret-enough"), (), 3),
            User("alice", None, (key.convert_to_public(),), 1),
        ],
        data_dir / USERS_FILE,
    )
    users.save()
    registry = SessionRegistry()
    server = await NetconfSshServer.start(
        "127.0.0.1", 0, data_dir, dispatcher_for_tests(asyncio.Event()), registry=registry
    )
    try:
        raw = await RawSession.open(server.port, username="alice", password=None, client_keys=[key])
        reply = await raw.ping()
        assert reply.findtext(f"{{{TEST_NS}}}pong") == "alice"
        context = registry.get(raw.session_id)
        assert context is not None
        assert (context.username, context.level) == ("alice", 1)
        raw.close()
        other_key = asyncssh.generate_private_key("ssh-ed25519")
        with pytest.raises(asyncssh.PermissionDenied):
            await RawSession.open(
                server.port, username="alice", password=None, client_keys=[other_key]
            )
    finally:
        await server.close()


async def test_host_keys_are_persisted_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    fingerprints = []
    for _ in range(2):
        server = await NetconfSshServer.start(
            "127.0.0.1", 0, data_dir, dispatcher_for_tests(asyncio.Event())
        )
        try:
            for algorithm in ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256"):
                async with asyncssh.connect(
                    "127.0.0.1",
                    server.port,
                    username="admin",
                    password="admin",
                    known_hosts=None,
                    server_host_key_algs=[algorithm],
                ) as connection:
                    host_key = connection.get_server_host_key()
                    assert host_key is not None
                    fingerprints.append(host_key.get_fingerprint())
        finally:
            await server.close()
    assert fingerprints[:3] == fingerprints[3:]
    assert len(set(fingerprints)) == 3
    for path in data_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600


async def test_default_credentials_refused_beyond_loopback(data_dir: Path) -> None:
    with pytest.raises(DefaultCredentialsError, match="default password"):
        await NetconfSshServer.start("0.0.0.0", 0, data_dir, dispatcher_for_tests(asyncio.Event()))


def test_a_changed_admin_password_lifts_the_loopback_restriction(data_dir: Path) -> None:
    assert UserDatabase.load(data_dir / USERS_FILE).uses_default_credentials()
    UserDatabase([User("admin", hash_password("another"), (), 3)], data_dir / USERS_FILE).save()
    assert not UserDatabase.load(data_dir / USERS_FILE).uses_default_credentials()
    assert "another" not in (data_dir / USERS_FILE).read_text()
