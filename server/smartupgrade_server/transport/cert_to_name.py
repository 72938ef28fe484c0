"""Which user a TLS client is: RFC 7589 §7's cert-to-name, as ``ietf-x509-cert-to-name``
(RFC 7407, after RFC 6353) defines it. No I/O.

The rules are tried in the order of their ids. A rule matches when its fingerprint is that of
the presented certificate or of a CA certificate of its verified chain; its map type then
derives the name from the presented certificate. A rule that matches but yields no name (a
``san-rfc822-name`` rule and a certificate without one) lets the search go on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

# RFC 5246's TLS HashAlgorithm registry: the fingerprint's first octet
HASH_ALGORITHMS: dict[int, hashes.HashAlgorithm] = {
    1: hashes.MD5(),
    2: hashes.SHA1(),
    3: hashes.SHA224(),
    4: hashes.SHA256(),
    5: hashes.SHA384(),
    6: hashes.SHA512(),
}
SHA256 = 4


class MapType(StrEnum):
    """The identities of ``ietf-x509-cert-to-name``: how a name is taken from a certificate."""

    SPECIFIED = "specified"
    SAN_RFC822_NAME = "san-rfc822-name"
    SAN_DNS_NAME = "san-dns-name"
    SAN_IP_ADDRESS = "san-ip-address"
    SAN_ANY = "san-any"
    COMMON_NAME = "common-name"


class FingerprintError(ValueError):
    """A fingerprint that names no hash of RFC 5246's registry, or has the wrong length."""


def parse_fingerprint(text: str) -> bytes:
    """``04:9f:…`` (the ``tls-fingerprint`` type): one octet naming the hash, then the hash."""
    try:
        value = bytes.fromhex(text.replace(":", ""))
    except ValueError:
        raise FingerprintError(f"{text!r} is not colon-separated hexadecimal octets") from None
    if not value:
        raise FingerprintError("an empty fingerprint")
    algorithm = HASH_ALGORITHMS.get(value[0])
    if algorithm is None:
        known = ", ".join(f"{n:02x} ({a.name})" for n, a in HASH_ALGORITHMS.items())
        raise FingerprintError(
            f"the first octet {value[0]:02x} names no hash algorithm; known: {known}"
        )
    if len(value) - 1 != algorithm.digest_size:
        raise FingerprintError(
            f"a {algorithm.name} fingerprint has {algorithm.digest_size} octets after the "
            f"first, not {len(value) - 1}"
        )
    return value


def fingerprint(certificate: x509.Certificate, algorithm: int = SHA256) -> bytes:
    return bytes([algorithm]) + certificate.fingerprint(HASH_ALGORITHMS[algorithm])


def format_fingerprint(value: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in value)


@dataclass(frozen=True)
class CertToName:
    """One entry of the ``cert-to-name`` list."""

    id: int
    fingerprint: bytes
    map_type: MapType
    # the user, for SPECIFIED
    name: str | None = None

    def matches(self, chain: Sequence[x509.Certificate]) -> bool:
        return any(fingerprint(c, self.fingerprint[0]) == self.fingerprint for c in chain)

    def name_of(self, certificate: x509.Certificate) -> str | None:
        if self.map_type is MapType.SPECIFIED:
            return self.name
        if self.map_type is MapType.COMMON_NAME:
            names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            return _text(names[0].value) if names else None
        for general_name in _subject_alt_names(certificate):
            name = _san_name(general_name, self.map_type)
            if name is not None:
                return name
        return None


def map_certificate(chain: Sequence[x509.Certificate], rules: Iterable[CertToName]) -> str | None:
    """The name of the client that presented ``chain[0]`` (its verified chain follows it), or
    None when no rule gives one."""
    if not chain:
        return None
    for rule in sorted(rules, key=lambda rule: rule.id):
        if rule.matches(chain):
            name = rule.name_of(chain[0])
            if name:
                return name
    return None


def describe(certificate: x509.Certificate) -> str:
    """How the logs name a certificate: its subject and SHA-256 fingerprint."""
    return (
        f"{certificate.subject.rfc4514_string()} ({format_fingerprint(fingerprint(certificate))})"
    )


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _subject_alt_names(certificate: x509.Certificate) -> list[x509.GeneralName]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(extension.value)


def _san_name(general_name: x509.GeneralName, map_type: MapType) -> str | None:
    any_type = map_type is MapType.SAN_ANY
    if isinstance(general_name, x509.RFC822Name) and (
        any_type or map_type is MapType.SAN_RFC822_NAME
    ):
        # the local part unaltered, the host part in lower case
        local, at, host = general_name.value.rpartition("@")
        return f"{local}{at}{host.lower()}"
    if isinstance(general_name, x509.DNSName) and (any_type or map_type is MapType.SAN_DNS_NAME):
        return general_name.value.lower()
    if isinstance(general_name, x509.IPAddress) and (
        any_type or map_type is MapType.SAN_IP_ADDRESS
    ):
        address = general_name.value
        if isinstance(address, ipaddress.IPv4Address):
            return str(address)
        if isinstance(address, ipaddress.IPv6Address):
            # 32 lower-case hexadecimal digits, no colons
            return address.packed.hex()
    return None
