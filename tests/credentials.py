"""A switch's users and SSH host keys, made once per test session and copied into each data
directory (RSA key generation and scrypt take a while)."""

import shutil
from pathlib import Path

from smartupgrade_server.transport.users import USERS_FILE


def copy_credentials(source: Path, data_dir: Path) -> None:
    """``users.yaml`` and the host keys (with their ``.pub``) of ``source`` into ``data_dir``."""
    for item in [*source.glob("ssh_host_*"), source / USERS_FILE]:
        shutil.copy2(item, data_dir / item.name)
