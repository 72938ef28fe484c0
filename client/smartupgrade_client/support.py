"""Whether a switch has Smart Upgrade, from the modules its ``<hello>`` announces. No I/O.

A server announces a module as a capability ``NAMESPACE?module=NAME&revision=...`` (RFC 6020
§5.6.4; this project's server does so for its own modules, YANG 1.1 ones included). A hello
that announces modules but not ``sunc-smart-upgrade`` is a switch without Smart Upgrade; a
hello that announces no module at all (a server that lists its modules only in the
yang-library) says nothing, and requests go out as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs

from lxml import etree

from smartupgrade_client.errors import SmartUpgradeUnsupported
from smartupgrade_model.model import MODULE, NAMESPACE

UNSUPPORTED = "This switch does not support Smart Upgrade"


def announced_modules(capabilities: Iterable[str]) -> set[str]:
    """The module names of the hello's module capabilities."""
    names: set[str] = set()
    for capability in capabilities:
        _, _, query = capability.strip().partition("?")
        names.update(parse_qs(query).get("module", ()))
    return names


def has_smart_upgrade(capabilities: Iterable[str]) -> bool:
    """False when the hello announces modules and the smart-upgrade module is not one."""
    modules = announced_modules(capabilities)
    return not modules or MODULE in modules


def concerns_smart_upgrade(request: etree._Element) -> bool:
    """Whether a request names a node or an operation of the smart-upgrade module."""
    prefix = f"{{{NAMESPACE}}}"
    return any(
        isinstance(element.tag, str) and element.tag.startswith(prefix)
        for element in request.iter()
    )


def require_smart_upgrade(capabilities: Iterable[str]) -> None:
    """Raise :class:`SmartUpgradeUnsupported` for a switch whose hello says it has no Smart
    Upgrade."""
    if not has_smart_upgrade(capabilities):
        raise SmartUpgradeUnsupported(
            f"{UNSUPPORTED} (its hello does not announce the {MODULE} module)"
        )


def check_supported(capabilities: Iterable[str], request: etree._Element) -> None:
    """:func:`require_smart_upgrade` for a request of the smart-upgrade module."""
    if concerns_smart_upgrade(request):
        require_smart_upgrade(capabilities)
