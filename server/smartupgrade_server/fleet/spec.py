"""What a fleet is made of: the fleet file (YAML, docs/fleet.md) or ``--count``, expanded into
one :class:`SwitchSpec` per switch.

Every switch gets a name, an ESN and ports of its own, in the order of the groups. On one
address (``host``), the n-th switch of the fleet (from 0) listens on ``base_port + n`` for
NETCONF, ``cli_base_port + n`` for its command line, ``web_base_port + n`` for its web system
and ``tls_base_port + n`` for NETCONF over TLS. With ``addresses`` (``127.1.0.1/16``), the n-th
switch has the n-th address of the range to itself and listens on a real switch's ports there
(:data:`STANDARD_PORTS`), each raised by ``port_offset``. Every switch calls the fleet's
``call_home`` URLs home.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
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
DEFAULT_HOST = "127.0.0.1"


class Service(StrEnum):
    """What a switch of a fleet listens for, each on a port of its own."""

    NETCONF = "netconf"
    CLI = "cli"
    WEB = "web"
    # NETCONF over TLS (RFC 7589)
    TLS = "tls"


# A switch's own ports, where a switch at its own address listens.
STANDARD_PORTS = {Service.NETCONF: 830, Service.CLI: 22, Service.WEB: 443, Service.TLS: 6513}
# what a fleet may not take for a switch's ports: below it, only root or CAP_NET_BIND_SERVICE
PRIVILEGED_PORTS_BELOW = 1024
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
    # the address the switch listens on
    host: str
    # the address clients reach it at: its host, unless that is every address (0.0.0.0)
    address: str
    netconf_port: int
    cli_port: int | None
    web_port: int | None
    houp_door: str | None
    # NETCONF over TLS (RFC 7589), if the fleet serves it
    tls_port: int | None = None

    def ports(self) -> dict[Service, int]:
        """The switch's ports by service, the ones it has (0: any free port)."""
        ports = {
            Service.NETCONF: self.netconf_port,
            Service.CLI: self.cli_port,
            Service.WEB: self.web_port,
            Service.TLS: self.tls_port,
        }
        return {service: port for service, port in ports.items() if port is not None}


