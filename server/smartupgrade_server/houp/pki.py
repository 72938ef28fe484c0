"""The HOUP emulator's own CA and its server certificates (valid and expired).

Generated once with `cryptography` and persisted, so a switch that trusts the CA keeps trusting it
across restarts. The expired certificate has the same key and names as the valid one: a client
that rejects it does so only because of its dates (what the switch reports as CertOutDate).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CA_KEY = "ca.key"
_CA_CERT = "ca.pem"
_SERVER_KEY = "server.key"
_SERVER_CERT = "server.pem"
_EXPIRED_CERT = "server-expired.pem"


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC key")
    return key


def _names(host_name: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host_name)))
    except ValueError:
        names.append(x509.DNSName(host_name))
    return list(dict.fromkeys(names))


def _issue_server_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    host_name: str,
    *,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(_names(host_name)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class Pki:
    directory: Path
    host_name: str

    @property
    def ca_cert_pem(self) -> str:
        return (self.directory / _CA_CERT).read_text("ascii")

    def server_files(self, *, expired: bool = False) -> tuple[Path, Path]:
        """The server's certificate and key, as files (what another web server would load)."""
        cert = _EXPIRED_CERT if expired else _SERVER_CERT
        return self.directory / cert, self.directory / _SERVER_KEY

    def server_context(self, *, expired: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self.server_files(expired=expired))
        return context

    @classmethod
    def load_or_create(cls, directory: Path, host_name: str) -> Pki:
        """Load the persisted CA and server certificates, creating what is missing.

        The server certificates are reissued (by the same CA) when `host_name` is not among the
        names of the persisted one.
        """
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key_path, ca_cert_path = directory / _CA_KEY, directory / _CA_CERT
        if ca_key_path.exists() and ca_cert_path.exists():
            ca_key = _load_key(ca_key_path)
            ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        else:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "HOUP emulator CA")])
            ca_cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(ca_key.public_key())
                .serial_number(x509.random_serial_number())
                # Back-dated so that the expired server certificate lies within the CA's life.
                .not_valid_before(now - datetime.timedelta(days=1000))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=False,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=True,
                        crl_sign=True,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
                )
                .sign(ca_key, hashes.SHA256())
            )
            _write_key(ca_key_path, ca_key)
            ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
            (directory / _SERVER_CERT).unlink(missing_ok=True)

        server_cert_path = directory / _SERVER_CERT
        if server_cert_path.exists() and (directory / _EXPIRED_CERT).exists():
            current = x509.load_pem_x509_certificate(server_cert_path.read_bytes())
            san = current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if all(name in san for name in _names(host_name)):
                return cls(directory, host_name)
        key = ec.generate_private_key(ec.SECP256R1())
        _write_key(directory / _SERVER_KEY, key)
        valid = _issue_server_cert(
            ca_key,
            ca_cert,
            key,
            host_name,
            not_before=now - datetime.timedelta(days=1),
            not_after=now + datetime.timedelta(days=3650),
        )
        expired = _issue_server_cert(
            ca_key,
            ca_cert,
            key,
            host_name,
            not_before=now - datetime.timedelta(days=730),
            not_after=now - datetime.timedelta(days=365),
        )
        server_cert_path.write_bytes(valid.public_bytes(serialization.Encoding.PEM))
        (directory / _EXPIRED_CERT).write_bytes(expired.public_bytes(serialization.Encoding.PEM))
        return cls(directory, host_name)
