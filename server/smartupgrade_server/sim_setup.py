"""What ``smartupgrade-sim`` and ``smartupgrade-sim fleet`` set up alike: option types, the
switch's clock, its factory configuration and how it reaches the HOUP."""

from __future__ import annotations

import argparse
import re

from smartupgrade_server.datastore.codec import RawObject
from smartupgrade_server.device import Clock, ScaledClock, WallClock
from smartupgrade_server.device_link import ssl_policy_config
from smartupgrade_server.model import SmartUpgrade

HOUP_DIR = "houp"
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