@dataclass(frozen=True)
class FleetSpec:
    groups: tuple[GroupSpec, ...]
    # the address of every switch and the admin API; with addresses, the admin API's alone
    host: str = DEFAULT_HOST
    base_port: int = DEFAULT_BASE_PORT
    # None: CLI_PORT_OFFSET above base_port (with addresses: the standard port); -1: none
    cli_base_port: int | None = None
    # None: no web system (with addresses: the standard port); -1: none
    web_base_port: int | None = None
    # None: no NETCONF over TLS (with addresses: the standard port when the fleet trusts a
    # client CA, tls_client_ca, for nobody could log in else); -1: none
    tls_base_port: int | None = None
    # ssh://HOST[:PORT] or tls://HOST[:PORT]: what every switch calls home (RFC 8071)
    call_home: tuple[str, ...] = ()
    # the certificates every switch trusts for NETCONF over TLS clients (PEM)
    tls_client_ca: Path | None = None
    # "127.1.0.1/16": the first switch's address and the network the others' follow it in
    addresses: str | None = None
    # added to every standard port (with addresses): 8000 makes 830, 22, 443 8830, 8022, 8443
    port_offset: int = 0
    # processes that run the switches; None: as many as the machine has CPUs
    workers: int | None = None
    # (I, N): this fleet runs the I-th (from 0) of N shares of the switches, as one shard of a
    # fleet spread over machines; names, ESNs, addresses and ports stay those of the whole
    shard: tuple[int, int] | None = None
    # what inventories name for switches that listen on every address (0.0.0.0, ::); None:
    # this machine's fully qualified name
    inventory_host: str | None = None
    # the fleet's HOUP runs elsewhere: the URL of its admin API (smartupgrade-sim houp)
    houp_url: str | None = None
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

    @property
    def services(self) -> tuple[Service, ...]:
        """What every switch listens for; a listening socket each."""
        switch = self.switches[0]
        return tuple(service for service in Service if service in switch.ports())

    def _cli_base(self) -> int | None:
        if self.cli_base_port is None:
            return 0 if self.base_port == 0 else self.base_port + CLI_PORT_OFFSET
        return None if self.cli_base_port < 0 else self.cli_base_port

    def _web_base(self) -> int | None:
        return None if self.web_base_port is None or self.web_base_port < 0 else self.web_base_port

    def _tls_base(self) -> int | None:
        return None if self.tls_base_port is None or self.tls_base_port < 0 else self.tls_base_port

    def _standard_ports(self) -> dict[Service, int]:
        """With addresses: the port of each service that is not turned off (-1)."""
        off = {
            Service.CLI: self.cli_base_port is not None and self.cli_base_port < 0,
            Service.WEB: self.web_base_port is not None and self.web_base_port < 0,
            Service.TLS: self.tls_client_ca is None
            or (self.tls_base_port is not None and self.tls_base_port < 0),
        }
        ports = {
            service: port + self.port_offset
            for service, port in STANDARD_PORTS.items()
            if not off.get(service, False)
        }
        beyond = sorted(port for port in ports.values() if port > _HIGHEST_PORT)
        if beyond:
            raise FleetSpecError(
                f"port_offset {self.port_offset} takes ports beyond {_HIGHEST_PORT} ({beyond[0]})"
            )
        return ports

    def _hosts(self, total: int) -> Callable[[int], str]:
        """The address of the n-th switch of the fleet."""
        if self.addresses is None:
            return lambda _index: self.host
        first = ipaddress.ip_interface(self.addresses)
        room = int(first.network.broadcast_address) - int(first.ip) + 1
        if total > room:
            raise FleetSpecError(
                f"addresses {self.addresses} leave room for {room} switches from {first.ip}, "
                f"not {total}: give a larger network (a shorter prefix)"
            )
        return lambda index: str(first.ip + index)

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
        if self.houp_url is not None and any(g.houp_faults is not None for g in self.groups):
            raise FleetSpecError(
                "houp_faults need the fleet's own HOUP; with houp_url, give faults to that HOUP "
                "(PUT /faults on its admin API)"
            )
        share = self._share(total)
        host_of = self._hosts(total)
        if self.addresses is None:
            # a shard's switches are alone on their machine: their ports count from the base
            ports = self._consecutive_ports(len(share))
            address = self._address(self.host)
        else:
            standard = self._standard_ports()
        switches: list[SwitchSpec] = []
        index = 0
        for group in self.groups:
            width = len(str(group.count))
            for number in range(group.count):
                index += 1
                if index - 1 not in share:
                    continue
                model = group.models[number % len(group.models)]
                ap = supports_ap_upgrade(model)
                host = host_of(index - 1)
                port: Mapping[Service, int | None]
                if self.addresses is None:
                    port = ports[index - 1 - share.start]
                else:
                    port, address = standard, host
                switches.append(
                    SwitchSpec(
                        name=f"{group.name}-{number + 1:0{width}d}",
                        group=group.name,
                        index=index - 1,
                        model=model,
                        esn=esn(index),
                        software=group.software,
                        patch=group.patch,
                        ap_device_type=DEFAULT_AP_DEVICE_TYPE if ap else None,
                        ap_software=group.ap_software if ap else None,
                        flash_capacity=group.flash_capacity,
                        host=host,
                        address=address,
                        netconf_port=port.get(Service.NETCONF) or 0,
                        cli_port=port.get(Service.CLI),
                        web_port=port.get(Service.WEB),
                        houp_door=group.name if group.houp_faults is not None else None,
                        tls_port=port.get(Service.TLS),
                    )
                )
        return tuple(switches)

    def _share(self, total: int) -> range:
        """The indices of the switches this fleet runs: all, or its shard's."""
        if self.shard is None:
            return range(total)
        index, shards = self.shard
        if not 0 <= index < shards <= total:
            raise FleetSpecError(
                f"shard {index}/{shards}: expected I/N with 0 <= I < N <= {total} (the switches)"
            )
        return shares(total, shards)[index]

    def _address(self, host: str) -> str:
        if not _every_address(host):
            return host
        # in a pod of a StatefulSet, its name in the headless Service
        return self.inventory_host or socket.getfqdn()

    def _consecutive_ports(self, total: int) -> list[dict[Service, int | None]]:
        """On one address: each service's ports from its base, one a switch."""
        bases = {
            Service.NETCONF: self.base_port,
            Service.CLI: self._cli_base(),
            Service.WEB: self._web_base(),
            Service.TLS: self._tls_base(),
        }
        for service, base in bases.items():
            what = _BASE_OPTIONS[service]
            if base and base + total - 1 > _HIGHEST_PORT:
                raise FleetSpecError(
                    f"{what} {base} leaves no room for {total} switches: ports "
                    f"{base}..{base + total - 1} go beyond {_HIGHEST_PORT}"
                )
        fixed = [(service, base) for service, base in bases.items() if base]
        for at, (service, base) in enumerate(fixed):
            for other, other_base in fixed[at + 1 :]:
                if abs(base - other_base) < total:
                    raise FleetSpecError(
                        f"the {SERVICE_NAMES[service]} ports from {base} and the "
                        f"{SERVICE_NAMES[other]} ports from {other_base} overlap for {total} "
                        "switches"
                    )
        return [
            {
                service: None if base is None else _nth_port(base, index)
                for service, base in bases.items()
            }
            for index in range(total)
        ]


