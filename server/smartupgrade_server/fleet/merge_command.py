"""``smartupgrade-sim fleet-inventory``: one inventory of a fleet whose shards run on several
machines (docs/fleet.md, "Beyond one machine"), from each shard's admin API, for ``smartupgrade
fleet``, Ansible and nornir."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from smartupgrade_server.fleet.inventory import Login, entries_of, write_inventories
from smartupgrade_server.sim.options import add_common_options

PROG = "smartupgrade-sim fleet-inventory"
_RETRY_S = 2.0

logger = logging.getLogger(__name__)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Merge the inventories of a fleet's shards (smartupgrade-sim fleet --shard) "
        "into one, from their admin APIs; waits until every shard has started its switches.",
    )
    parser.add_argument(
        "shards", nargs="+", help="each shard's admin API: http://HOST:9081 (in shard order)"
    )
    parser.add_argument(
        "--inventory-out",
        type=Path,
        required=True,
        help="the merged inventory (smartupgrade fleet's; JSON if it ends in .json), with an "
        "Ansible inventory and a nornir hosts file beside it",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the shards to answer (%(default)s)",
    )
    add_common_options(parser, PROG)
    return parser.parse_args(argv)


async def shard_inventory(
    http: aiohttp.ClientSession, url: str, deadline: float
) -> tuple[list[dict[str, Any]], Login]:
    """A shard's switches (``GET /switches``) and whom its inventory logs in as, once it
    answers: its admin API listens once its switches have started."""
    base = url.rstrip("/")
    while True:
        try:
            async with http.get(f"{base}/switches") as reply:
                reply.raise_for_status()
                switches: list[dict[str, Any]] = await reply.json()
            async with http.get(f"{base}/inventory/smartupgrade") as reply:
                reply.raise_for_status()
                defaults = yaml.safe_load(await reply.text())["defaults"]
            return switches, Login(defaults["username"], defaults.get("password"))
        except (aiohttp.ClientError, TimeoutError) as error:
            if time.monotonic() > deadline:
                raise OSError(f"the shard at {url} does not answer: {error}") from None
            logger.info("waiting for the shard at %s: %s", url, error)
            await asyncio.sleep(_RETRY_S)


async def serve(arguments: argparse.Namespace) -> int:
    deadline = time.monotonic() + arguments.timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        shards = await asyncio.gather(
            *(shard_inventory(http, url, deadline) for url in arguments.shards)
        )
    logins = {login for _, login in shards}
    if len(logins) > 1:
        raise ValueError(
            "the shards log in differently ("
            + ", ".join(sorted(login.username for login in logins))
            + "): give every shard the same users file"
        )
    switches = [switch for shard_switches, _ in shards for switch in shard_switches]
    counted = Counter(switch["name"] for switch in switches)
    twice = sorted(name for name, times in counted.items() if times > 1)
    if twice:
        raise ValueError(
            f"switches named alike in several shards ({', '.join(twice[:5])}): start every "
            "shard from the same fleet with its own --shard I/N"
        )
    paths = await asyncio.to_thread(
        write_inventories, arguments.inventory_out, entries_of(switches), logins.pop()
    )
    print(
        f"Inventory of {len(shards)} shards, {len(switches)} switches: "
        + ", ".join(map(str, paths.values())),
        file=sys.stdout,
        flush=True,
    )
    return 0
