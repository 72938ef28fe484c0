"""A controller's PKI for the NETCONF over TLS tests: a CA and the client certificates it
issues (good, expired, with subject alternative names), as files ncclient and openssl read."""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ncclient import manager

from smartupgrade_server.transport.cert_to_name import fingerprint, format_fingerprint

_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class ClientCertificate:
    certificate: x509.Certificate
    cert_path: Path
    key_path: Path

    @property
    def fingerprint(self) -> str:
        """SHA-256, as a cert-to-name entry takes it."""
        return format_fingerprint(fingerprint(self.certificate))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class ClientCa:
    """A CA whose certificates land in ``directory``."""

    def __init__(self, directory: Path, name: str = "Controller CA") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - 1000 * _DAY)
            .not_valid_after(now + 3650 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.cert_path = directory / f"{name.replace(' ', '-').lower()}.pem"
        self.cert_path.write_text(self.pem)

    @property
    def fingerprint(self) -> str:
        return format_fingerprint(fingerprint(self.certificate))

    def issue(
        self,
        common_name: str,
        *,
        names: tuple[x509.GeneralName, ...] = (),
        expired: bool = False,
        server: bool = False,
    ) -> ClientCertificate:
        """A certificate for ``common_name`` (a client's, or with ``server`` a TLS server's)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        start, end = (
            (now - 730 * _DAY, now - 365 * _DAY) if expired else (now - _DAY, now + 365 * _DAY)
        )
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        certificate = builder.sign(self.key, hashes.SHA256())
        stem = f"{common_name}{'-expired' if expired else ''}".replace("@", "-at-")
        cert_path = self.directory / f"{stem}.pem"
        key_path = self.directory / f"{stem}.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem(key))
        key_path.chmod(0o600)
        return ClientCertificate(certificate, cert_path, key_path)


def connect_tls(port: int, client: ClientCertificate, switch_certificate: Path) -> manager.Manager:
    """ncclient over TLS to 127.0.0.1:``port`` as ``client``, pinning the switch's certificate."""
    return manager.connect_tls(
        host="127.0.0.1",
        port=port,
        certfile=str(client.cert_path),
        keyfile=str(client.key_path),
        ca_certs=str(switch_certificate),
        protocol=ssl.PROTOCOL_TLS_CLIENT,
        timeout=30,
    )
