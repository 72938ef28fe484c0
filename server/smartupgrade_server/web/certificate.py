"""The web system's own TLS certificate: self-signed, made on the switch's first start and kept
in its data directory, as a switch ships with a device certificate of its own.

No CA issues it, so a browser warns once; a client that wants to verify the switch pins this
certificate (:attr:`WebCertificate.pem`).
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

from smartupgrade_server.transport.private_files import ensure_private_dir, write_private_file

CERT_FILE = "web-cert.pem"
KEY_FILE = "web-key.pem"
# what a browser on the switch's own machine may call it, beside the listening address
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_VALIDITY = datetime.timedelta(days=3650)


def _subject_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for name in (*_LOOPBACK_NAMES, host):
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            names.append(x509.DNSName(name))
            continue
        # a wildcard address is nobody's name
        if not address.is_unspecified:
            names.append(x509.IPAddress(address))
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class WebCertificate:
    pem: str
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def load_or_create_certificate(data_dir: Path, host: str, common_name: str) -> WebCertificate:
    """The persisted certificate, or a new one when there is none or it does not name
    ``host`` (the switch was told to listen elsewhere). Blocking file I/O."""
    ensure_private_dir(data_dir)
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    names = _subject_names(host)
    if cert_path.exists() and key_path.exists():
        current = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if all(name in san for name in names):
            return WebCertificate(cert_path.read_text("ascii"), cert_path, key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # browsers check real time, whatever clock the switch runs on
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private_file(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    write_private_file(cert_path, pem)
    return WebCertificate(pem.decode("ascii"), cert_path, key_path)