SERVICE_NAMES = {
    Service.NETCONF: "NETCONF",
    Service.CLI: "command line",
    Service.WEB: "web",
    Service.TLS: "NETCONF over TLS",
}
_BASE_OPTIONS = {
    Service.NETCONF: "base_port",
    Service.CLI: "cli_base_port",
    Service.WEB: "web_base_port",
    Service.TLS: "tls_base_port",
}


def shares(count: int, parts: int) -> list[range]:
    """``count`` indices in ``parts`` consecutive runs, as even as they come."""
    size, extra = divmod(count, parts)
    bounds = [0]
    for part in range(parts):
        bounds.append(bounds[-1] + size + (1 if part < extra else 0))
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def _every_address(host: str) -> bool:
    """0.0.0.0 or ::, where a listener takes every address of the machine."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


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


def _addresses(value: object) -> str:
    text = _text("addresses", value)
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError:
        interface = None
    if interface is None or "/" not in text:
        raise FleetSpecError(
            f"addresses: expected the first address and its network, such as 127.1.0.1/16, "
            f"got {text!r}"
        )
    return text


def _shard(value: object) -> tuple[int, int]:
    index, _, shards = str(value).partition("/")
    if not (index.isdigit() and shards.isdigit()):
        raise FleetSpecError(f"shard: expected I/N such as 0/3 (the first of three), got {value!r}")
    return int(index), int(shards)


def _standard_ports_only(members: Mapping[str, Any]) -> None:
    """With addresses every switch has a real switch's ports: only turning a service off fits."""
    if members.get("base_port") is not None:
        raise FleetSpecError(
            "base_port goes with one address (host); with addresses every switch listens on "
            f"NETCONF's port {STANDARD_PORTS[Service.NETCONF]}, raised by port_offset"
        )
    for service in (Service.CLI, Service.WEB, Service.TLS):
        key = _BASE_OPTIONS[service]
        if members.get(key) not in (None, -1):
            raise FleetSpecError(
                f"{key}: with addresses every switch listens on port "
                f"{STANDARD_PORTS[service]} (raised by port_offset); -1 turns the "
                f"{SERVICE_NAMES[service]} off"
            )


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
    for key in ("cli_base_port", "web_base_port", "tls_base_port"):
        if members.get(key) is not None:
            options[key] = _port(key, members[key], allow_off=True)
    if members.get("call_home") is not None:
        options["call_home"] = _call_home(members["call_home"])
    if members.get("addresses") is not None:
        options["addresses"] = _addresses(members["addresses"])
        _standard_ports_only(members)
    if members.get("port_offset") is not None:
        if "addresses" not in options:
            raise FleetSpecError(
                "port_offset goes with addresses; on one address, base_port, cli_base_port "
                "and web_base_port place the ports"
            )
        options["port_offset"] = _port("port_offset", members["port_offset"])
    for key in ("inventory_host", "houp_url"):
        if members.get(key) is not None:
            options[key] = _text(key, members[key])
    if members.get("shard") is not None:
        options["shard"] = _shard(members["shard"])
    if members.get("workers") is not None:
        workers = members["workers"]
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise FleetSpecError(f"workers: expected a whole number >= 1, got {workers!r}")
        options["workers"] = workers
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
    for key in ("catalogue", "tls_client_ca"):
        if members.get(key) is not None:
            path = Path(str(members[key])).expanduser()
            options[key] = path if path.is_absolute() else base_dir / path
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
