"""The command line: connection options, then one of the seed's commands.

The grammar follows the switch (``smart-upgrade url HOST`` is ``smartupgrade url HOST``, ``undo``
forms included); the checks of every parameter come from :mod:`~smartupgrade_client.cli.checks`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from functools import partial
from typing import NoReturn, TypeVar

import shtab

from smartupgrade_client import edits, push
from smartupgrade_client.cli import checks, commands
from smartupgrade_client.cli.exit_codes import ExitCode, epilog
from smartupgrade_client.cli.ui import Ui
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_model.commands import CONFIG_COMMANDS, PREFIX, ConfigCommand, ConfigParameter
from smartupgrade_model.convert import field_name
from smartupgrade_model.distribution import version_text

PROG = "smartupgrade"
T = TypeVar("T")

# The local emulated switch (smartupgrade-sim) out of the box.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8830
DEFAULT_USER = "admin"
DEFAULT_PASSWORD = "admin"
PASSWORD_VARIABLE = "SMARTUPGRADE_PASSWORD"
DEFAULT_CONCURRENCY = 8
DEFAULT_REBOOT_TIMEOUT = 600.0


class Parser(argparse.ArgumentParser):
    """argparse that reports like the switch: ``Error:`` and what to fix, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"Error: {message}\n       See '{self.prog} --help'.\n")


def _checked(check: Callable[[str], T], name: str) -> Callable[[str], T]:
    def convert(text: str) -> T:
        try:
            return check(text)
        except checks.UsageError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    # what argparse calls the type in its own messages
    convert.__name__ = name
    return convert


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _concurrency(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give at least 1")
    return value


def connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """``--host`` ... ``--timeout``. Repeated on each command with ``suppress`` so that they may
    also follow the command without resetting what came before it."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection")
    group.add_argument(
        "--host", default=default(DEFAULT_HOST), help=f"switch address ({DEFAULT_HOST})"
    )
    group.add_argument(
        "--port", type=int, default=default(DEFAULT_PORT), help=f"NETCONF port ({DEFAULT_PORT})"
    )
    group.add_argument(
        "--user", "-u", default=default(DEFAULT_USER), help=f"SSH user ({DEFAULT_USER})"
    )
    group.add_argument(
        "--password",
        default=default(None),
        help=f"SSH password (default: ${PASSWORD_VARIABLE}, else {DEFAULT_PASSWORD!r} "
        "unless --key is given)",
    )
    group.add_argument("--key", default=default(None), help="SSH private key file")
    group.add_argument(
        "--timeout",
        type=_positive,
        default=default(30.0),
        help="seconds for the connection and for each reply (30)",
    )
    group.add_argument(
        "--verify-host-key",
        action="store_true",
        default=default(False),
        help="check the switch's host key in ~/.ssh/known_hosts (emulated switches make "
        "their own keys, so this is off by default)",
    )
    group.add_argument(
        "--host-key", default=default(None), help="accept only this host key (base64)"
    )


def password(args: argparse.Namespace) -> str | None:
    """The password: the option, the environment, or the sim's default when no key is given."""
    if args.password is not None:
        return str(args.password)
    from_environment = os.environ.get(PASSWORD_VARIABLE)
    if from_environment is not None:
        return from_environment
    return None if args.key else DEFAULT_PASSWORD


def _prepared_edit(
    client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui
) -> commands.Outcome:
    client.configure(args.edit)
    return commands.OK


def _prepare_undo(args: argparse.Namespace) -> None:
    args.edit = commands.undo_edit(args.words)


def _prepare_config(seed_command: ConfigCommand, args: argparse.Namespace) -> None:
    if _spelled_out(seed_command):
        values = commands.keyword_arguments(seed_command, args.words)
    else:
        values = tuple(getattr(args, _dest(p)) for p in seed_command.parameters)
    args.edit = edits.edit_of(seed_command, *values)


def _prepare_trusted_ca(args: argparse.Namespace) -> None:
    args.pems = commands.read_pems(args.trusted_ca)


def prepare(args: argparse.Namespace) -> None:
    """The checks argparse cannot make word by word (``schedule``, ``undo``, CA files): run
    before connecting, so that a wrong command line sends nothing."""
    step: Callable[[argparse.Namespace], None] | None = getattr(args, "prepare", None)
    if step is not None:
        step(args)


def _keyword(parser: argparse.ArgumentParser, word: str) -> None:
    """A fixed word of the switch's syntax (``ap enable``, ``verify-server disable``)."""
    parser.add_argument("keyword", choices=[word], metavar=word, help=f"the word {word!r}")


def _spelled_out(seed_command: ConfigCommand) -> bool:
    """Whether the command's parameters follow their own keywords (``download at T``): the
    words after the command are read as the switch reads them."""
    return any(p.after for p in seed_command.parameters)


def _dest(parameter: ConfigParameter) -> str:
    # the leaf's name: the argument's (host) would be --host, the switch's address
    return field_name(parameter.leaf.path[-1])


def _config_command(
    command: Callable[[str, str, commands.Handler], argparse.ArgumentParser],
    seed_command: ConfigCommand,
) -> None:
    """The subcommand of one of the seed's configuration commands."""
    parser = command(
        seed_command.subcommand,
        f"{PREFIX} {commands.usage(seed_command)}: {seed_command.help}",
        _prepared_edit,
    )
    parser.set_defaults(prepare=partial(_prepare_config, seed_command))
    for word in seed_command.keywords[1:]:
        _keyword(parser, word)
    if _spelled_out(seed_command):
        words = commands.usage(seed_command, time="TIME").split()[len(seed_command.keywords) :]
        parser.add_argument("words", nargs="+", metavar=" ".join(words))
        return
    for parameter in seed_command.parameters:
        parser.add_argument(
            _dest(parameter),
            type=_checked(partial(checks.argument, parameter), parameter.name),
            metavar=commands.metavar(parameter),
            help=parameter.help,
        )


def add_commands(
    subparsers: argparse._SubParsersAction,  # type: ignore[type-arg]
    *,
    connection: bool,
) -> None:
    """Every command of one switch (also what ``fleet`` runs on each switch)."""

    def command(name: str, help_text: str, handler: commands.Handler) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=help_text, description=help_text
        )
        parser.set_defaults(handler=handler, command=name)
        if connection:
            connection_options(parser, suppress=True)
        return parser

    shown = command(
        "display",
        "display smart-upgrade information (refreshes with the HOUP first)",
        commands.display,
    )
    shown.add_argument(
        "--no-refresh",
        dest="refresh",
        action="store_false",
        help="show what the switch knows, without checking with the HOUP",
    )
    shown.add_argument(
        "--json", action="store_true", help="the same data as RFC 7951 JSON on stdout"
    )
    command("refresh", "check the version with the HOUP now", commands.refresh)

    for seed_command in CONFIG_COMMANDS.values():
        _config_command(command, seed_command)
    undo = command(
        "undo",
        "undo one of the commands above: "
        + ", ".join(" ".join(words) for words in commands.UNDO_FORMS),
        _prepared_edit,
    )
    undo.set_defaults(prepare=_prepare_undo)
    undo.add_argument("words", nargs="+", metavar="COMMAND")
    create = command(
        "ssl-policy-create",
        "ssl policy NAME: create an SSL policy (or replace its trusted CAs)",
        commands.ssl_policy_create,
    )
    create.set_defaults(prepare=_prepare_trusted_ca)
    create.add_argument("name", type=_checked(checks.policy_name, "policy-name"), metavar="NAME")
    create.add_argument(
        "--trusted-ca",
        action="append",
        default=[],
        metavar="FILE",
        help="a trusted CA certificate (PEM); repeat for several",
    )
    delete = command(
        "ssl-policy-delete",
        "undo ssl policy NAME: delete an SSL policy",
        commands.ssl_policy_delete,
    )
    delete.add_argument("name", type=_checked(checks.policy_name, "policy-name"), metavar="NAME")

    for name, help_text, handler in (
        ("download", "smart-upgrade download, with progress", commands.download),
        ("right-now", "smart-upgrade right-now: download, reboot, report", commands.right_now),
    ):
        operation = command(name, help_text, handler)
        operation.add_argument("--ap", action="store_true", help="upgrade the APs")
        operation.add_argument(
            "--yes", "-y", action="store_true", help="on CTRL+C, cancel without asking"
        )
        if name == "right-now":
            operation.add_argument(
                "--reboot-timeout",
                type=_positive,
                default=DEFAULT_REBOOT_TIMEOUT,
                help=f"seconds to wait for the switch to come back ({DEFAULT_REBOOT_TIMEOUT:g})",
            )
    command("cancel", "stop the running download or upgrade", commands.cancel)
    watching = command(
        "watch",
        "print each change of the switch's smart upgrade as it happens (YANG-push on-change)",
        commands.watch,
    )
    watching.add_argument(
        "--xpath", default=push.WHOLE, help=f"what to follow; prefix su: the module ({push.WHOLE})"
    )
    watching.add_argument(
        "--for",
        dest="duration",
        type=_positive,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: at CTRL+C)",
    )
    watching.add_argument(
        "--reboot-timeout",
        type=_positive,
        default=DEFAULT_REBOOT_TIMEOUT,
        help=f"seconds to wait for a rebooting switch to come back ({DEFAULT_REBOOT_TIMEOUT:g})",
    )


