"""OpenPGP signing key and detached signatures for the HOUP emulator.

Signing is written against RFC 4880 (v4 packets, EdDSA over Ed25519, SHA-256) on top of
`cryptography`, because neither PGPy nor pysequoia can sign a stream: both want the whole
document in memory, and a 120 MB image is generated on the fly. The hash context is handed in by
the caller, so the content flows through it once. The switch verifies with pysequoia, an
implementation independent of this signer (`houp_api.signatures`), and `gpg --verify` checks the
signer in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

if TYPE_CHECKING:
    from hashlib import _Hash

_ED25519_OID = bytes.fromhex("2b06010401da470f01")
_ALGO_EDDSA = 22
_HASH_SHA256 = 8
_SIG_BINARY = 0x00
_SIG_POSITIVE_CERT = 0x13

_TAG_SIGNATURE = 2
_TAG_PUBLIC_KEY = 6
_TAG_USER_ID = 13

_SUB_CREATION_TIME = 2
_SUB_ISSUER = 16
_SUB_PREFERRED_HASH = 21
_SUB_KEY_FLAGS = 27
_SUB_ISSUER_FINGERPRINT = 33

_KEY_FLAG_CERTIFY = 0x01
_KEY_FLAG_SIGN = 0x02

DEFAULT_USER_ID = "HOUP emulator signing key <houp@localhost>"


def _mpi(value: bytes) -> bytes:
    number = int.from_bytes(value, "big")
    stripped = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return struct.pack(">H", number.bit_length()) + stripped


def _packet(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 192:
        header = bytes([length])
    elif length < 8384:
        length -= 192
        header = bytes([(length >> 8) + 192, length & 0xFF])
    else:
        header = b"\xff" + struct.pack(">I", length)
    return bytes([0xC0 | tag]) + header + body


def _subpacket(kind: int, data: bytes) -> bytes:
    # Every subpacket here is far below 192 bytes, so a one-octet length suffices.
    return bytes([len(data) + 1, kind]) + data


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(kind: str, data: bytes) -> str:
    """ASCII armor (RFC 4880 section 6.2), e.g. kind="SIGNATURE" or "PUBLIC KEY BLOCK"."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    checksum = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode("ascii")
    return "\n".join(
        [f"-----BEGIN PGP {kind}-----", "", *lines, f"={checksum}", f"-----END PGP {kind}-----", ""]
    )


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 OpenPGP key (primary key only, flags certify+sign) with one user ID."""

    private_key: Ed25519PrivateKey
    created: int
    user_id: str

    @property
    def _key_body(self) -> bytes:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return (
            bytes([4])
            + struct.pack(">I", self.created)
            + bytes([_ALGO_EDDSA, len(_ED25519_OID)])
            + _ED25519_OID
            + _mpi(b"\x40" + raw)
        )

    @property
    def fingerprint(self) -> bytes:
        body = self._key_body
        return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body).digest()

    @property
    def fingerprint_hex(self) -> str:
        return self.fingerprint.hex().upper()

    def _signature_packet(
        self, sig_type: int, digest_context: _Hash, extra_hashed: Iterable[bytes], created: int
    ) -> bytes:
        hashed_subpackets = b"".join(
            [
                _subpacket(_SUB_CREATION_TIME, struct.pack(">I", created)),
                *extra_hashed,
                _subpacket(_SUB_ISSUER_FINGERPRINT, b"\x04" + self.fingerprint),
            ]
        )
        hashed_part = (
            bytes([4, sig_type, _ALGO_EDDSA, _HASH_SHA256])
            + struct.pack(">H", len(hashed_subpackets))
            + hashed_subpackets
        )
        digest_context.update(hashed_part + b"\x04\xff" + struct.pack(">I", len(hashed_part)))
        digest = digest_context.digest()
        signature = self.private_key.sign(digest)
        unhashed = _subpacket(_SUB_ISSUER, self.fingerprint[-8:])
        body = (
            hashed_part
            + struct.pack(">H", len(unhashed))
            + unhashed
            + digest[:2]
            + _mpi(signature[:32])
            + _mpi(signature[32:])
        )
        return _packet(_TAG_SIGNATURE, body)

    def public_key_armored(self) -> str:
        """The transferable public key (key, user ID, positive self-certification), armored."""
        key_body = self._key_body
        uid = self.user_id.encode("utf-8")
        context = hashlib.sha256(
            b"\x99"
            + struct.pack(">H", len(key_body))
            + key_body
            + b"\xb4"
            + struct.pack(">I", len(uid))
            + uid
        )
        self_sig = self._signature_packet(
            _SIG_POSITIVE_CERT,
            context,
            [
                _subpacket(_SUB_KEY_FLAGS, bytes([_KEY_FLAG_CERTIFY | _KEY_FLAG_SIGN])),
                _subpacket(_SUB_PREFERRED_HASH, bytes([_HASH_SHA256])),
            ],
            self.created,
        )
        data = _packet(_TAG_PUBLIC_KEY, key_body) + _packet(_TAG_USER_ID, uid) + self_sig
        return armor("PUBLIC KEY BLOCK", data)

    def sign_detached(self, content_sha256: _Hash, created: int | None = None) -> str:
        """Armored binary-document signature.

        `content_sha256` is a SHA-256 context that has already seen the whole document; it is
        consumed (the caller keeps a `.copy()` if it still needs the plain content digest).
        """
        when = int(time.time()) if created is None else created
        return armor("SIGNATURE", self._signature_packet(_SIG_BINARY, content_sha256, [], when))

    @classmethod
    def load_or_create(cls, directory: Path, user_id: str = DEFAULT_USER_ID) -> SigningKey:
        """Load the key persisted in `directory`, generating it on first use."""
        pem_path = directory / "signing-key.pem"
        meta_path = directory / "signing-key.json"
        if pem_path.exists() and meta_path.exists():
            private_key = serialization.load_pem_private_key(pem_path.read_bytes(), None)
            if not isinstance(private_key, Ed25519PrivateKey):
                raise ValueError(f"{pem_path} does not hold an Ed25519 key")
            meta = json.loads(meta_path.read_text("utf-8"))
            key = cls(private_key, int(meta["created"]), str(meta["user_id"]))
        else:
            directory.mkdir(parents=True, exist_ok=True)
            key = cls(Ed25519PrivateKey.generate(), int(time.time()), user_id)
            pem = key.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            pem_path.touch(mode=0o600)
            pem_path.write_bytes(pem)
            meta_path.write_text(json.dumps({"created": key.created, "user_id": user_id}), "utf-8")
        (directory / "signing-key.asc").write_text(key.public_key_armored(), "ascii")
        return key


def dearmor(text: str) -> bytes:
    """The binary data inside ASCII armor made by `armor` (the CRC line is not checked)."""
    lines = text.strip().splitlines()
    body_start = lines.index("") + 1
    body = [line for line in lines[body_start:-1] if not line.startswith("=")]
    return base64.b64decode("".join(body))
