"""Where the switch reaches the HOUP: its configured URL and HTTPS port, as one HTTPS address.
No I/O.

The seed's ``smart-upgrade url`` takes "the URL or IP address of a proxy server", 1 to 127
characters. The switch takes every form a person would write there (docs/device.md, "The
HOUP's address"):

- a host name or an IPv4 address, optionally with ``:port``; an IPv6 address, bare or in
  brackets with a port (``[2001:db8::20]:10020``);
- any of them after ``https://``, optionally followed by a path: the HOUP's API and its files
  are then asked under that path, as a reverse proxy in front of the HOUP serves them.

A port written in the URL wins over ``https-port``, which is the port of a URL without one. The
switch speaks HTTPS only, so another scheme is refused when it is configured, as are user
information, a query, a fragment and a host that is neither a name nor an address. Every
request goes to that server: the files the HOUP links to are fetched from it by their path.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

SCHEME: Final = "https"
_SEPARATOR: Final = "://"
# host names: labels of letters, digits, hyphens and underscores (as inet:domain-name), not
# starting or ending with a hyphen; a label DNS cannot carry (over 63 characters) fails when
# the name is resolved, as any name that does not resolve
_LABEL: Final = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOST_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")

HTTPS_ONLY: Final = (
    "The switch reaches the HOUP over HTTPS only: give a host name, an IP address or an "
    "https:// URL."
)
NO_USER: Final = "A URL with user information (user@) is not supported."
NO_QUERY: Final = "A URL with a query (?) or a fragment (#) is not supported."
PORT_RANGE: Final = "The port of a URL must be an integer from 1 to 65535."
HOST_FORM: Final = (
    "The host must be a host name (letters, digits, '-', '_' and '.'), an IPv4 address or an "
    "IPv6 address."
)


class UnusableUrlError(ValueError):
    """A configured URL the switch cannot reach the HOUP with; the message says why."""


@dataclass(frozen=True)
class HoupAddress:
    """The HOUP as the switch's HTTPS client reaches it."""

    host: str
    """A host name, an IPv4 address or an IPv6 address (without brackets)."""
    port: int
    path: str = ""
    """The path the HOUP's API is under: empty, or ``/`` and segments without a final ``/``."""

    @property
    def authority(self) -> str:
        """``host:port``, an IPv6 address in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base(self) -> str:
        """``https://host:port/path``."""
        return f"{SCHEME}://{self.authority}{self.path}"

    def url(self, path: str) -> str:
        """The URL of ``path`` (``/api/v1/version-check``) under :attr:`path`."""
        return self.base + path

    def link(self, url: str) -> str:
        """Where the switch fetches a file the HOUP links to: the link's path under this
        address. Every request goes to the configured server (the proxy the switch is told to
        use); a link's host and port are not contacted."""
        return self.url(urlsplit(url).path)


def houp_address(url: str, https_port: int) -> HoupAddress:
    """The address a configured ``url`` and ``https-port`` name; raises
    :class:`UnusableUrlError` for a URL the switch cannot use."""
    scheme, separator, rest = url.partition(_SEPARATOR)
    if not separator:
        rest = url
        if _ipv6(url):
            return HoupAddress(url, https_port)
    elif scheme.lower() != SCHEME:
        raise UnusableUrlError(HTTPS_ONLY)
    if "?" in rest or "#" in rest:
        raise UnusableUrlError(NO_QUERY)
    try:
        parts = urlsplit(f"{SCHEME}{_SEPARATOR}{rest}")
        port = parts.port
    except ValueError:
        # urlsplit's reason for a port that is no number, or out of 0..65535, or a bad IPv6
        raise UnusableUrlError(_bracketed_problem(rest)) from None
    if parts.username is not None or "@" in parts.netloc:
        raise UnusableUrlError(NO_USER)
    host = parts.hostname or ""
    if not (_HOST_NAME.fullmatch(host) or _ip(host)):
        raise UnusableUrlError(HOST_FORM)
    if port == 0:
        raise UnusableUrlError(PORT_RANGE)
    return HoupAddress(host, https_port if port is None else port, parts.path.rstrip("/"))


def _bracketed_problem(rest: str) -> str:
    return HOST_FORM if rest.startswith("[") and "]" not in rest else PORT_RANGE


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False
