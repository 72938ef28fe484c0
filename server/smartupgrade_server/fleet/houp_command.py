"""``smartupgrade-sim houp``: a fleet's HOUP alone, for shards that run on other machines and
reach it with ``smartupgrade-sim fleet --houp-url URL`` (docs/fleet.md, "Beyond one machine")."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from platformdirs import user_data_dir

from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.metrics import EmulatorMetrics, add_routes
from smartupgrade_server.sim.options import HOUP_DIR, add_common_options

PROG = "smartupgrade-sim houp"


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The emulated HOUP alone: the shared HOUP of a fleet whose shards run "
        "elsewhere (smartupgrade-sim fleet --houp-url http://HOST:ADMIN_PORT).",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(user_data_dir("smartupgrade-sim")) / HOUP_DIR,
        help="its certificates, signing key and signatures (default: %(default)s)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address of HTTPS and the admin API (%(default)s)"
    )
    parser.add_argument("--port", type=int, default=9443, help="HTTPS port (%(default)s)")
    parser.add_argument(
        "--admin-port", type=int, default=9080, help="admin API port, plain HTTP (%(default)s)"
    )
    parser.add_argument("--catalogue", type=Path, help="HOUP catalogue (default: the shipped one)")
    add_common_options(parser, PROG)
    return parser.parse_args(argv)


def banner(houp: HoupServer) -> str:
    admin = f"http://{houp.host}:{houp.admin_port}"
    return "\n".join(
        [
            f"HOUP over HTTPS on {houp.host}:{houp.port}; faults: {admin}/faults and /doors",
            f"Metrics for Prometheus on {admin}/metrics; health on {admin}/health",
            "Serving until Ctrl+C or SIGTERM.",
        ]
    )


def metrics_routes(houp: HoupServer, admin: web.Application) -> None:
    """``/metrics`` (the HOUP's, as a sim's or a fleet's shows them) and ``/health`` on the
    admin port: the HOUP alone has no switch, and is healthy while it serves."""
    metrics = EmulatorMetrics(houp, tuple)

    async def exposition() -> bytes:
        return metrics.text()

    async def health() -> dict[str, Any]:
        return {"status": "ok", "houp": "up", "doors": len(houp.doors)}

    add_routes(admin, exposition, health)


async def serve(arguments: argparse.Namespace) -> int:
    houp = await HoupServer.start(
        arguments.data_dir,
        host=arguments.host,
        port=arguments.port,
        admin_port=arguments.admin_port,
        catalogue=arguments.catalogue,
        admin_routes=metrics_routes,
    )
    try:
        print(banner(houp), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await houp.close()
    return 0
