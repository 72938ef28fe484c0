"""The users allowed to log in: ``users.yaml`` in the data directory.

::

    users:
      - name: admin
        password: "scrypt:16384:8:1:<salt hex>:<key hex>"   # hash_password(); never plaintext
        authorized-keys:                                    # OpenSSH public key lines
          - "ssh-ed25519 AAAAC3... alice@laptop"
        level: 3                                            # 0 visit .. 3 management (VRP)

A user may have a password, keys, or both. The file is written 0600 since password hashes can
still be attacked offline.
"""

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import yaml

from smartupgrade_server.transport.private_files import ensure_private_dir, write_private_file

USERS_FILE = "users.yaml"
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "admin"
MAX_LEVEL = 3

# scrypt's "interactive login" parameters (Percival 2009): about 16 MiB and tens of ms per hash
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


class UsersFileError(Exception):
    """users.yaml cannot be used as it is."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt:{_SCRYPT_N}:{_SCRYPT_R}:{_SCRYPT_P}:{salt.hex()}:{key.hex()}"


def decoy_hash() -> str:
    """A hash no password matches (but by a 2**-256 chance), with the parameters of
    :func:`hash_password`: checking it costs what checking a user's password costs."""
    salt, key = secrets.token_bytes(16), secrets.token_bytes(32)
    return f"scrypt:{_SCRYPT_N}:{_SCRYPT_R}:{_SCRYPT_P}:{salt.hex()}:{key.hex()}"


def check_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, key = encoded.split(":")
        if scheme != "scrypt":
            raise ValueError(scheme)
        expected = bytes.fromhex(key)
        actual = _scrypt(
            password, bytes.fromhex(salt), int(n), int(r), int(p), length=len(expected)
        )
    except ValueError as error:
        raise UsersFileError(f"unreadable password hash: {error}") from None
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, *, length: int = 32) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=length
    )


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str | None
    authorized_keys: tuple[asyncssh.SSHKey, ...]
    level: int

    def to_yaml(self) -> dict[str, object]:
        entry: dict[str, object] = {"name": self.name}
        if self.password_hash is not None:
            entry["password"] = self.password_hash
        if self.authorized_keys:
            entry["authorized-keys"] = [
                key.export_public_key().decode().strip() for key in self.authorized_keys
            ]
        entry["level"] = self.level
        return entry


class UserDatabase:
    """Looks up users and checks their credentials."""

    def __init__(self, users: Iterable[User], path: Path | None = None) -> None:
        self.path = path
        self._users = {user.name: user for user in users}
        # A successful scrypt check is remembered as an HMAC under a key that lives only in this
        # process: scrypt costs tens of ms of CPU, which would dominate session setup for a test
        # rig that opens hundreds of sessions. Failed attempts always pay the full scrypt.
        self._cache_key = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}
        # what a name without a password is checked against, so that refusing it takes as long
        # as refusing a wrong password (OpenSSH does the same for users that do not exist)
        self._decoy = decoy_hash()

    @classmethod
    def load(cls, path: Path) -> "UserDatabase":
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            entries = document["users"]
            if not isinstance(entries, list):
                raise TypeError("'users' is not a list")
            return cls((_parse_user(entry) for entry in entries), path)
        except (KeyError, TypeError, ValueError, yaml.YAMLError, asyncssh.KeyImportError) as error:
            raise UsersFileError(f"{path}: {error}") from None

    @classmethod
    def load_or_create(cls, data_dir: Path) -> "UserDatabase":
        """The data directory's users, creating ``admin``/``admin`` on first start."""
        path = data_dir / USERS_FILE
        if not path.exists():
            ensure_private_dir(data_dir)
            default = User(DEFAULT_USERNAME, hash_password(DEFAULT_PASSWORD), (), MAX_LEVEL)
            cls([default], path).save()
        return cls.load(path)

    def save(self) -> None:
        if self.path is None:
            raise ValueError("this user database has no file")
        document = {"users": [user.to_yaml() for user in self._users.values()]}
        write_private_file(self.path, yaml.safe_dump(document, sort_keys=False).encode())

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def administrators(self) -> list[User]:
        """The users of the highest level, in the file's order."""
        return [user for user in self._users.values() if user.level == MAX_LEVEL]

    def uses_default_credentials(self) -> bool:
        user = self._users.get(DEFAULT_USERNAME)
        return (
            user is not None
            and user.password_hash is not None
            and check_password(DEFAULT_PASSWORD, user.password_hash)
        )

    async def verify_password(self, name: str, password: str) -> bool:
        """Whether ``password`` is the user's. A refusal costs one scrypt whether the user
        exists, has no password or gave a wrong one."""
        user = self._users.get(name)
        encoded = user.password_hash if user is not None else None
        token = hmac.digest(self._cache_key, password.encode(), "sha256")
        remembered = self._verified.get(name)
        if (
            encoded is not None
            and remembered is not None
            and hmac.compare_digest(remembered, token)
        ):
            return True
        # in a thread: hashlib.scrypt releases the GIL, and other sessions keep being served
        matches = await asyncio.to_thread(check_password, password, encoded or self._decoy)
        if not matches or encoded is None:
            return False
        self._verified[name] = token
        return True

    def accepts_key(self, name: str, key: asyncssh.SSHKey) -> bool:
        user = self._users.get(name)
        return user is not None and any(
            key.public_data == known.public_data for known in user.authorized_keys
        )


def _parse_user(entry: object) -> User:
    if not isinstance(entry, dict):
        raise TypeError(f"a user entry is not a mapping: {entry!r}")
    name = entry["name"]
    password = entry.get("password")
    keys = entry.get("authorized-keys", [])
    level = entry.get("level", 0)
    if not isinstance(name, str) or not name:
        raise ValueError(f"bad user name {name!r}")
    if password is not None and not (isinstance(password, str) and password.startswith("scrypt:")):
        raise ValueError(f"user {name}: 'password' must be a hash from hash_password()")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"user {name}: 'authorized-keys' must be a list of public key lines")
    if not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"user {name}: 'level' must be 0..{MAX_LEVEL}")
    return User(name, password, tuple(asyncssh.import_public_key(k) for k in keys), level)
