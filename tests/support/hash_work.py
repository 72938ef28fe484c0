"""Counting the password hashing a server does: the cost of a refusal, without a clock."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

_scrypt = hashlib.scrypt


def record_scrypt(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every scrypt from now on, as its parameters (salt and key lengths, n, r, p, maxmem)."""
    calls: list[tuple[object, ...]] = []

    def scrypt(password: bytes, **options: Any) -> bytes:
        salt = options["salt"]
        calls.append(
            (
                len(salt),
                options["n"],
                options["r"],
                options["p"],
                options["maxmem"],
                options["dklen"],
            )
        )
        return _scrypt(password, **options)

    monkeypatch.setattr(hashlib, "scrypt", scrypt)
    return calls
