"""``smartupgrade-sim`` and ``python -m smartupgrade_server``: one emulated switch and its HOUP
(``sim``), or many with ``smartupgrade-sim fleet`` (``fleet``), until interrupted
(docs/server.md, docs/fleet.md); for a fleet on several machines, ``smartupgrade-sim houp`` (its
HOUP alone) and ``smartupgrade-sim fleet-inventory`` (its shards' inventories merged)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import warnings
from collections.abc import Sequence
from typing import Protocol


def quiet_third_party_warnings() -> None:
    """asyncssh still names cryptography's DSA types, which cryptography deprecates on every
    import: ten lines of warnings at each start that the user of the sim can do nothing about
    (DSA host keys are neither made nor offered here)."""
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
    )


class Subcommand(Protocol):
    """A module of a subcommand: its name, its options, and what it does until it ends."""

    PROG: str

    def parse_arguments(self, argv: Sequence[str]) -> argparse.Namespace: ...

    async def serve(self, arguments: argparse.Namespace) -> int: ...


def subcommands() -> dict[str, Subcommand]:
    """By their first word; any other first word is an option of the single switch. Imported
    here, once the warnings are quiet (they import asyncssh)."""
    from smartupgrade_server.fleet import command as fleet_command
    from smartupgrade_server.fleet import houp_command, merge_command

    return {"fleet": fleet_command, "houp": houp_command, "fleet-inventory": merge_command}


def main(argv: Sequence[str] | None = None) -> int:
    # before the modules that import asyncssh
    quiet_third_party_warnings()
    from smartupgrade_server.houp.catalogue import CatalogueError
    from smartupgrade_server.sim.command import APP_NAME, parse_arguments, serve
    from smartupgrade_server.sim.options import ENVIRONMENT_PREFIX, LogSettings, configure_logging
    from smartupgrade_server.transport.ssh import DefaultCredentialsError

    words = list(sys.argv[1:] if argv is None else argv)
    subcommand = subcommands().get(words[0]) if words else None
    arguments = (
        parse_arguments(words) if subcommand is None else subcommand.parse_arguments(words[1:])
    )
    configure_logging(LogSettings.of(arguments))
    try:
        if subcommand is not None:
            return asyncio.run(subcommand.serve(arguments))
        asyncio.run(serve(arguments))
    except (DefaultCredentialsError, CatalogueError, ValueError, OSError) as error:
        hint = (
            f" A first start takes another password with --admin-password (or "
            f"{ENVIRONMENT_PREFIX}ADMIN_PASSWORD)."
            if isinstance(error, DefaultCredentialsError)
            else ""
        )
        prog = APP_NAME if subcommand is None else subcommand.PROG
        print(f"{prog}: {error}{hint}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
