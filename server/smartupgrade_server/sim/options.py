"""What ``smartupgrade-sim`` and ``smartupgrade-sim fleet`` set up alike: option types, the
switch's clock, its factory configuration and how it reaches the HOUP."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from pythonjsonlogger.json import JsonFormatter

from smartupgrade_model.convert import RawObject, ssl_policy_config
from smartupgrade_model.distribution import version_text
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.device.clock import Clock, ScaledClock, WallClock
from smartupgrade_server.transport.call_home import (
    CALL_HOME_PORTS,
    CallHomeClient,
    CallHomeEndpoint,
    CallHomeTransport,
)
from smartupgrade_server.transport.cert_to_name import CertToName, MapType, fingerprint
from smartupgrade_server.transport.private_files import ensure_private_dir
from smartupgrade_server.transport.server_settings import NetconfServerSettings
from smartupgrade_server.transport.tls import TlsClientAuthentication
from smartupgrade_server.transport.users import (
    DEFAULT_USERNAME,
    MAX_LEVEL,
    USERS_FILE,
    User,
    UserDatabase,
    hash_password,
)

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
    (``s.houp.huawei.com:443``) to the emulated HOUP's ``houp_host:houp_port``; a HOUP on every
    address (``0.0.0.0``, in a container) is reached on the loopback."""
    default = SmartUpgrade()
    return {default.url: _reachable(houp_host)}, {default.https_port: houp_port}


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


def _reachable(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if not address.is_unspecified:
        return host
    return "::1" if address.version == 6 else "127.0.0.1"


def first_start_users(data_dir: Path, admin_password: str | None) -> None:
    """On a first start (no ``users.yaml`` yet) with ``admin_password``, the user ``admin``
    gets it instead of the factory password, so that the switch may listen beyond the loopback
    (a container, a lab network) from its first start; later starts keep ``users.yaml``."""
    path = data_dir / USERS_FILE
    if admin_password is None or path.exists():
        return
    if not admin_password:
        raise ValueError("the admin password must not be empty")
    ensure_private_dir(data_dir)
    admin = User(DEFAULT_USERNAME, hash_password(admin_password), (), MAX_LEVEL)
    UserDatabase([admin], path).save()


# smartupgrade-sim's and the fleet's options from the environment: SMARTUPGRADE_SIM_NETCONF_PORT
# for --netconf-port (a container's or a CI service's usual way to take options)
ENVIRONMENT_PREFIX = "SMARTUPGRADE_SIM_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def environment_variable(action: argparse.Action) -> str:
    """``SMARTUPGRADE_SIM_NETCONF_PORT`` for ``--netconf-port``, ``…_FLEET_FILE`` for the
    positional ``fleet_file``."""
    long = [flag for flag in action.option_strings if flag.startswith("--")]
    name = long[0][2:] if long else action.dest
    return ENVIRONMENT_PREFIX + name.upper().replace("-", "_")


def _from_environment(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._VersionAction)
    ]


def document_environment(parser: argparse.ArgumentParser) -> None:
    """Name each option's environment variable in its help."""
    for action in _from_environment(parser):
        if action.help is not None and action.help != argparse.SUPPRESS:
            action.help = f"{action.help} [env {environment_variable(action)}]"


def parse_with_environment(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    environ: Mapping[str, str] = os.environ,
) -> argparse.Namespace:
    """``parser.parse_args(argv)`` where an option not given takes its value from its
    environment variable (:func:`environment_variable`) if set: the text as on the command
    line, ``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off`` for a flag, commas
    between the values of a repeatable option. A variable with the prefix that names no option
    is an error, as an unknown option is."""
    actions = _from_environment(parser)
    known = {environment_variable(action): action for action in actions}
    unknown = sorted(
        name for name in environ if name.startswith(ENVIRONMENT_PREFIX) and name not in known
    )
    for name, action in known.items():
        value = environ.get(name)
        if value is None:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            if value.lower() not in (*_TRUE, *_FALSE):
                parser.error(f"{name}: expected 1/true/yes/on or 0/false/no/off, got {value!r}")
            action.default = value.lower() in _TRUE
        elif isinstance(action, argparse._AppendAction):
            convert = action.type if callable(action.type) else str
            try:
                action.default = [convert(item.strip()) for item in value.split(",") if item]
            except (argparse.ArgumentTypeError, ValueError) as error:
                parser.error(f"{name}: {error}")
        else:
            # argparse converts a text default with the option's type, as a value given
            action.default = value
    if unknown:
        parser.error(
            f"unknown environment variable {', '.join(unknown)}; this command reads "
            + ", ".join(sorted(known))
        )
    return parser.parse_args(argv)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


def add_common_options(parser: argparse.ArgumentParser, prog: str) -> None:
    """``--version``, ``--log-level``, ``--log-format`` and ``-v``: the same on
    ``smartupgrade-sim`` and its fleet."""
    parser.add_argument("--version", action="version", version=version_text(prog))
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="the least severe log records written, on stderr (WARNING; INFO with -v)",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text lines, or one JSON object per record for a log collector (%(default)s)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every session (--log-level INFO)"
    )


@dataclass(frozen=True)
class LogSettings:
    """What the log options say, as a fleet's worker processes take them too."""

    level: str = "WARNING"
    format: str = "text"

    @classmethod
    def of(cls, arguments: argparse.Namespace) -> LogSettings:
        return cls(
            arguments.log_level or ("INFO" if arguments.verbose else "WARNING"),
            arguments.log_format,
        )


def configure_logging(settings: LogSettings, origin: str = "") -> None:
    """The root logger as ``settings`` say: level, and text or JSON lines on stderr; ``origin``
    (a fleet's worker) begins each text line's source and is the ``origin`` of a JSON one."""
    handler = logging.StreamHandler()
    if settings.format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"origin": origin} if origin else None,
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        source = f"{origin} %(name)s" if origin else "%(name)s"
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {source}: %(message)s"))
    logging.basicConfig(level=settings.level, handlers=[handler], force=True)
