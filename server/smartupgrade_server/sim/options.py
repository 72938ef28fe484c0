"""What ``smartupgrade-sim`` and ``smartupgrade-sim fleet`` set up alike: option types, the
switch's clock, its factory configuration and how it reaches the HOUP."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from smartupgrade_model.convert import RawObject, ssl_policy_config
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device.clock import Clock, ScaledClock, WallClock
from smartupgrade_server.transport.call_home import (
    CALL_HOME_PORTS,
    CallHomeClient,
    CallHomeEndpoint,
    CallHomeTransport,
)
from smartupgrade_server.transport.cert_to_name import CertToName, MapType, fingerprint
from smartupgrade_server.transport.server_settings import NetconfServerSettings
from smartupgrade_server.transport.tls import TlsClientAuthentication

HOUP_DIR = "houp"
# what a switch runs on its first start, unless told otherwise (both commands' defaults)
DEFAULT_MODEL = "S5732-H"
DEFAULT_SOFTWARE = "V200R020C00"
DEFAULT_PATCH = "V200R020SPH"
DEFAULT_AP_SOFTWARE = "V200R019C10"
# the seed's AP example; only AP-capable models manage one
DEFAULT_AP_DEVICE_TYPE = "AirEngine 8760-X1-PRO"
# the ESN of a switch started alone, and of a fleet's first: serial digits count the switches
ESN_PREFIX = "2102351XFR10P"
ESN_DIGITS = 7


# the ESN of the AP that switch manages: an AirEngine's serial number, same numbering
AP_ESN_PREFIX = "2102353VUR10N"


def esn(number: int) -> str:
    """The ESN of the ``number``-th switch (from 1)."""
    return f"{ESN_PREFIX}{number:0{ESN_DIGITS}d}"


def ap_esn(number: int) -> str:
    """The ESN of the AP the ``number``-th switch manages."""
    return f"{AP_ESN_PREFIX}{number:0{ESN_DIGITS}d}"


# the seed's name for the policy smart upgrade binds
FACTORY_SSL_POLICY = "houp"
_SIZE = re.compile(r"^(\d+)([KMG]?)$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def byte_size(text: str) -> int:
    """``536870912``, ``512M``, ``1G`` (binary units)."""
    match = _SIZE.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 536870912, 512M, 1G")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def clock_choice(text: str) -> str | float:
    """``wall``, or a speed factor of simulated time (``60``: a minute per second)."""
    if text == "wall":
        return text
    try:
        factor = float(text)
    except ValueError:
        factor = 0.0
    if factor <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is neither 'wall' nor a positive factor")
    return factor


def make_clock(choice: str | float) -> Clock:
    return WallClock() if choice == "wall" else ScaledClock(float(choice))


def factory_config(ca_cert_pem: str) -> RawObject:
    """The factory startup configuration: an SSL policy trusting the HOUP's CA; smart upgrade
    itself keeps the seed's defaults (no policy bound, disabled)."""
    return ssl_policy_config(FACTORY_SSL_POLICY, (ca_cert_pem,))


def houp_route(houp_host: str, houp_port: int) -> tuple[dict[str, str], dict[int, int]]:
    """The host table and port forward that take the switch's default HOUP address
    (``s.houp.huawei.com:443``) to the emulated HOUP's ``houp_host:houp_port``."""
    default = SmartUpgrade()
    return {default.url: houp_host}, {default.https_port: houp_port}


def call_home_url(text: str) -> CallHomeEndpoint:
    """``ssh://HOST[:PORT]`` or ``tls://HOST[:PORT]`` (4334, 4335 unless given): a NETCONF
    client the switch calls home (RFC 8071)."""
    parts = urlsplit(text.strip())
    try:
        transport = CallHomeTransport(parts.scheme)
        port = parts.port
    except ValueError:
        transport, port = None, None
    if transport is None or not parts.hostname or parts.path or parts.username:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ssh://HOST[:PORT] or tls://HOST[:PORT] (a controller to call home)"
        )
    return CallHomeEndpoint(text, transport, parts.hostname, port or CALL_HOME_PORTS[transport])


def certificates_file(text: str) -> tuple[x509.Certificate, ...]:
    """A PEM file of one or more certificates."""
    try:
        certificates = tuple(x509.load_pem_x509_certificates(Path(text).read_bytes()))
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {error.strerror}") from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} holds no PEM certificate") from None
    return certificates


def netconf_settings(
    call_home: Sequence[CallHomeEndpoint], client_cas: Sequence[tuple[x509.Certificate, ...]]
) -> NetconfServerSettings:
    """The options' own NETCONF server settings (docs/server.md): each call-home URL a
    persistent client of its own, named by its URL; each certificate of ``--tls-client-ca``
    trusted, and the certificates it verifies named by their common name."""
    trusted = tuple(dict.fromkeys(c for certificates in client_cas for c in certificates))
    rules = tuple(
        CertToName(number, fingerprint(certificate), MapType.COMMON_NAME)
        for number, certificate in enumerate(trusted, start=1)
    )
    clients = {endpoint.name: CallHomeClient(endpoint.name, (endpoint,)) for endpoint in call_home}
    return NetconfServerSettings(TlsClientAuthentication(trusted, rules), clients)
