"""Who logs in to the tests' switches, and where: accounts, their users files and SSH host keys
made once per test session and copied into each switch's data directory (scrypt and RSA keys
take a while), and a switch's address with a login, which clients connect to."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncclient import manager
from ncclient.transport.errors import SSHError

from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_server.testing.running import copy_credentials
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.users import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    MAX_LEVEL,
    USERS_FILE,
    User,
    UserDatabase,
    hash_password,
)
from tests.support.waiting import blocking_until


@dataclass(frozen=True)
class Account:
    """A user of the switch; ``password`` None logs in by certificate only (NETCONF over
    TLS)."""

    name: str
    password: str | None
    level: int = MAX_LEVEL


# the factory user
ADMIN = Account(DEFAULT_USERNAME, DEFAULT_PASSWORD)
# a configuration-level user (level 2): NACM's factory rules keep smart upgrade from them
OPERATOR = Account("operator", "operator-pass", 2)


@dataclass(frozen=True)
class Server:
    """Where a NETCONF client reaches a switch, and as whom."""

    host: str
    port: int
    username: str
    password: str | None = None
    private_key: Path | None = None

    def ncclient(self, **options: Any) -> manager.Manager:
        """An ncclient session over SSH (blocking), the host key not checked."""
        return manager.connect(
            host=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            key_filename=None if self.private_key is None else str(self.private_key),
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            **options,
        )

    def ncclient_once_up(self, **options: Any) -> manager.Manager:
        """:meth:`ncclient` as soon as the switch listens (again, after a reboot)."""

        def attempt() -> manager.Manager | None:
            try:
                return self.ncclient(**options)
            except SSHError:
                return None

        return blocking_until(attempt, f"NETCONF session with {self.host}:{self.port}")

    def sdk(self, **options: Any) -> SmartUpgradeClient:
        """A session of the SDK (blocking), the host key not checked."""
        return SmartUpgradeClient.connect(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            key_filename=None if self.private_key is None else str(self.private_key),
            hostkey_verify=False,
            **options,
        )

    async def async_sdk(self, **options: Any) -> AsyncSmartUpgradeClient:
        """A session of the asyncio SDK, the host key not checked."""
        return await AsyncSmartUpgradeClient.connect(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            key_filename=None if self.private_key is None else str(self.private_key),
            hostkey_verify=False,
            **options,
        )


class Credentials:
    """Users files and host keys of the test session: one host key set, one users file per set
    of accounts, each made the first time it is asked for."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._made: dict[tuple[Account, ...], Path] = {}

    def of(self, *accounts: Account) -> Path:
        """A directory holding the host keys and a users file of ``accounts`` (``admin``/
        ``admin`` alone when none are given)."""
        key = accounts or (ADMIN,)
        made = self._made.get(key)
        if made is not None:
            return made
        # the factory's first: its host keys are every set's
        factory = None if key == (ADMIN,) else self.of()
        directory = self._directory / f"users-{len(self._made)}"
        directory.mkdir()
        if factory is None:
            SshCredentials.load_or_create(directory)
        else:
            for item in factory.glob("ssh_host_*"):
                shutil.copy2(item, directory / item.name)
            UserDatabase(
                [
                    User(
                        a.name,
                        None if a.password is None else hash_password(a.password),
                        (),
                        a.level,
                    )
                    for a in key
                ],
                directory / USERS_FILE,
            ).save()
        self._made[key] = directory
        return directory

    def data_dir(self, data_dir: Path, *accounts: Account) -> Path:
        """``data_dir`` made (owner only, as the switch makes its own) with the users of
        ``accounts`` and the session's host keys."""
        copy_credentials(self.of(*accounts), data_dir)
        return data_dir