def build() -> Parser:
    """``smartupgrade``'s parser."""
    parser = Parser(
        prog=PROG,
        description="Smart Upgrade of a switch over NETCONF: the switch's commands, "
        "its display, download and right-now with progress, and a fleet of switches.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text(PROG))
    # shtab writes a static script from this parser: completing a word starts no Python
    shtab.add_argument_to(parser, ["--print-completion"])
    connection_options(parser)
    parser.set_defaults(fleet=False)
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log the SSH and NETCONF libraries' messages"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add_commands(subparsers, connection=True)
    fleet = subparsers.add_parser(
        "fleet",
        help="one command on every switch of an inventory, concurrently",
        description="Run one command on every switch of INVENTORY (YAML or JSON, see "
        "docs/cli.md), at most --concurrency at a time; ends with a summary table.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fleet.set_defaults(fleet=True)
    fleet.add_argument("inventory", metavar="INVENTORY")
    fleet.add_argument(
        "--concurrency",
        "-c",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        help=f"switches worked on at once ({DEFAULT_CONCURRENCY})",
    )
    fleet.add_argument(
        "--yes",
        "-y",
        dest="fleet_yes",
        action="store_true",
        help="on CTRL+C, cancel on every switch without asking",
    )
    fleet.add_argument(
        "--json",
        dest="fleet_json",
        action="store_true",
        help="the summary as JSON on stdout instead of a table",
    )
    connection_options(fleet, suppress=True)
    # The command for every switch; the inventory gives each one's connection.
    add_commands(
        fleet.add_subparsers(title="commands", metavar="COMMAND", required=True),
        connection=False,
    )
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return build().parse_args(argv)
