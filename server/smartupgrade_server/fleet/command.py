"""``smartupgrade-sim fleet``: many emulated switches and their HOUP, until interrupted
(docs/fleet.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from smartupgrade_server.fleet.admin import FleetAdmin
from smartupgrade_server.fleet.fleet import Fleet
from smartupgrade_server.fleet.inventory import Login, write_inventories
from smartupgrade_server.fleet.member import SwitchState
from smartupgrade_server.fleet.spec import FleetSpec, load_fleet_file, simple_fleet
from smartupgrade_server.sim.options import (
    DEFAULT_MODEL,
    add_common_options,
    call_home_url,
    clock_choice,
    document_environment,
    first_start_users,
    parse_with_environment,
)
from smartupgrade_server.transport.users import USERS_FILE

PROG = "smartupgrade-sim fleet"
# failures listed one by one at start; the admin API has them all
_FAILURES_SHOWN = 20


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Many emulated switches in one process, each with its own NETCONF and "
        "command line port, data directory, model, ESN and versions, sharing one emulated HOUP. "
        "Give a fleet file (docs/fleet.md) or --count.",
    )
    parser.add_argument("fleet_file", nargs="?", type=Path, help="the fleet file (YAML)")
    parser.add_argument("--count", type=int, help="N switches of one group 'sw' (no fleet file)")
    parser.add_argument(
        "--model",
        action="append",
        help=f"with --count: a model, repeat for a mix taken in turn ({DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(user_data_dir("smartupgrade-sim")) / "fleet",
        help="the fleet's users, host keys and HOUP, and switches/NAME/ per switch "
        "(default: %(default)s)",
    )
    # None: the fleet file's value, else the default in spec.py
    parser.add_argument(
        "--host",
        help="address of every switch and the admin API (127.0.0.1; beyond the loopback only "
        "once admin's password is not 'admin')",
    )
    parser.add_argument(
        "--admin-password",
        help="on a first start (no users file yet), the password of the user admin instead of "
        "'admin'",
    )
    parser.add_argument(
        "--base-port", type=int, help="NETCONF port of the first switch, +1 each (8830; 0: any)"
    )
    parser.add_argument(
        "--cli-base-port",
        type=int,
        help="command line port of the first switch (base port + 10000; 0: any; -1: none)",
    )
    parser.add_argument(
        "--tls-base-port",
        type=int,
        help="NETCONF over TLS port of the first switch, +1 each (none; 0: any; -1: none)",
    )
    parser.add_argument(
        "--call-home",
        type=call_home_url,
        action="append",
        metavar="URL",
        help="ssh://HOST[:4334] or tls://HOST[:4335]: every switch calls it home (repeatable)",
    )
    parser.add_argument(
        "--tls-client-ca",
        type=Path,
        metavar="PEM_FILE",
        help="every switch trusts these certificates for NETCONF over TLS clients and names "
        "the users of the certificates they verify by common name",
    )
    parser.add_argument("--houp-host", help="address of the HOUP and its admin port (127.0.0.1)")
    parser.add_argument("--houp-port", type=int, help="HOUP HTTPS port (9443; 0: any)")
    parser.add_argument("--houp-admin-port", type=int, help="HOUP admin port (9080; 0: any)")
    parser.add_argument("--admin-port", type=int, help="fleet admin API port (9081; 0: any)")
    parser.add_argument("--catalogue", type=Path, help="HOUP catalogue (default: the shipped one)")
    parser.add_argument(
        "--clock", type=clock_choice, help="'wall' (default), or N: simulated time N times faster"
    )
    parser.add_argument("--reboot-seconds", type=float, help="reboot time in clock seconds (60)")
    parser.add_argument(
        "--inventory-out",
        type=Path,
        help="write the inventory here (smartupgrade fleet's; JSON if it ends in .json), with "
        "an Ansible inventory and a nornir hosts file beside it",
    )
    add_common_options(parser, PROG)
    document_environment(parser)
    arguments = parse_with_environment(parser, argv)
    if (arguments.fleet_file is None) == (arguments.count is None):
        parser.error("give either a fleet file or --count N")
    if arguments.count is not None and arguments.count < 1:
        parser.error("--count: give a number of switches >= 1")
    if arguments.fleet_file is not None and arguments.model:
        parser.error("--model goes with --count; a fleet file names the models of each group")
    return arguments


def fleet_spec(arguments: argparse.Namespace) -> FleetSpec:
    overrides: dict[str, Any] = {
        key: value
        for key in (
            "host",
            "houp_host",
            "base_port",
            "cli_base_port",
            "tls_base_port",
            "houp_port",
            "houp_admin_port",
            "admin_port",
            "clock",
            "reboot_seconds",
        )
        if (value := getattr(arguments, key)) is not None
    }
    if arguments.call_home:
        overrides["call_home"] = [endpoint.name for endpoint in arguments.call_home]
    # relative to where the command runs; the fleet file's own are relative to the file
    for key in ("catalogue", "tls_client_ca"):
        if (path := getattr(arguments, key)) is not None:
            overrides[key] = path.expanduser().absolute()
    if arguments.fleet_file is not None:
        return load_fleet_file(arguments.fleet_file, overrides)
    return simple_fleet(arguments.count, arguments.model or [DEFAULT_MODEL], overrides)


def _port_span(ports: Sequence[int]) -> str:
    if not ports:
        return "none"
    ordered = sorted(ports)
    if ordered == list(range(ordered[0], ordered[0] + len(ordered))):
        return f"{ordered[0]}..{ordered[-1]}" if len(ordered) > 1 else str(ordered[0])
    return ", ".join(map(str, ordered[:5])) + (" …" if len(ordered) > 5 else "")


def banner(
    fleet: Fleet, admin: FleetAdmin, data_dir: Path, inventories: Sequence[Path], login: Login
) -> str:
    spec = fleet.spec
    running = fleet.in_state(SwitchState.RUNNING)
    failed = fleet.failed()
    netconf = [m.netconf_port for m in fleet.members if m.netconf_port]
    cli = [m.cli_port for m in fleet.members if m.cli_port]
    tls = [m.tls_port for m in fleet.members if m.tls_port]
    doors = ", ".join(
        f"{name} on {door.port}" for name, door in fleet.houp.doors.items() if name != "default"
    )
    lines = [
        f"Fleet of {spec.count} switches ready in {fleet.ready_seconds:.1f} s: "
        f"{len(running)} running, {len(failed)} failed",
        f"NETCONF over SSH on {spec.host} ports {_port_span(netconf)}"
        + (f"; VRP command line on ports {_port_span(cli)}" if cli else ""),
        f"  credentials {login.username}/{login.password} unless changed in {data_dir / USERS_FILE}"
        if login.password is not None
        else f"  credentials: the users of {data_dir / USERS_FILE} ({login.username} may do "
        "everything)",
        *(
            [
                f"NETCONF over TLS on ports {_port_span(tls)}; the switches' certificate "
                f"{fleet.tls_certificate.cert_path}"
            ]
            if tls and fleet.tls_certificate is not None
            else []
        ),
        *(f"Every switch calls {url} home (RFC 8071)" for url in spec.call_home),
        f"HOUP over HTTPS on {fleet.houp.host}:{fleet.houp.port}"
        + (f" (groups with faults of their own: {doors})" if doors else "")
        + f"; faults: http://{fleet.houp.host}:{fleet.houp.admin_port}/faults and /doors",
        f"Fleet admin: http://{spec.host}:{admin.port}/switches "
        "(POST /switches/NAME/start|stop|reset|crash, /switches/start|stop|reset; "
        "GET /metrics for Prometheus, /health)",
    ]
    if inventories:
        lines.append("Inventory: " + ", ".join(map(str, inventories)))
    for member in failed[:_FAILURES_SHOWN]:
        lines.append(f"  {member.spec.name} {member.state.value}: {member.reason}")
    if len(failed) > _FAILURES_SHOWN:
        lines.append(f"  … and {len(failed) - _FAILURES_SHOWN} more (GET /switches)")
    # serve() exits 1 when no switch runs
    lines.append(
        "Serving until Ctrl+C or SIGTERM." if running else "No switch is running: exiting."
    )
    return "\n".join(lines)


async def serve(arguments: argparse.Namespace) -> int:
    spec = fleet_spec(arguments)
    data_dir: Path = arguments.data_dir
    await asyncio.to_thread(first_start_users, data_dir, arguments.admin_password)
    fleet = await Fleet.start(spec, data_dir)
    try:
        admin = await FleetAdmin.start(fleet, spec.host, spec.admin_port)
    except BaseException:
        await fleet.close()
        raise
    try:
        written: list[Path] = []
        login = await fleet.login()
        if arguments.inventory_out is not None:
            paths = await asyncio.to_thread(
                write_inventories, arguments.inventory_out, fleet.inventory_entries(), login
            )
            written = list(paths.values())
        print(banner(fleet, admin, data_dir, written, login), flush=True)
        if not fleet.in_state(SwitchState.RUNNING):
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        return 0
    finally:
        await admin.close()
        await fleet.close()
