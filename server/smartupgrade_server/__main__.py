"""``smartupgrade-sim``: run an emulated switch's NETCONF server until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from platformdirs import user_data_dir

from smartupgrade_server.app import Switch, SwitchIdentity
from smartupgrade_server.transport.ssh import DefaultCredentialsError
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME, USERS_FILE

APP_NAME = "smartupgrade-sim"


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=APP_NAME, description="An emulated switch with Smart Upgrade, managed over NETCONF."
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(user_data_dir(APP_NAME)),
        help="host keys, users and the startup datastore (default: %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--netconf-port", type=int, default=8830, help="NETCONF/SSH port (%(default)s; 0: any)"
    )
    parser.add_argument("--model", default="S5732-H", help="switch model (%(default)s)")
    parser.add_argument("--device-name", help="device name (default: the model)")
    parser.add_argument("--esn", default="2102351XFR10P0000001", help="ESN (%(default)s)")
    parser.add_argument(
        "--software-version", default="V200R020C00", help="running software (%(default)s)"
    )
    parser.add_argument("--patch-version", help="running patch (default: none)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every session")
    return parser.parse_args(argv)


def connect_help(host: str, port: int, data_dir: Path) -> str:
    return f"""\
NETCONF over SSH on {host}:{port} (subsystem netconf)
  credentials: {DEFAULT_USERNAME}/{DEFAULT_PASSWORD} unless changed in {data_dir / USERS_FILE}
  startup datastore: {data_dir / "startup.json"} (running starts from it; save with
  copy-config running -> startup)

  from ncclient import manager
  with manager.connect(host="{host}", port={port}, username="{DEFAULT_USERNAME}",
                       password="{DEFAULT_PASSWORD}", hostkey_verify=False,
                       look_for_keys=False, allow_agent=False) as m:
      print(m.get_config(source="running"))
"""


async def serve(arguments: argparse.Namespace) -> None:
    identity = SwitchIdentity(
        model=arguments.model,
        device_name=arguments.device_name or arguments.model,
        esn=arguments.esn,
        software_version=arguments.software_version,
        patch_version=arguments.patch_version,
    )
    switch = await Switch.start(
        identity, arguments.data_dir, host=arguments.host, port=arguments.netconf_port
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(connect_help(arguments.host, switch.port, arguments.data_dir), flush=True)
    try:
        await stop.wait()
    finally:
        await switch.close()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(serve(arguments))
    except (DefaultCredentialsError, ValueError) as error:
        print(f"{APP_NAME}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
