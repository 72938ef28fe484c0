"""The switch's own TLS certificates (the web system's, NETCONF over TLS'): self-signed, made on
first use and kept in the data directory with the key 0600, as a switch ships with a device
certificate of its own.

No CA issues them, so a client verifies the switch by pinning the certificate (a browser warns
once). A self-signed certificate that no longer names the address the switch listens on is
made anew; one a CA issued (the operator's, put in its place) is always kept.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smartupgrade_server.transport.private_files import ensure_private_dir, write_private_file

# what a client on the switch's own machine may call it, beside the listening address
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class DeviceCertificate:
    pem: str
    cert_path: Path
    key_path: Path


def subject_names(host: str) -> list[x509.GeneralName]:
    """The loopback names and ``host``, as subject alternative names."""
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


def names_host(certificate: x509.Certificate, host: str) -> bool:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return all(name in san for name in subject_names(host))


def load_or_create_device_certificate(
    data_dir: Path, cert_file: str, key_file: str, host: str, common_name: str
) -> DeviceCertificate:
    """The certificate ``cert_file`` and key ``key_file`` of ``data_dir``, or new ones when
    there are none or a self-signed certificate does not name ``host`` (the switch was told to
    listen elsewhere). Blocking file I/O."""
    ensure_private_dir(data_dir)
    cert_path, key_path = data_dir / cert_file, data_dir / key_file
    if cert_path.exists() and key_path.exists():
        current = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if names_host(current, host) or current.issuer != current.subject:
            return DeviceCertificate(cert_path.read_text("ascii"), cert_path, key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # clients check real time, whatever clock the switch runs on
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectAlternativeName(subject_names(host)), critical=False)
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
    return DeviceCertificate(pem.decode("ascii"), cert_path, key_path)
