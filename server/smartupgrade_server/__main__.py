"""``smartupgrade-sim`` and ``python -m smartupgrade_server``: one emulated switch and its HOUP
(``sim``), or many with ``smartupgrade-sim fleet`` (``fleet``), until interrupted
(docs/server.md, docs/fleet.md); for a fleet on several machines, ``smartupgrade-sim houp`` (its
HOUP alone) and ``smartupgrade-sim fleet-inventory`` (its shards' inventories merged)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Protocol

from smartupgrade_server.fleet import command as fleet_command
from smartupgrade_server.fleet import houp_command, merge_command
from smartupgrade_server.houp.catalogue import CatalogueError
from smartupgrade_server.sim.command import APP_NAME, parse_arguments, serve
from smartupgrade_server.transport.ssh import DefaultCredentialsError


class Subcommand(Protocol):
    """A module of a subcommand: its name, its options, and what it does until it ends."""

    PROG: str

    def parse_arguments(self, argv: Sequence[str]) -> argparse.Namespace: ...

    async def serve(self, arguments: argparse.Namespace) -> int: ...


# any other first word is an option of the single switch
SUBCOMMANDS: dict[str, Subcommand] = {
    "fleet": fleet_command,
    "houp": houp_command,
    "fleet-inventory": merge_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    subcommand = SUBCOMMANDS.get(words[0]) if words else None
    arguments = (
        parse_arguments(words) if subcommand is None else subcommand.parse_arguments(words[1:])
    )
    logging.basicConfig(
        level=logging.INFO if arguments.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if subcommand is not None:
            return asyncio.run(subcommand.serve(arguments))
        asyncio.run(serve(arguments))
    except (DefaultCredentialsError, CatalogueError, ValueError, OSError) as error:
        print(f"{APP_NAME if subcommand is None else subcommand.PROG}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
