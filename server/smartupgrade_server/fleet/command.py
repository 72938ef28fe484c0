"""``smartupgrade-sim fleet``: many emulated switches and their HOUP, until interrupted
(docs/fleet.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from smartupgrade_server.fleet.admin import FleetAdmin
from smartupgrade_server.fleet.control import FleetControl
from smartupgrade_server.fleet.fleet import (
    Fleet,
    LocalSwitches,
    open_file_limit,
    open_houp_doors,
    remote_houp,
    start_houp,
)
from smartupgrade_server.fleet.inventory import Login, entries_of, write_inventories
from smartupgrade_server.fleet.listening import check_listening
from smartupgrade_server.fleet.member import SwitchState
from smartupgrade_server.fleet.spec import (
    FleetSpec,
    Service,
    load_fleet_file,
    simple_fleet,
)
from smartupgrade_server.fleet.workers import WorkerPool, worker_count
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.options import (
    DEFAULT_MODEL,
    LogSettings,
    add_common_options,
    call_home_url,
    clock_choice,
    document_environment,
    first_start_users,
    parse_with_environment,
)
from smartupgrade_server.transport.tls import TLS_CERT_FILE
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
        help="address of the admin API, and of every switch without --addresses (127.0.0.1; "
        "beyond the loopback only once admin's password is not 'admin')",
    )
    parser.add_argument(
        "--admin-password",
        help="on a first start (no users file yet), the password of the user admin instead of "
        "'admin'",
    )
    parser.add_argument(
        "--addresses",
        help="each switch on an address of its own from this one on, in its network "
        "(127.1.0.1/16), on a switch's standard ports: NETCONF 830, command line 22, web 443",
    )
    parser.add_argument(
        "--port-offset",
        type=int,
        help="with --addresses: added to every standard port (0; 8000: 8830, 8022, 8443), for "
        "a process that may not listen below 1024",
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
        help="NETCONF over TLS port of the first switch, +1 each (none; 0: any; -1: none; with "
        "--addresses: 6513 when the switches trust a --tls-client-ca)",
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
    parser.add_argument(
        "--web-base-port",
        type=int,
        help="web system (HTTPS) port of the first switch (none; 0: any; -1: none; with "
        "--addresses: 443)",
    )
    parser.add_argument(
        "--shard",
        help="I/N: run the I-th (from 0) of N equal shares of the fleet's switches, one shard "
        "of a fleet spread over machines (names, ESNs, addresses and ports those of the whole)",
    )
    parser.add_argument(
        "--inventory-host",
        help="with --host 0.0.0.0: the name or address the inventories give for the switches "
        "(default: this machine's name)",
    )
    parser.add_argument(
        "--houp-url",
        help="the fleet's HOUP runs elsewhere (smartupgrade-sim houp): the URL of its admin API, "
        "http://HOST:9080",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="processes that run the switches, sharing the HOUP and the admin API (the CPU "
        "count; 1: everything in one process)",
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
            "shard",
            "inventory_host",
            "houp_url",
            "addresses",
            "port_offset",
            "workers",
            "houp_host",
            "base_port",
            "cli_base_port",
            "web_base_port",
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


_SERVICE_TEXT = {
    Service.NETCONF: "NETCONF over SSH",
    Service.CLI: "VRP command line",
    Service.WEB: "web (HTTPS)",
    Service.TLS: "NETCONF over TLS",
}
_PORT_KEYS = {
    Service.NETCONF: "netconf_port",
    Service.CLI: "cli_port",
    Service.WEB: "web_port",
    Service.TLS: "tls_port",
}


def where_switches_listen(spec: FleetSpec, switches: Sequence[Mapping[str, Any]]) -> str:
    """The banner's line of addresses and ports."""
    services = [
        (service, [s[_PORT_KEYS[service]] for s in switches if s[_PORT_KEYS[service]]])
        for service in spec.services
    ]
    if spec.addresses is None:
        netconf = services[0][1]
        others = "".join(
            f"; {_SERVICE_TEXT[service]} on ports {_port_span(ports)}"
            for service, ports in services[1:]
        )
        return f"NETCONF over SSH on {spec.host} ports {_port_span(netconf)}{others}"
    first, last = spec.switches[0].host, spec.switches[-1].host
    span = first if first == last else f"{first}..{last}"
    ports = ", ".join(
        f"{_SERVICE_TEXT[service]} on port {spec.switches[0].ports()[service]}"
        for service, _ in services
    )
    return f"Switches on {span}, one address each: {ports}"


