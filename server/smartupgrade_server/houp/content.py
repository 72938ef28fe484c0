"""Deterministic file content, computable at any offset without generating the prefix.

A file's bytes are the AES-256-CTR keystream under a key derived from its name: byte `i` lives in
counter block `i // 16`, so a range starts by setting the counter, and a 120 MB image needs
neither disk nor memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CHUNK_SIZE = 256 * 1024
_BLOCK = 16


def _key(name: str) -> bytes:
    return hashlib.sha256(b"houp-content\x00" + name.encode("utf-8")).digest()


def generate(
    name: str, start: int, end: int | None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the bytes of `name` from `start` up to `end` (exclusive; None = never stop)."""
    block, skip = divmod(start, _BLOCK)
    encryptor = Cipher(algorithms.AES(_key(name)), modes.CTR(block.to_bytes(16, "big"))).encryptor()
    if skip:
        encryptor.update(bytes(skip))
    position = start
    zeros = bytes(chunk_size)
    while end is None or position < end:
        size = chunk_size if end is None else min(chunk_size, end - position)
        yield encryptor.update(zeros[:size])
        position += size


def read(name: str, start: int, end: int) -> bytes:
    """The bytes of `name` in [start, end)."""
    return b"".join(generate(name, start, end))
