"""Password checks: the same work for every refusal, the per-source delay, the counters."""

from __future__ import annotations

import asyncssh
import pytest

from smartupgrade_server.transport.logins import (
    FIRST_DELAY,
    MAX_DELAY,
    LoginGuard,
    LoginService,
    SourceDelays,
    source_key,
)
from smartupgrade_server.transport.users import User, UserDatabase, hash_password
from tests.support.hash_work import record_scrypt


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def users() -> UserDatabase:
    key = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    return UserDatabase(
        [User("admin", hash_password("right"), (), 3), User("keys-only", None, (key,), 1)]
    )


async def test_every_refusal_costs_one_scrypt_of_the_same_parameters(
    users: UserDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = record_scrypt(monkeypatch)
    for name, password in (("admin", "wrong"), ("nobody", "right"), ("keys-only", "right")):
        before = len(calls)
        assert not await users.verify_password(name, password)
        assert len(calls) == before + 1, name
    assert len(set(calls)) == 1
    # the right password pays it once, and is then remembered
    assert await users.verify_password("admin", "right")
    assert await users.verify_password("admin", "right")
    assert len(calls) == 4 and len(set(calls)) == 1


def test_the_delay_grows_with_failures_is_capped_and_fades() -> None:
    clock = ManualClock()
    delays = SourceDelays(monotonic=clock)
    assert delays.delay("192.0.2.1") == 0
    waits = []
    for _ in range(8):
        delays.failed("192.0.2.1")
        waits.append(delays.delay("192.0.2.1"))
    assert waits[0] == pytest.approx(FIRST_DELAY)
    assert waits == sorted(waits)
    assert waits[-1] == MAX_DELAY
    # another source is not slowed
    assert delays.delay("192.0.2.2") == 0
    clock.now += 60
    assert 0 < delays.delay("192.0.2.1") < MAX_DELAY
    clock.now += 600
    assert delays.delay("192.0.2.1") == 0
    assert len(delays) == 0


def test_sources_are_ipv4_addresses_and_ipv6_64s() -> None:
    assert source_key("192.0.2.7") == "192.0.2.7"
    assert source_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::9")
    assert source_key("2001:db8:1:2::1") != source_key("2001:db8:1:3::1")
    clock = ManualClock()
    delays = SourceDelays(monotonic=clock)
    delays.failed("2001:db8:1:2::1")
    assert delays.delay("2001:db8:1:2::ffff") > 0


def test_memory_is_bounded_whatever_the_number_of_sources() -> None:
    delays = SourceDelays(capacity=100, monotonic=ManualClock())
    for n in range(1000):
        delays.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(delays) == 100


async def test_the_guard_waits_then_checks_and_counts_failures(users: UserDatabase) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    guard = LoginGuard(users, SourceDelays(monotonic=ManualClock()), sleep=sleep)
    source = "198.51.100.3"
    for _ in range(3):
        assert not await guard.check_password(LoginService.NETCONF, source, "admin", "wrong")
    assert not await guard.check_password(LoginService.WEB, source, "nobody", "wrong")
    # the owner is slowed, not locked out
    assert await guard.check_password(LoginService.CLI, source, "admin", "right")
    assert slept == [FIRST_DELAY, FIRST_DELAY * 2, FIRST_DELAY * 4, FIRST_DELAY * 8]
    assert guard.counters.failed_passwords == {LoginService.NETCONF: 3, LoginService.WEB: 1}
