"""``smartupgrade-sim``: an emulated switch and its HOUP, until interrupted (docs/server.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from smartupgrade_model.model import NAMESPACE, SmartUpgrade
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.products import supports_ap_upgrade
from smartupgrade_server.device.switch import DEFAULT_FLASH_CAPACITY
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch, NetconfOptions
from smartupgrade_server.sim.metrics import EmulatorMetrics, MetricsServer, SwitchView
from smartupgrade_server.sim.options import (
    DEFAULT_AP_DEVICE_TYPE,
    DEFAULT_AP_SOFTWARE,
    DEFAULT_MODEL,
    DEFAULT_PATCH,
    DEFAULT_SOFTWARE,
    FACTORY_SSL_POLICY,
    HOUP_DIR,
    add_common_options,
    ap_esn,
    byte_size,
    call_home_url,
    certificates_file,
    clock_choice,
    document_environment,
    esn,
    first_start_users,
    make_clock,
    netconf_settings,
    parse_with_environment,
)
from smartupgrade_server.sim.with_houp import SwitchWithHoup
from smartupgrade_server.transport.tls import NETCONF_TLS_PORT, TLS_CERT_FILE
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME, USERS_FILE

APP_NAME = "smartupgrade-sim"
DEFAULT_NETCONF_PORT = 8830
DEFAULT_CLI_PORT = 8022
DEFAULT_WEB_PORT = 8443
# clear of the NETCONF port, the VRP CLI (8022) and the web system (8443)
DEFAULT_HOUP_PORT = 9443
DEFAULT_HOUP_ADMIN_PORT = 9080
# the port OpenTelemetry's Prometheus exporters take
DEFAULT_METRICS_PORT = 9464


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return parse_with_environment(_parser(), argv)


def any_free_ports() -> list[str]:
    """Options giving every listener of the sim (NETCONF, command line, web, HOUP) a port the
    OS picks, as tests and benchmarks start sims that must not collide; read from the parser,
    so that a new listener's flag is in them."""
    return [
        f"{flag}=0"
        for action in _parser()._actions
        for flag in action.option_strings
        if flag.endswith("-port")
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="An emulated switch with Smart Upgrade, managed over NETCONF, and the "
        "emulated upgrade server (HOUP) it talks to over HTTPS. Many switches in one process: "
        f"{APP_NAME} fleet --help.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(user_data_dir(APP_NAME)),
        help="the switch's host keys, users, startup datastore, state and flash; the HOUP's "
        f"keys under {HOUP_DIR}/ (default: %(default)s)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address of NETCONF, the command line and the web system (%(default)s; beyond "
        "the loopback only once admin's password is not 'admin')",
    )
    parser.add_argument(
        "--admin-password",
        help="on a first start (no users file yet), the password of the user admin instead of "
        "'admin'",
    )
    parser.add_argument(
        "--netconf-port",
        type=int,
        default=DEFAULT_NETCONF_PORT,
        help="NETCONF/SSH port (%(default)s; 0: any)",
    )
    parser.add_argument(
        "--cli-port",
        type=int,
        default=DEFAULT_CLI_PORT,
        help="VRP command line over SSH (%(default)s; 0: any; -1: off; docs/cli-vrp.md)",
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=DEFAULT_WEB_PORT,
        help="web system over HTTPS (%(default)s; 0: any; -1: off; docs/web.md)",
    )
    parser.add_argument(
        "--tls-port",
        type=int,
        help=f"NETCONF over TLS (RFC 7589; {NETCONF_TLS_PORT} once the data dir holds the "
        f"switch's TLS certificate {TLS_CERT_FILE}, else off; 0: any, making the certificate; "
        "-1: off; docs/server.md)",
    )
    parser.add_argument(
        "--tls-client-ca",
        type=certificates_file,
        action="append",
        default=[],
        metavar="PEM_FILE",
        help="trust the certificates of this file for NETCONF over TLS clients and name the "
        "users of the certificates they verify by common name (repeatable; beside "
        "/netconf-server/tls of the datastore)",
    )
    parser.add_argument(
        "--call-home",
        type=call_home_url,
        action="append",
        default=[],
        metavar="URL",
        help="ssh://HOST[:4334] or tls://HOST[:4335]: a NETCONF client the switch calls home "
        "(RFC 8071), persistently (repeatable; beside /netconf-server/call-home)",
    )
    parser.add_argument(
        "--houp-host",
        default="127.0.0.1",
        help="address of the HOUP and its fault injection (%(default)s)",
    )
    parser.add_argument(
        "--houp-port",
        type=int,
        default=DEFAULT_HOUP_PORT,
        help="HOUP HTTPS port (%(default)s; 0: any)",
    )
    parser.add_argument(
        "--houp-admin-port",
        type=int,
        default=DEFAULT_HOUP_ADMIN_PORT,
        help="HOUP fault-injection port, plain HTTP (%(default)s; 0: any)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        help="Prometheus /metrics and /health over HTTP on --host (%(default)s; 0: any; -1: off)",
    )
    parser.add_argument("--catalogue", type=Path, help="HOUP catalogue (default: the shipped one)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="switch model (%(default)s)")
    parser.add_argument("--device-name", help="device name (default: the model)")
    parser.add_argument("--esn", default=esn(1), help="ESN (%(default)s)")
    parser.add_argument(
        "--software", default=DEFAULT_SOFTWARE, help="software of a first start (%(default)s)"
    )
    parser.add_argument(
        "--patch", default=DEFAULT_PATCH, help="patch of a first start (%(default)s; '': none)"
    )
    parser.add_argument(
        "--ap-device-type",
        help=f"the AP the switch manages (AP-capable models: {DEFAULT_AP_DEVICE_TYPE!r}; '': none)",
    )
    parser.add_argument(
        "--ap-software",
        default=DEFAULT_AP_SOFTWARE,
        help="AP software of a first start (%(default)s)",
    )
    parser.add_argument("--ap-esn", default=ap_esn(1), help="the AP's ESN (%(default)s)")
    parser.add_argument(
        "--flash-capacity",
        type=byte_size,
        default=DEFAULT_FLASH_CAPACITY,
        help="flash size in bytes, or with K/M/G (default: %(default)s bytes)",
    )
    parser.add_argument(
        "--clock",
        type=clock_choice,
        default="wall",
        help="'wall' (default), or N: simulated time from now, N times real time",
    )
    parser.add_argument(
        "--reboot-seconds",
        type=float,
        default=60.0,
        help="how long the switch takes to reboot, in clock seconds (%(default)s)",
    )
    add_common_options(parser, APP_NAME)
    document_environment(parser)
    return parser


def quick_start_snippet(
    host: str, port: int, *, smart_upgrade: bool = True, password: str = DEFAULT_PASSWORD
) -> str:
    """Python that binds the factory SSL policy, enables smart upgrade and checks the HOUP; for
    a model without Smart Upgrade, that reads the running configuration."""
    if not smart_upgrade:
        return f"""\
from ncclient import manager

with manager.connect(host="{host}", port={port}, username="{DEFAULT_USERNAME}",
                     password="{password}", hostkey_verify=False,
                     look_for_keys=False, allow_agent=False) as m:
    print(m.get_config(source="running"))
"""
    return f"""\
from ncclient import manager
from ncclient.xml_ import to_ele

SU = "{NAMESPACE}"
with manager.connect(host="{host}", port={port}, username="{DEFAULT_USERNAME}",
                     password="{password}", hostkey_verify=False,
                     look_for_keys=False, allow_agent=False) as m:
    m.edit_config(target="running", config=f'''<config><smart-upgrade xmlns="{{SU}}">
        <ssl-policy>{FACTORY_SSL_POLICY}</ssl-policy><enabled>true</enabled>
        </smart-upgrade></config>''')
    print(m.dispatch(to_ele(f'<refresh xmlns="{{SU}}"/>')))
    print(m.get(filter=("subtree", f'<smart-upgrade xmlns="{{SU}}"/>')))
"""


@dataclass(frozen=True)
class Listening:
    host: str
    netconf_port: int
    houp_host: str
    houp_port: int
    houp_admin_port: int
    data_dir: Path
    # admin/admin still works
    default_credentials: bool = True


def connect_help(
    listening: Listening, describe_switch: str, *, smart_upgrade: bool, more_netconf: str = ""
) -> str:
    """The banner; ``more_netconf``: lines on NETCONF over TLS and call home, if any."""
    default = SmartUpgrade()
    houp_dir = listening.data_dir / HOUP_DIR
    password = DEFAULT_PASSWORD if listening.default_credentials else "<admin's password>"
    snippet = quick_start_snippet(
        listening.host, listening.netconf_port, smart_upgrade=smart_upgrade, password=password
    )
    purpose = (
        "bind the policy, enable, check for a new version"
        if smart_upgrade
        else "read the running configuration; this model has no Smart Upgrade"
    )
    indented = "".join(f"    {line}\n" if line else "\n" for line in snippet.splitlines())
    users = listening.data_dir / USERS_FILE
    faults = f"http://{listening.houp_host}:{listening.houp_admin_port}/faults"
    credentials = (
        f"{DEFAULT_USERNAME}/{DEFAULT_PASSWORD} unless changed in {users}"
        if listening.default_credentials
        else f"the users of {users} ({DEFAULT_USERNAME}'s password is not the factory one)"
    )
    return f"""\
NETCONF over SSH on {listening.host}:{listening.netconf_port} (subsystem netconf)
  credentials: {credentials}
  startup datastore: {listening.data_dir / "startup.json"} (running starts from it; save with
  copy-config running -> startup)
  switch: {describe_switch}
{more_netconf}HOUP over HTTPS on {listening.houp_host}:{listening.houp_port}; the switch reaches
  it as its default {default.url}:{default.https_port} (host table), and trusts its CA through
  the factory SSL policy '{FACTORY_SSL_POLICY}' (CA: {houp_dir / "pki" / "ca.pem"})
HOUP fault injection: {faults} (GET, PUT JSON, DELETE),
  /settings, /stats; e.g. curl -X PUT -d '{{"expired_certificate": true}}' \\
  {faults}  (docs/houp.md)

Quick start with ncclient ({purpose}):

{indented}
Serving until Ctrl+C or SIGTERM."""


def tls_port(option: int | None, data_dir: Path) -> int | None:
    """The port of NETCONF over TLS, None for none: ``--tls-port`` if given (-1: none), else
    6513 once the switch has its TLS certificate (made by a start with ``--tls-port``, or the
    operator's, put in its place)."""
    if option is None:
        return NETCONF_TLS_PORT if (data_dir / TLS_CERT_FILE).exists() else None
    return None if option < 0 else option


def netconf_server_help(switch: EmulatedSwitch, host: str) -> str:
    """The lines of the banner about NETCONF over TLS and call home, if the switch does
    either."""
    lines = []
    tls = switch.netconf.tls
    if tls is not None and switch.tls_port is not None:
        lines.append(
            f"NETCONF over TLS on {host}:{switch.tls_port} (RFC 7589): the switch's certificate "
            f"{tls.certificate.cert_path}; clients by /netconf-server/tls and --tls-client-ca "
            f"({len(tls.authentication.rules)} cert-to-name entries now)"
        )
    for name, client in switch.netconf.settings.call_home.items():
        targets = ", ".join(str(endpoint) for endpoint in client.endpoints)
        lines.append(f"Calling home {targets} (RFC 8071; client {name!r})")
    return "".join(f"{line}\n" for line in lines)


async def serve(arguments: argparse.Namespace) -> None:
    data_dir: Path = arguments.data_dir
    model: str = arguments.model
    ap_device_type = arguments.ap_device_type
    if ap_device_type is None:
        ap_device_type = DEFAULT_AP_DEVICE_TYPE if supports_ap_upgrade(model) else ""
    await asyncio.to_thread(first_start_users, data_dir, arguments.admin_password)
    identity = Identity(
        model,
        arguments.device_name or model,
        arguments.esn,
        ap_device_type or None,
        arguments.ap_esn if ap_device_type else None,
    )
    factory = FactoryState(
        arguments.software,
        arguments.patch or None,
        arguments.ap_software if ap_device_type else None,
    )
    pair = await SwitchWithHoup.start(
        data_dir,
        identity=identity,
        factory=factory,
        clock=make_clock(arguments.clock),
        host=arguments.host,
        port=arguments.netconf_port,
        cli_port=None if arguments.cli_port < 0 else arguments.cli_port,
        web_port=None if arguments.web_port < 0 else arguments.web_port,
        houp_host=arguments.houp_host,
        houp_port=arguments.houp_port,
        houp_admin_port=arguments.houp_admin_port,
        catalogue=arguments.catalogue,
        flash_capacity=arguments.flash_capacity,
        reboot_duration=timedelta(seconds=arguments.reboot_seconds),
        netconf_options=NetconfOptions(
            tls_port=tls_port(arguments.tls_port, data_dir),
            settings=netconf_settings(arguments.call_home, arguments.tls_client_ca),
        ),
    )
    houp, switch = pair.houp, pair.switch
    metrics = EmulatorMetrics(houp, lambda: [SwitchView(identity.device_name, switch, switch.up)])
    metrics.watch(identity.device_name, switch)

    def health() -> dict[str, Any]:
        if switch.failure is not None:
            return {"status": "failed", "reason": switch.failure}
        # a reboot is part of an upgrade: an orchestrator must not restart the sim for it
        return {"status": "ok", "switch": "up" if switch.up else "rebooting"}

    try:
        metrics_server = (
            None
            if arguments.metrics_port < 0
            else await MetricsServer.start(metrics, health, arguments.host, arguments.metrics_port)
        )
    except BaseException:
        await pair.close()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if switch.smart_upgrade:
        software, patch = switch.device.software_version, switch.device.patch_version
        ap_software = switch.device.ap_software_version
    else:
        software, patch, ap_software = factory.software, factory.patch, None
        print(
            f"{model} does not support Smart Upgrade: serving NETCONF without the "
            "smart-upgrade module",
            flush=True,
        )
    describe = (
        f"{identity.title}, ESN {identity.esn}, software "
        f"{software}, patch {patch or '-'}"
        + (f", AP {ap_device_type} {ap_software}" if ap_device_type else "")
        + f"; flash {arguments.flash_capacity} bytes; clock {arguments.clock}"
    )
    listening = Listening(
        arguments.host,
        switch.port,
        houp.host,
        houp.port,
        houp.admin_port,
        data_dir,
        await asyncio.to_thread(switch.server.users.uses_default_credentials),
    )
    more_netconf = netconf_server_help(switch, arguments.host)
    banner = connect_help(
        listening, describe, smart_upgrade=switch.smart_upgrade, more_netconf=more_netconf
    )
    print(banner, flush=True)
    if switch.cli_port is not None:
        print(
            f"VRP command line over SSH on {arguments.host}:{switch.cli_port}: "
            f"ssh -p {switch.cli_port} {DEFAULT_USERNAME}@{arguments.host}",
            flush=True,
        )
    if switch.web is not None:
        print(
            f"Web system over HTTPS on {switch.web.url} (same users; the switch's own "
            f"certificate: {switch.web.certificate.cert_path})",
            flush=True,
        )
    if metrics_server is not None:
        print(
            f"Metrics for Prometheus on http://{arguments.host}:{metrics_server.port}/metrics, "
            "health on /health",
            flush=True,
        )
    try:
        await stop.wait()
    finally:
        if metrics_server is not None:
            await metrics_server.close()
        await pair.close()
