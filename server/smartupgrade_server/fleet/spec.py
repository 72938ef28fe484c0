"""What a fleet is made of: the fleet file (YAML, docs/fleet.md) or ``--count``, expanded into
one :class:`SwitchSpec` per switch.

Every switch gets a name, an ESN and ports of its own, in the order of the groups: the n-th
switch of the fleet (from 0) listens on ``base_port + n`` for NETCONF, ``cli_base_port + n``
for its command line and ``tls_base_port + n`` for NETCONF over TLS. Every switch calls the
fleet's ``call_home`` URLs home.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from smartupgrade_server.device.products import series_of, supports_ap_upgrade
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.houp.faults import Faults, FaultSpecError, split_unreachable
from smartupgrade_server.sim.options import (
    DEFAULT_AP_DEVICE_TYPE,
    DEFAULT_AP_SOFTWARE,
    DEFAULT_MODEL,
    DEFAULT_PATCH,
    DEFAULT_SOFTWARE,
    byte_size,
    call_home_url,
    clock_choice,
    esn,
)

DEFAULT_BASE_PORT = 8830
# the command lines sit this far above the NETCONF ports: 8830 -> 18830
CLI_PORT_OFFSET = 10000
_HIGHEST_PORT = 65535
# the group every host of an Ansible inventory is in; a fleet group of that name would be lost
_ANSIBLE_ALL_GROUP = "all"


class FleetSpecError(ValueError):
    """The fleet file or options describe no valid fleet; the message says what to fix."""


@dataclass(frozen=True)
class GroupSpec:
    """Switches alike but for their name, ESN and ports; ``models`` are taken in turn."""

    name: str
    count: int
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    software: str = DEFAULT_SOFTWARE
    patch: str | None = DEFAULT_PATCH
    ap_software: str = DEFAULT_AP_SOFTWARE
    flash_capacity: int = DEFAULT_FLASH_CAPACITY
    # the group's own HOUP door and its faults (the HOUP admin's JSON, docs/houp.md)
    houp_faults: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SwitchSpec:
    name: str
    group: str
    index: int
    model: str
    esn: str
    software: str
    patch: str | None
    ap_device_type: str | None
    ap_software: str | None
    flash_capacity: int
    netconf_port: int
    cli_port: int | None
    houp_door: str | None
    # NETCONF over TLS (RFC 7589), if the fleet serves it
    tls_port: int | None = None


@dataclass(frozen=True)
class FleetSpec:
    groups: tuple[GroupSpec, ...]
    host: str = "127.0.0.1"
    base_port: int = DEFAULT_BASE_PORT
    # None: CLI_PORT_OFFSET above base_port; -1: no command line
    cli_base_port: int | None = None
    # None or -1: no NETCONF over TLS
    tls_base_port: int | None = None
    # ssh://HOST[:PORT] or tls://HOST[:PORT]: what every switch calls home (RFC 8071)
    call_home: tuple[str, ...] = ()
    # the certificates every switch trusts for NETCONF over TLS clients (PEM)
    tls_client_ca: Path | None = None
    clock: str | float = "wall"
    reboot_seconds: float = 60.0
    catalogue: Path | None = None
    houp_host: str = "127.0.0.1"
    houp_port: int = 9443
    houp_admin_port: int = 9080
    admin_port: int = 9081
    switches: tuple[SwitchSpec, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "switches", self._expand())

    @property
    def count(self) -> int:
        return len(self.switches)

    def _cli_base(self) -> int | None:
        if self.cli_base_port is None:
            return 0 if self.base_port == 0 else self.base_port + CLI_PORT_OFFSET
        return None if self.cli_base_port < 0 else self.cli_base_port

    def _expand(self) -> tuple[SwitchSpec, ...]:
        if not self.groups:
            raise FleetSpecError("a fleet needs at least one group of switches")
        # Ansible reads '-' in a group name as '_' (inventory.py): a-b and a_b would be one group
        keys = [group.name.replace("-", "_") for group in self.groups]
        duplicates = sorted(
            {
                group.name
                for group, key in zip(self.groups, keys, strict=True)
                if keys.count(key) > 1
            }
        )
        if duplicates:
            raise FleetSpecError(
                f"groups must have distinct names, '-' and '_' alike: {', '.join(duplicates)}"
            )
        total = sum(group.count for group in self.groups)
        cli_base = self._cli_base()
        tls_base = (
            None if self.tls_base_port is None or self.tls_base_port < 0 else (self.tls_base_port)
        )
        bases = (
            ("base_port", "NETCONF", self.base_port),
            ("cli_base_port", "command line", cli_base),
            ("tls_base_port", "NETCONF over TLS", tls_base),
        )
        for what, _, base in bases:
            if base and base + total - 1 > _HIGHEST_PORT:
                raise FleetSpecError(
                    f"{what} {base} leaves no room for {total} switches: ports "
                    f"{base}..{base + total - 1} go beyond {_HIGHEST_PORT}"
                )
        for at, (_, name, base) in enumerate(bases):
            for _, other_name, other in bases[at + 1 :]:
                if base and other and abs(base - other) < total:
                    raise FleetSpecError(
                        f"the {name} ports from {base} and the {other_name} ports from "
                        f"{other} overlap for {total} switches"
                    )
        switches: list[SwitchSpec] = []
        for group in self.groups:
            width = len(str(group.count))
            for number in range(group.count):
                index = len(switches)
                model = group.models[number % len(group.models)]
                ap = supports_ap_upgrade(model)
                switches.append(
                    SwitchSpec(
                        name=f"{group.name}-{number + 1:0{width}d}",
                        group=group.name,
                        index=index,
                        model=model,
                        esn=esn(index + 1),
                        software=group.software,
                        patch=group.patch,
                        ap_device_type=DEFAULT_AP_DEVICE_TYPE if ap else None,
                        ap_software=group.ap_software if ap else None,
                        flash_capacity=group.flash_capacity,
                        netconf_port=_nth_port(self.base_port, index),
                        cli_port=None if cli_base is None else _nth_port(cli_base, index),
                        houp_door=group.name if group.houp_faults is not None else None,
                        tls_port=None if tls_base is None else _nth_port(tls_base, index),
                    )
                )
        return tuple(switches)


def _nth_port(base: int, index: int) -> int:
    # a base of 0 gives every switch any free port
    return base + index if base else 0


_GROUP_KEYS = frozenset(f.name for f in fields(GroupSpec))
_FLEET_KEYS = frozenset(f.name for f in fields(FleetSpec) if f.init and f.name != "groups") | {
    "groups"
}


def _port(where: str, value: object, *, allow_off: bool = False) -> int:
    lowest = -1 if allow_off else 0
    if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= 65535:
        off = " or -1 (off)" if allow_off else ""
        raise FleetSpecError(f"{where}: expected a port number 0..65535{off}, got {value!r}")
    return value


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FleetSpecError(f"{where}: expected a non-empty string, got {value!r}")
    return value.strip()


def _model(where: str, value: object) -> str:
    model = _text(where, value)
    if series_of(model) is None:
        raise FleetSpecError(
            f"{where}: {model!r} is not a switch of the S300, S500, S2700, S5700 or S6700 series"
        )
    return model


def _group(where: str, raw: object) -> GroupSpec:
    if not isinstance(raw, dict):
        raise FleetSpecError(f"{where}: expected a mapping with name, count, models…")
    unknown = sorted(set(raw) - _GROUP_KEYS)
    if unknown:
        raise FleetSpecError(f"{where}: unknown member {', '.join(map(str, unknown))}")
    name = _text(f"{where}.name", raw.get("name"))
    if not name.replace("-", "").replace("_", "").isalnum():
        raise FleetSpecError(f"{where}.name: letters, digits, '-' and '_' only, got {name!r}")
    if name == _ANSIBLE_ALL_GROUP:
        raise FleetSpecError(f"{where}.name: {name!r} is Ansible's group of every switch")
    count = raw.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FleetSpecError(f"{where}.count: expected a whole number >= 1, got {count!r}")
    models = raw.get("models", [DEFAULT_MODEL])
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not models:
        raise FleetSpecError(f"{where}.models: expected a model or a non-empty list of models")
    patch = raw.get("patch", DEFAULT_PATCH)
    faults = raw.get("houp_faults")
    if faults is not None:
        if not isinstance(faults, dict):
            raise FleetSpecError(f"{where}.houp_faults: expected a mapping of HOUP faults")
        try:
            Faults().update(split_unreachable(faults)[0])
        except FaultSpecError as error:
            raise FleetSpecError(f"{where}.houp_faults: {error}") from None
    capacity = raw.get("flash_capacity", DEFAULT_FLASH_CAPACITY)
    positive = isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0
    try:
        flash = capacity if positive else byte_size(str(capacity))
    except argparse.ArgumentTypeError as error:
        raise FleetSpecError(f"{where}.flash_capacity: {error}") from None
    return GroupSpec(
        name=name,
        count=count,
        models=tuple(_model(f"{where}.models[{i}]", m) for i, m in enumerate(models)),
        software=_text(f"{where}.software", raw.get("software", DEFAULT_SOFTWARE)),
        patch=None if patch in (None, "") else _text(f"{where}.patch", patch),
        ap_software=_text(f"{where}.ap_software", raw.get("ap_software", DEFAULT_AP_SOFTWARE)),
        flash_capacity=flash,
        houp_faults=faults,
    )


def _call_home(value: object) -> tuple[str, ...]:
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise FleetSpecError("call_home: expected a URL or a list of URLs, e.g. ssh://HOST:4334")
    for url in urls:
        try:
            call_home_url(url)
        except argparse.ArgumentTypeError as error:
            raise FleetSpecError(f"call_home: {error}") from None
    return tuple(urls)


def parse_fleet(document: object, base_dir: Path, overrides: Mapping[str, Any]) -> FleetSpec:
    """A fleet file's document; ``overrides`` (command line options) win over its members.
    A relative ``catalogue`` or ``tls_client_ca`` is relative to ``base_dir``, the fleet file's
    directory."""
    if not isinstance(document, dict):
        raise FleetSpecError("the fleet file is a mapping with 'groups' (see docs/fleet.md)")
    unknown = sorted(set(document) - _FLEET_KEYS)
    if unknown:
        raise FleetSpecError(f"unknown member {', '.join(map(str, unknown))}")
    raw_groups = document.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        raise FleetSpecError("groups: expected a non-empty list of groups")
    members: dict[str, Any] = {**document, **overrides}
    options: dict[str, Any] = {}
    for key in ("host", "houp_host"):
        if key in members:
            options[key] = _text(key, members[key])
    for key in ("base_port", "houp_port", "houp_admin_port", "admin_port"):
        if key in members:
            options[key] = _port(key, members[key])
    for key in ("cli_base_port", "tls_base_port"):
        if members.get(key) is not None:
            options[key] = _port(key, members[key], allow_off=True)
    if members.get("call_home") is not None:
        options["call_home"] = _call_home(members["call_home"])
    if "clock" in members:
        try:
            options["clock"] = clock_choice(str(members["clock"]))
        except argparse.ArgumentTypeError as error:
            raise FleetSpecError(f"clock: {error}") from None
    if "reboot_seconds" in members:
        seconds = members["reboot_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise FleetSpecError(f"reboot_seconds: expected a number >= 0, got {seconds!r}")
        options["reboot_seconds"] = float(seconds)
    if members.get("tls_client_ca") is not None:
        path = Path(str(members["tls_client_ca"])).expanduser()
        options["tls_client_ca"] = path if path.is_absolute() else base_dir / path
    if members.get("catalogue") is not None:
        catalogue = Path(str(members["catalogue"])).expanduser()
        options["catalogue"] = catalogue if catalogue.is_absolute() else base_dir / catalogue
    groups = tuple(_group(f"groups[{i}]", raw) for i, raw in enumerate(raw_groups))
    return FleetSpec(groups=groups, **options)


def load_fleet_file(path: Path, overrides: Mapping[str, Any]) -> FleetSpec:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FleetSpecError(f"cannot read the fleet file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise FleetSpecError(f"{path} is not valid YAML: {error}") from None
    try:
        return parse_fleet(document, path.parent, overrides)
    except FleetSpecError as error:
        raise FleetSpecError(f"{path}: {error}") from None


def simple_fleet(count: int, models: Sequence[str], overrides: Mapping[str, Any]) -> FleetSpec:
    """``--count N``: one group ``sw`` of N switches taking ``models`` in turn."""
    group: dict[str, Any] = {"name": "sw", "count": count, "models": list(models)}
    return parse_fleet({"groups": [group]}, Path.cwd(), overrides)
