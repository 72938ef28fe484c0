"""Checking the HOUP's detached OpenPGP signatures (v4, Ed25519, SHA-256, armored): what the
switch's firmware does before it sets a downloaded file as next startup.

Verification uses pysequoia, an implementation independent of the HOUP's signer
(`houp/openpgp.py`, written on `cryptography`), so the two check each other.
"""

from __future__ import annotations

from pathlib import Path

import pysequoia


class SignatureVerificationError(Exception):
    """A detached signature does not verify the data against the given public key."""


def verify_detached_signature(data: Path | bytes, signature: str | bytes, public_key: str) -> None:
    """Check a detached OpenPGP signature over a file (read by sequoia, memory-mapped) or bytes.

    `public_key` is the armored HOUP public key (`HoupServer.signing_public_key`).
    Raises SignatureVerificationError when the signature is malformed, made by another key,
    or does not cover exactly these bytes.
    """
    sig_bytes = signature.encode("ascii") if isinstance(signature, str) else signature
    try:
        cert = pysequoia.Cert.from_bytes(public_key.encode("ascii"))
        sig = pysequoia.Sig.from_bytes(sig_bytes)
        if isinstance(data, Path):
            result = pysequoia.verify(file=str(data), signature=sig, store=lambda _ids: [cert])
        else:
            result = pysequoia.verify(bytes=data, signature=sig, store=lambda _ids: [cert])
    except Exception as exc:  # pysequoia raises plain exceptions for every kind of failure
        # pysequoia appends a Rust backtrace when RUST_BACKTRACE is set; keep the message.
        message = next(iter(str(exc).splitlines()), type(exc).__name__)
        raise SignatureVerificationError(message) from exc
    if not result.valid_sigs:
        raise SignatureVerificationError("no valid signature from the HOUP key")
