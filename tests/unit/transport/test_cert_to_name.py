"""cert-to-name (RFC 7589 §7, ietf-x509-cert-to-name): each map type, CA fingerprints, order."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509

from smartupgrade_server.transport.cert_to_name import (
    CertToName,
    FingerprintError,
    MapType,
    fingerprint,
    map_certificate,
    parse_fingerprint,
)
from tests.support.client_pki import ClientCa


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ClientCa:
    return ClientCa(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def alice(ca: ClientCa) -> x509.Certificate:
    names = (
        x509.DNSName("Ops.Example.NET"),
        x509.RFC822Name("Alice@Example.COM"),
        x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
    )
    return ca.issue("alice", names=names).certificate


def rule(
    id: int, certificate: x509.Certificate, map_type: MapType, name: str | None = None
) -> CertToName:
    return CertToName(id, fingerprint(certificate), map_type, name)


@pytest.mark.parametrize(
    ("map_type", "expected"),
    [
        (MapType.SPECIFIED, "admin"),
        (MapType.COMMON_NAME, "alice"),
        # the local part as it is, the host part in lower case
        (MapType.SAN_RFC822_NAME, "Alice@example.com"),
        (MapType.SAN_DNS_NAME, "ops.example.net"),
        # the first address; IPv6 as 32 lower-case hexadecimal digits
        (MapType.SAN_IP_ADDRESS, "20010db8000000000000000000000001"),
        # the first of the three kinds in the certificate's order
        (MapType.SAN_ANY, "ops.example.net"),
    ],
)
def test_each_map_type_names_the_presented_certificate(
    alice: x509.Certificate, map_type: MapType, expected: str
) -> None:
    name = "admin" if map_type is MapType.SPECIFIED else None
    assert map_certificate([alice], [rule(1, alice, map_type, name)]) == expected


def test_a_ca_fingerprint_matches_and_the_name_comes_from_the_client(
    ca: ClientCa, alice: x509.Certificate
) -> None:
    assert (
        map_certificate([alice, ca.certificate], [rule(1, ca.certificate, MapType.COMMON_NAME)])
        == "alice"
    )


def test_rules_go_by_id_and_one_that_yields_no_name_lets_the_search_go_on(
    ca: ClientCa, alice: x509.Certificate
) -> None:
    bob = ca.issue("bob").certificate
    chain = [bob, ca.certificate]
    rules = [
        rule(30, ca.certificate, MapType.SPECIFIED, "guest"),
        # bob has no subjectAltName: no name, the next rule is tried
        rule(10, ca.certificate, MapType.SAN_RFC822_NAME),
        rule(20, ca.certificate, MapType.COMMON_NAME),
    ]
    assert map_certificate(chain, rules) == "bob"
    assert map_certificate([alice, ca.certificate], rules) == "Alice@example.com"


def test_no_matching_fingerprint_is_no_user(ca: ClientCa, alice: x509.Certificate) -> None:
    other = ca.issue("mallory").certificate
    assert map_certificate([alice, ca.certificate], [rule(1, other, MapType.COMMON_NAME)]) is None
    assert map_certificate([], [rule(1, other, MapType.COMMON_NAME)]) is None


def test_every_hash_of_the_registry_matches(alice: x509.Certificate) -> None:
    for algorithm in range(1, 7):
        entry = CertToName(1, fingerprint(alice, algorithm), MapType.COMMON_NAME)
        assert map_certificate([alice], [entry]) == "alice"


def test_fingerprints_are_parsed_and_checked(alice: x509.Certificate, tmp_path: Path) -> None:
    text = ":".join(f"{b:02X}" for b in fingerprint(alice))
    assert parse_fingerprint(text) == fingerprint(alice)
    with pytest.raises(FingerprintError, match="first octet 07 names no hash algorithm"):
        parse_fingerprint("07:" + text[3:])
    with pytest.raises(FingerprintError, match="sha256 fingerprint has 32 octets"):
        parse_fingerprint(text[:-3])
    with pytest.raises(FingerprintError, match="not colon-separated hexadecimal"):
        parse_fingerprint("zz:00")