def banner(
    spec: FleetSpec,
    switches: Sequence[Mapping[str, Any]],
    *,
    ready_seconds: float,
    houp: HoupServer | str,
    admin_port: int,
    data_dir: Path,
    inventories: Sequence[Path],
    login: Login,
    workers: Sequence[Mapping[str, Any]],
) -> str:
    running = [s for s in switches if s["state"] == SwitchState.RUNNING]
    failed = [s for s in switches if s["state"] in (SwitchState.FAILED, SwitchState.CRASHED)]
    lines = [
        f"Fleet of {spec.count} switches ready in {ready_seconds:.1f} s: "
        f"{len(running)} running, {len(failed)} failed",
        where_switches_listen(spec, switches),
        *(
            [f"  the switches' TLS certificate: {data_dir / TLS_CERT_FILE}"]
            if Service.TLS in spec.services
            else []
        ),
        *(f"Every switch calls {url} home (RFC 8071)" for url in spec.call_home),
        f"  credentials {login.username}/{login.password} unless changed in {data_dir / USERS_FILE}"
        if login.password is not None
        else f"  credentials: the users of {data_dir / USERS_FILE} ({login.username} may do "
        "everything)",
        houp_line(houp),
        f"Fleet admin: http://{spec.host}:{admin_port}/switches "
        "(POST /switches/NAME/start|stop|reset|crash, /switches/start|stop|reset; "
        "GET /metrics for Prometheus, /health)",
    ]
    if len(workers) > 1:
        pids = ", ".join(str(worker["pid"]) for worker in workers)
        lines.append(
            f"Workers: {len(workers)} processes (pids {pids}); one that dies is started again "
            "with its switches (GET /workers)"
        )
    if inventories:
        lines.append("Inventory: " + ", ".join(map(str, inventories)))
    for switch in failed[:_FAILURES_SHOWN]:
        lines.append(f"  {switch['name']} {switch['state']}: {switch['reason']}")
    if len(failed) > _FAILURES_SHOWN:
        lines.append(f"  … and {len(failed) - _FAILURES_SHOWN} more (GET /switches)")
    # serve() exits 1 when no switch runs
    lines.append(
        "Serving until Ctrl+C or SIGTERM." if running else "No switch is running: exiting."
    )
    return "\n".join(lines)


def houp_line(houp: HoupServer | str) -> str:
    """The banner's line of the fleet's HOUP: its own, or the one at an admin URL."""
    if isinstance(houp, str):
        return f"HOUP elsewhere: {houp} (faults: {houp}/faults and /doors)"
    doors = ", ".join(
        f"{name} on {door.port}" for name, door in houp.doors.items() if name != "default"
    )
    return (
        f"HOUP over HTTPS on {houp.host}:{houp.port}"
        + (f" (groups with faults of their own: {doors})" if doors else "")
        + f"; faults: http://{houp.host}:{houp.admin_port}/faults and /doors"
    )


async def _start(
    spec: FleetSpec,
    data_dir: Path,
    workers: int,
    logs: LogSettings,
    stack: contextlib.AsyncExitStack,
) -> tuple[FleetControl, HoupServer | str, float]:
    """The fleet in this process, or its switches in ``workers`` (which log as ``logs`` say);
    with its own HOUP here, or the one at ``spec.houp_url``."""
    began = time.perf_counter()
    if workers == 1 and spec.houp_url is None:
        fleet = await Fleet.start(spec, data_dir)
        stack.push_async_callback(fleet.close)
        return fleet, fleet.houp, fleet.ready_seconds
    houp: HoupServer | str
    houp_server: HoupServer | None = None
    if spec.houp_url is None:
        houp = houp_server = await start_houp(spec, data_dir)
        stack.push_async_callback(houp.close)
        access = await open_houp_doors(houp, spec)
    else:
        houp = spec.houp_url
        access = await remote_houp(spec.houp_url)
    control: FleetControl
    if workers == 1:
        switches = await LocalSwitches.launch(spec, data_dir, access, houp_server=houp_server)
        stack.push_async_callback(switches.close)
        control = switches
    else:
        pool = await WorkerPool.start(
            spec, data_dir, access, workers, logs=logs, houp_server=houp_server
        )
        stack.push_async_callback(pool.close)
        control = pool
    return control, houp, time.perf_counter() - began


async def serve(arguments: argparse.Namespace) -> int:
    spec = fleet_spec(arguments)
    data_dir: Path = arguments.data_dir
    workers = worker_count(spec, spec.workers, open_file_limit())
    await asyncio.to_thread(check_listening, spec)
    await asyncio.to_thread(first_start_users, data_dir, arguments.admin_password)
    async with contextlib.AsyncExitStack() as stack:
        control, houp, ready_seconds = await _start(
            spec, data_dir, workers, LogSettings.of(arguments), stack
        )
        admin = await FleetAdmin.start(control, spec.host, spec.admin_port)
        stack.push_async_callback(admin.close)
        switches = await control.switches()
        login = await control.login()
        written: list[Path] = []
        if arguments.inventory_out is not None:
            paths = await asyncio.to_thread(
                write_inventories, arguments.inventory_out, entries_of(switches), login
            )
            written = list(paths.values())
        text = banner(
            spec,
            switches,
            ready_seconds=ready_seconds,
            houp=houp,
            admin_port=admin.port,
            data_dir=data_dir,
            inventories=written,
            login=login,
            workers=control.workers_json(),
        )
        print(text, flush=True)
        if not any(switch["state"] == SwitchState.RUNNING for switch in switches):
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    return 0
