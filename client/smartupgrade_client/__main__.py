"""``python -m smartupgrade_client`` and the ``smartupgrade`` console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from smartupgrade_client.cli.app import main as run


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
