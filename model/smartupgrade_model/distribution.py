"""The distribution the three packages ship in, for the commands' ``--version``."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "smart-upgrade-netconf"


def version_text(prog: str) -> str:
    """``PROG 0.1.0 (smart-upgrade-netconf)``, as argparse's version action prints it."""
    try:
        installed = version(DISTRIBUTION)
    except PackageNotFoundError:
        # run from a source tree that was never installed
        installed = "unknown"
    return f"{prog} {installed} ({DISTRIBUTION})"
