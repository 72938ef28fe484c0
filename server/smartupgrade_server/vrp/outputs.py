"""What the supporting display commands print, as the switch prints it. No I/O.

``display version``, ``display esn`` and ``display interface brief`` are laid out so that
napalm-huawei-vrp's ``get_facts`` and ntc-templates' ``huawei_vrp_display_version`` and
``huawei_vrp_display_interface_brief`` parse them; ``display current-configuration`` shows the
configuration as the commands that make it, in an order that can be pasted back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from smartupgrade_model.commands import CONFIG_COMMANDS
from smartupgrade_model.model import SmartUpgrade
from smartupgrade_server.vrp.commands import Action

# VRP5's own version number, printed before the product version
VRP_VERSION = "5.170"


def current_configuration(
    sysname: str,
    software_version: str,
    config: SmartUpgrade,
    ssl_policies: Sequence[str],
    interfaces: Sequence[str],
) -> list[str]:
    sections: list[list[str]] = [[f"!Software Version {software_version}", f"sysname {sysname}"]]
    sections.extend([f"{Action.SSL_POLICY} {name}"] for name in ssl_policies)
    smart_upgrade = smart_upgrade_lines(config)
    if smart_upgrade:
        sections.append(smart_upgrade)
    sections.extend([f"interface {name}"] for name in interfaces)
    lines = ["#"]
    for section in sections:
        lines.extend([*section, "#"])
    lines.append("return")
    return lines


def smart_upgrade_lines(config: SmartUpgrade) -> list[str]:
    """The seed's commands that make the configuration's values that differ from the defaults,
    in their table's order: the policy is bound before enabling and smart upgrade is enabled
    before its AP upgrade, as the prerequisites need."""
    lines: list[str] = []
    for command in CONFIG_COMMANDS.values():
        arguments = command.configured(config)
        if arguments is not None:
            lines.append(command.line(arguments))
    return lines


def _count(value: int, unit: str) -> str:
    return f"{value} {unit}{'s' if value > 1 else ''}"


def uptime(duration: timedelta) -> str:
    """VRP's form: ``0 week, 2 days, 3 hours, 21 minutes``."""
    minutes = max(int(duration.total_seconds()) // 60, 0)
    weeks, minutes = divmod(minutes, 7 * 24 * 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return ", ".join(
        _count(value, unit)
        for value, unit in ((weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute"))
    )


def version(
    *,
    model: str,
    device_name: str,
    software_version: str,
    patch_version: str | None,
    now: datetime,
    booted_at: datetime,
    flash_capacity: int,
) -> list[str]:
    up = uptime(now - booted_at)
    lines = [
        "Huawei Versatile Routing Platform Software",
        f"VRP (R) software, Version {VRP_VERSION} ({model} {software_version})",
        f"Copyright (C) 2000-{now.year} HUAWEI TECH Co., Ltd.",
        f"HUAWEI {device_name} Routing Switch uptime is {up}",
    ]
    if patch_version is not None:
        lines.append(f"Patch Version : {patch_version}")
    lines += [
        "",
        f"MPU 0(Master) : uptime is {up}",
        f"FLASH Total Memory Size : {flash_capacity // (1024 * 1024)} M bytes",
    ]
    return lines


def esn(serial_number: str) -> list[str]:
    return [f"ESN of slot 0: {serial_number}"]


# name -> (physical state, protocol state): the management port the SSH session arrives on is up
INTERFACES: Mapping[str, tuple[str, str]] = {
    "GigabitEthernet0/0/1": ("down", "down"),
    "GigabitEthernet0/0/2": ("down", "down"),
    "GigabitEthernet0/0/3": ("down", "down"),
    "GigabitEthernet0/0/4": ("down", "down"),
    "MEth0/0/1": ("up", "up"),
    "NULL0": ("up", "up(s)"),
    "Vlanif1": ("down", "down"),
}

_LEGEND = (
    "PHY: Physical",
    "*down: administratively down",
    "(l): loopback",
    "(s): spoofing",
    "(b): BFD down",
    "(e): ETHOAM down",
    "(dl): DLDP down",
    "(d): Dampening Suppressed",
    "InUti/OutUti: input utility/output utility",
)


def interface_brief() -> list[str]:
    row = "{:<28}{:<6}{:<9}{:>6}{:>7}{:>11}{:>11}"
    return [
        *_LEGEND,
        row.format("Interface", "PHY", "Protocol", "InUti", "OutUti", "inErrors", "outErrors"),
        *(
            row.format(name, physical, protocol, "0%", "0%", 0, 0)
            for name, (physical, protocol) in INTERFACES.items()
        ),
    ]
