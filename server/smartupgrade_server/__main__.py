"""``smartupgrade-sim`` and ``python -m smartupgrade_server``: one emulated switch and its HOUP
(``sim``), or many with ``smartupgrade-sim fleet`` (``fleet``), until interrupted
(docs/server.md, docs/fleet.md)."""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Sequence


def quiet_third_party_warnings() -> None:
    """asyncssh still names cryptography's DSA types, which cryptography deprecates on every
    import: ten lines of warnings at each start that the user of the sim can do nothing about
    (DSA host keys are neither made nor offered here)."""
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
    )


def main(argv: Sequence[str] | None = None) -> int:
    # before the modules that import asyncssh
    quiet_third_party_warnings()
    from smartupgrade_server.fleet import command as fleet_command
    from smartupgrade_server.houp.catalogue import CatalogueError
    from smartupgrade_server.sim.command import APP_NAME, parse_arguments, serve
    from smartupgrade_server.sim.options import ENVIRONMENT_PREFIX, configure_logging
    from smartupgrade_server.transport.ssh import DefaultCredentialsError

    words = list(sys.argv[1:] if argv is None else argv)
    fleet = words[:1] == ["fleet"]
    arguments = fleet_command.parse_arguments(words[1:]) if fleet else parse_arguments(words)
    configure_logging(arguments)
    try:
        if fleet:
            return asyncio.run(fleet_command.serve(arguments))
        asyncio.run(serve(arguments))
    except (DefaultCredentialsError, CatalogueError, ValueError, OSError) as error:
        hint = (
            f" A first start takes another password with --admin-password (or "
            f"{ENVIRONMENT_PREFIX}ADMIN_PASSWORD)."
            if isinstance(error, DefaultCredentialsError)
            else ""
        )
        print(f"{fleet_command.PROG if fleet else APP_NAME}: {error}{hint}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
