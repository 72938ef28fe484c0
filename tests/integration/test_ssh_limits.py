"""OpenSSH's limits on the NETCONF listener, over real SSH: the work of a refusal, attempts per
connection, the per-source delay, the hello timeout, sessions per connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import paramiko
import pytest

from smartupgrade_server.netconf.registry import (
    SessionContext,
    Termination,
    TerminationReason,
)
from smartupgrade_server.transport.logins import LoginService, SourceDelays
from smartupgrade_server.transport.ssh import NetconfSshServer
from smartupgrade_server.transport.ssh_connection import MAX_AUTH_TRIES, MAX_SESSIONS
from tests.integration.test_ssh_transport import data_dir
from tests.support.hash_work import record_scrypt
from tests.support.transport import TEST_NS, RawSession, serving

__all__ = ["data_dir"]

# short, so that the tests run fast; the rules are those of the defaults
FIRST_DELAY, MAX_DELAY = 0.1, 0.4
HELLO_TIMEOUT = 0.5


@pytest.fixture
async def server(data_dir: Path) -> AsyncIterator[NetconfSshServer]:
    source_delays = SourceDelays(first=FIRST_DELAY, maximum=MAX_DELAY)
    async with serving(data_dir, source_delays=source_delays, hello_timeout=HELLO_TIMEOUT) as rig:
        yield rig.ssh


async def refused(port: int, username: str, password: str) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1", port, username=username, password=password, known_hosts=None,
            client_keys=None, preferred_auth="password",
        )  # fmt: skip


async def test_a_missing_user_costs_the_same_hash_as_a_wrong_password(
    server: NetconfSshServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_scrypt(monkeypatch)
    await refused(server.port, "admin", "wrong")
    assert len(calls) == 1
    await refused(server.port, "nobody", "wrong")
    assert len(calls) == 2
    assert calls[0] == calls[1]
    assert server.logins.counters.failed_passwords[LoginService.NETCONF] == 2


class Guesser(asyncssh.SSHClient):
    """Tries one password after another on one connection."""

    def __init__(self, passwords: list[str]) -> None:
        self._passwords = iter(passwords)
        self.tried = 0

    def password_auth_requested(self) -> str | None:
        password = next(self._passwords, None)
        if password is not None:
            self.tried += 1
        return password


async def test_a_connection_ends_after_max_auth_tries_failures(server: NetconfSshServer) -> None:
    guesser = Guesser(["wrong"] * MAX_AUTH_TRIES + ["admin"])
    with pytest.raises(asyncssh.PermissionDenied, match="Too many authentication failures"):
        await asyncssh.connect(
            "127.0.0.1", server.port, username="admin", known_hosts=None, client_keys=None,
            preferred_auth="password", client_factory=lambda: guesser,
        )  # fmt: skip
    # the right password, after the limit, was never asked for
    assert guesser.tried == MAX_AUTH_TRIES
    counters = server.logins.counters
    assert counters.attempt_limits == {LoginService.NETCONF: 1}
    assert counters.failed_passwords == {LoginService.NETCONF: MAX_AUTH_TRIES}
    # a new connection may try again
    raw = await RawSession.open(server.port)
    raw.close()


async def test_the_owner_gets_in_after_failures_from_the_same_source(
    server: NetconfSshServer,
) -> None:
    for _ in range(4):
        await refused(server.port, "admin", "wrong")
    wait = server.logins.delays.delay("127.0.0.1")
    assert wait == MAX_DELAY
    started = time.monotonic()
    raw = await RawSession.open(server.port)
    # slowed by the delay (a lower bound cannot be flaky), then in
    assert time.monotonic() - started >= wait
    assert (await raw.ping()).findtext(f"{{{TEST_NS}}}pong") == "admin"
    raw.close()


async def test_a_session_that_sends_no_hello_is_closed_and_counted(
    server: NetconfSshServer,
) -> None:
    ended: list[TerminationReason] = []
    released = asyncio.Event()

    def record(context: SessionContext, termination: Termination) -> None:
        ended.append(termination.reason)
        released.set()

    server.registry.add_termination_hook(record)
    silent = await RawSession.open(server.port, hello=False)
    polite = await RawSession.open(server.port)
    assert await silent.read_message() == b""
    await released.wait()
    assert ended == [TerminationReason.TIMEOUT]
    assert server.counters.dropped_sessions == 1
    assert server.counters.in_bad_hellos == 0
    # a session whose hello came in time stays, however long it then waits
    await asyncio.sleep(HELLO_TIMEOUT * 2)
    assert (await polite.ping()).findtext(f"{{{TEST_NS}}}pong") == "admin"
    silent.close()
    polite.close()


def channel_closed_by_server(port: int) -> bool:
    """A session channel opened and never asked for anything (paramiko can do that)."""
    transport = paramiko.Transport(("127.0.0.1", port))
    try:
        transport.connect(username="admin", password="admin")
        channel = transport.open_session()
        channel.settimeout(30)
        return channel.recv(1) == b""
    finally:
        transport.close()


async def test_a_channel_that_asks_for_nothing_is_closed(server: NetconfSshServer) -> None:
    assert await asyncio.to_thread(channel_closed_by_server, server.port)


async def test_the_eleventh_session_of_a_connection_is_refused(server: NetconfSshServer) -> None:
    async with asyncssh.connect(
        "127.0.0.1", server.port, username="admin", password="admin", known_hosts=None
    ) as connection:
        sessions = [
            await connection.open_session(subsystem="netconf", encoding=None)
            for _ in range(MAX_SESSIONS)
        ]
        with pytest.raises(asyncssh.ChannelOpenError, match="at most 10 sessions"):
            await connection.open_session(subsystem="netconf", encoding=None)
        writer, _, _ = sessions[0]
        writer.channel.close()
        await writer.channel.wait_closed()
        await connection.open_session(subsystem="netconf", encoding=None)
