"""What an SSH listener of a switch needs before its first login: the users who may log in and
the host keys the switch proves itself with.

A switch loads its own from its data directory at every boot (so an edited users file takes
effect at the next reboot). A fleet (docs/fleet.md) loads one set and gives it to every switch:
scrypt hashing and RSA key generation cost tens to hundreds of milliseconds each, which a
thousand switches cannot pay at start, and one shared object costs no memory per switch.
"""

from dataclasses import dataclass
from pathlib import Path

import asyncssh

from smartupgrade_server.transport.host_keys import load_or_create_host_keys
from smartupgrade_server.transport.users import UserDatabase


@dataclass(frozen=True)
class SshCredentials:
    users: UserDatabase
    host_keys: tuple[asyncssh.SSHKey, ...]

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "SshCredentials":
        """The directory's ``users.yaml`` and host keys, created on first use (blocking I/O)."""
        users = UserDatabase.load_or_create(data_dir)
        return cls(users, tuple(load_or_create_host_keys(data_dir)))
