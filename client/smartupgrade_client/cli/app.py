"""``smartupgrade``'s entry point: parse, check, connect, run one command, map the outcome to an
exit status."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from contextlib import suppress

from smartupgrade_client.cli import checks, commands, fleet, parser
from smartupgrade_client.cli.exit_codes import ExitCode, exit_code_for
from smartupgrade_client.cli.ui import ConsoleUi, print_error, print_usage_error
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.errors import SmartUpgradeError


def connect(args: argparse.Namespace) -> SmartUpgradeClient:
    return SmartUpgradeClient.connect(
        args.host,
        args.port,
        username=args.user,
        password=parser.password(args),
        key_filename=args.key,
        hostkey_verify=args.verify_host_key,
        hostkey_b64=args.host_key,
        timeout=args.timeout,
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | ExitCode:
    try:
        return parser.parse(argv)
    except SystemExit as done:
        # argparse exits for --help (0) and for usage errors (2, already reported)
        return ExitCode.OK if not done.code else ExitCode.USAGE


def _single(args: argparse.Namespace) -> ExitCode:
    ui = ConsoleUi(
        data_on_stdout=getattr(args, "json", False), assume_yes=getattr(args, "yes", False)
    )
    client = connect(args)
    try:
        outcome: commands.Outcome = args.handler(client, args, ui)
        return outcome.code
    except commands.Detached as detached:
        ui.info(f"The {detached} goes on on the switch; follow it with 'smartupgrade display'.")
        return ExitCode.INTERRUPTED
    finally:
        # The session may already be gone (a reboot); that is not this command's failure.
        with suppress(SmartUpgradeError):
            client.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``smartupgrade`` with ``argv`` (default: the process's arguments); returns the
    exit status (see :class:`~smartupgrade_client.cli.exit_codes.ExitCode`)."""
    args = _parse(argv)
    if isinstance(args, ExitCode):
        return int(args)
    if not args.verbose:
        # paramiko logs (with tracebacks) what the Error: lines already say
        for name in ("paramiko", "ncclient"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        parser.prepare(args)
        if args.fleet:
            return int(fleet.run(args))
        return int(_single(args))
    except checks.UsageError as error:
        print_usage_error(str(error))
        return int(ExitCode.USAGE)
    except SmartUpgradeError as error:
        print_error(error)
        return int(exit_code_for(error))
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
