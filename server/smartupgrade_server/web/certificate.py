"""The web system's own TLS certificate: self-signed, made on the switch's first start and kept
in its data directory, as a switch ships with a device certificate of its own.

No CA issues it, so a browser warns once; a client that wants to verify the switch pins this
certificate (:attr:`WebCertificate.pem`).
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from pathlib import Path

from smartupgrade_server.transport.certificates import (
    DeviceCertificate,
    load_or_create_device_certificate,
)

CERT_FILE = "web-cert.pem"
KEY_FILE = "web-key.pem"


@dataclass(frozen=True)
class WebCertificate(DeviceCertificate):
    @functools.cached_property
    def server_context(self) -> ssl.SSLContext:
        """One context for every server of this certificate (a fleet's switches share one)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def load_or_create_certificate(data_dir: Path, host: str, common_name: str) -> WebCertificate:
    """The persisted certificate, or a new one when there is none or it does not name
    ``host`` (transport/certificates.py). Blocking file I/O."""
    made = load_or_create_device_certificate(data_dir, CERT_FILE, KEY_FILE, host, common_name)
    return WebCertificate(made.pem, made.cert_path, made.key_path)
