"""SSH host keys: generated on first start, persisted, and loaded once as key objects.

asyncssh re-reads host key files at every login when given paths (about 70 ms of CPU per
session), so the server is always given the loaded keys. Ed25519 and ECDSA come first: paramiko
≥ 5 no longer accepts ssh-rsa (SHA-1) and yangcli's libssh2 fails on an RSA-only server.
"""

from pathlib import Path

import asyncssh

from smartupgrade_server.transport.private_files import ensure_private_dir, write_private_file

# (file name, asyncssh algorithm, RSA key size or None)
_HOST_KEYS = (
    ("ssh_host_ed25519_key", "ssh-ed25519", None),
    ("ssh_host_ecdsa_key", "ecdsa-sha2-nistp256", None),
    ("ssh_host_rsa_key", "ssh-rsa", 3072),
)


def load_or_create_host_keys(data_dir: Path) -> list[asyncssh.SSHKey]:
    ensure_private_dir(data_dir)
    keys = []
    for file_name, algorithm, key_size in _HOST_KEYS:
        path = data_dir / file_name
        if path.exists():
            keys.append(asyncssh.read_private_key(path))
            continue
        key = (
            asyncssh.generate_private_key(algorithm, key_size=key_size)
            if key_size
            else asyncssh.generate_private_key(algorithm)
        )
        write_private_file(path, key.export_private_key())
        write_private_file(path.with_name(f"{file_name}.pub"), key.export_public_key())
        keys.append(key)
    return keys
