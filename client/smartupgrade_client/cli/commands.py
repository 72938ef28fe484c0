"""The commands: the seed's ``smart-upgrade ...`` commands, their ``undo`` forms, ``display``,
and the operations, each a function of an open client, the parsed arguments and a :class:`Ui`.

A command returns an :class:`Outcome` (what the fleet's summary shows) or raises the SDK's typed
exceptions; the caller turns those into ``Error:`` lines and exit statuses.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from smartupgrade_client import edits, messages, parsers, rfc7951
from smartupgrade_client.cli import checks
from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_client.cli.ui import Ui
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import ConnectionLost, RpcFailed, RpcTimeout
from smartupgrade_client.push import PushMirror
from smartupgrade_model.commands import CONFIG_COMMANDS, ConfigCommand, ConfigParameter, ValueKind
from smartupgrade_model.display import LOADING, NOT_ASKED, render
from smartupgrade_model.model import (
    DISPLAY_SECTIONS,
    MODULE,
    FileKind,
    LocalInformation,
    SmartUpgrade,
    UpgradeInformation,
    UpgradeTarget,
)

# The switch's own lines (the seed's download and right-now examples).
GETTING_VERSION = "Getting version information from houp, please wait ..."
UPGRADE_SECTION = "Upgrade information"
VERSION_SECTION = "Version information"
# the container of that section, the one the refresh brings up to date
VERSION_CONTAINER = next(s.path[-1] for s in DISPLAY_SECTIONS if s.title == VERSION_SECTION)
LOCAL_SECTION = "Local information"


@dataclass(frozen=True)
class Outcome:
    """How a command ended on one switch."""

    code: ExitCode
    summary: str
    # the switch's data, for ``fleet --json``: display's RFC 7951 document
    data: Mapping[str, Any] | None = None


Handler = Callable[[SmartUpgradeClient, argparse.Namespace, Ui], Outcome]

OK = Outcome(ExitCode.OK, "ok")


class Detached(Exception):  # noqa: N818 -- not an error: the user chose to leave
    """CTRL+C without cancelling: the operation goes on on the switch, the command stops."""


# -- display and refresh ---------------------------------------------------------------------


def state_summary(state: SmartUpgrade) -> str:
    """A switch in one line: its versions, the version check and the last upgrade."""
    local = state.local_information
    check = state.version_information.check_result
    status = state.upgrade_information.upgrade_status
    parts = [local.software_version or "-", local.patch_version or "-"]
    parts.append(check.display if check is not None else "-")
    parts.append(status.display if status is not None else "-")
    return " ".join(parts)


def display(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """``display smart-upgrade information``: like the switch, a refresh with the HOUP first
    (unless ``--no-refresh``), then the whole state. With smart upgrade disabled the switch
    does not ask the HOUP: it shows what it has, and says so."""
    client.require_smart_upgrade()
    refused: RpcFailed | None = None
    if args.refresh:
        ui.info(LOADING)
        try:
            client.refresh()
        except RpcFailed as error:
            refused = error
    # report-all: the JSON carries the defaults the display shows (URL, port, ...); the SSL
    # policies come along so that the bound policy's reference resolves and the document is
    # valid on its own.
    as_json = args.json or getattr(args, "fleet_json", False)
    reply = client.call(messages.get(ssl_policies=as_json, with_defaults="report-all"))
    state = parsers.smart_upgrade(reply)
    data = rfc7951.data_json(reply) if as_json else None
    if refused is not None:
        if state.enabled:
            raise refused
        ui.info(NOT_ASKED)
    if args.json:
        ui.output(json.dumps(data, indent=2) + "\n")
    else:
        # the switch's blank line between its Info lines and the display
        ui.output(("\n" if args.refresh else "") + render(state))
    return Outcome(ExitCode.OK, state_summary(state), data)


def refresh(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """Check the version with the HOUP now (what ``display`` triggers) and say the result: the
    whole ``Version information`` the switch then has (the RPC's reply carries the check's four
    fields; the description and the packages are the switch's state)."""
    client.require_smart_upgrade()
    ui.info(LOADING)
    checked = client.refresh()
    result = checked.check_result.display if checked.check_result is not None else "-"
    recommended = checked.recommended_software_version or "-"
    summary = f"{result} {recommended}"
    known = parsers.smart_upgrade(client.call(messages.get(VERSION_CONTAINER)))
    ui.output(render(known, (VERSION_SECTION,)))
    return Outcome(ExitCode.OK, summary)


# -- configuration ---------------------------------------------------------------------------


def read_pems(paths: Sequence[str]) -> list[str]:
    """The trusted CA certificates of ``ssl policy``, each a PEM file (whose form the switch
    checks against the module's pattern)."""
    pems: list[str] = []
    for name in paths:
        try:
            text = Path(name).read_text(encoding="ascii")
        except OSError as error:
            reason = error.strerror or "it cannot be read"
            raise checks.UsageError(f"Cannot read the CA certificate {name}: {reason}.") from None
        except UnicodeDecodeError:
            reason = "it is not ASCII text (a PEM file)"
            raise checks.UsageError(f"Cannot read the CA certificate {name}: {reason}.") from None
        pems.append(text)
    return pems


def ssl_policy_create(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """``ssl policy NAME`` with its trusted CA certificates (read by :func:`read_pems`)."""
    client.create_ssl_policy(args.name, args.pems)
    return OK


def ssl_policy_delete(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """``undo ssl policy NAME``."""
    client.delete_ssl_policy(args.name)
    return OK


def usage(command: ConfigCommand, time: str = checks.SCHEDULE_SYNTAX) -> str:
    """A command's words and parameters as this tool takes them (``ap enable``, ``https-port
    PORT``, ``schedule download at T [reboot at T2]``), a time written as ``time``."""
    forms = (f"[{_form(p, time)}]" if p.optional else _form(p, time) for p in command.parameters)
    return " ".join([*command.keywords, *forms])


def metavar(parameter: ConfigParameter) -> str:
    return parameter.argument.upper()


def _form(parameter: ConfigParameter, time: str = checks.SCHEDULE_SYNTAX) -> str:
    value = time if parameter.kind is ValueKind.TIME else metavar(parameter)
    return " ".join([*(w.word for w in parameter.after), value])


def _introduced(parameter: ConfigParameter, words: Sequence[str]) -> bool:
    keywords = [w.word for w in parameter.after]
    return len(words) > len(keywords) and list(words[: len(keywords)]) == keywords


def keyword_arguments(command: ConfigCommand, words: Sequence[str]) -> tuple[object, ...]:
    """The checked values of a command whose parameters follow their keywords (``download at
    T [reboot at T2]``), as the switch reads them; a value may be one quoted word or several."""
    parameters = command.parameters
    rest = " ".join(words).split()
    if not _introduced(parameters[0], rest):
        raise checks.UsageError(f"Incomplete command: give {usage(command)}.")
    texts: list[str | None] = [None] * len(parameters)
    for index, parameter in enumerate(parameters):
        rest = rest[len(parameter.after) :]
        following = parameters[index + 1] if index + 1 < len(parameters) else None
        start = following.after[0].word if following is not None else None
        cut = rest.index(start) if start in rest else len(rest)
        texts[index], rest = " ".join(rest[:cut]), rest[cut:]
        if not rest:
            break
        assert following is not None
        if not _introduced(following, rest):
            raise checks.UsageError(f"Incomplete command: give {_form(following)}.")
    return checks.arguments(command, texts)


# The undo forms of the seed's commands; the key is what follows ``undo``.
UNDO_FORMS: dict[tuple[str, ...], Callable[[], Edit]] = {
    command.keywords: partial(edits.undo_of, command) for command in CONFIG_COMMANDS.values()
}


def undo_edit(words: Sequence[str]) -> Edit:
    form = UNDO_FORMS.get(tuple(words))
    if form is None:
        known = ", ".join(" ".join(key) for key in UNDO_FORMS)
        raise checks.UsageError(
            f"Unrecognized command 'undo {' '.join(words)}': undo one of {known}."
        )
    return form()


# -- download, right-now, cancel -------------------------------------------------------------


def _target(args: argparse.Namespace) -> UpgradeTarget | None:
    return UpgradeTarget.AP if args.ap else None


class _FileNames:
    """The names the switch gives the files of the running operation, read once it reports
    progress (its version check, which may change them, runs first)."""

    def __init__(self, client: SmartUpgradeClient, target: UpgradeTarget) -> None:
        self._client = client
        self._target = target
        self._state: SmartUpgrade | None = None

    def __call__(self, kind: FileKind) -> str:
        if self._state is None:
            self._state = self._client.read()
        version = (
            self._state.ap_information.version_information
            if self._target is UpgradeTarget.AP
            else self._state.version_information
        )
        name = (
            version.software_package_name
            if kind is FileKind.SOFTWARE
            else version.patch_package_name
        )
        return name or kind.display


def follow(
    client: SmartUpgradeClient, ui: Ui, noun: str, target: UpgradeTarget
) -> UpgradeInformation:
    """Wait for the running operation of ``target`` with progress bars. CTRL+C offers to cancel
    it on the switch (CTRL+C on the switch's own console does that); declining leaves it
    running."""
    names = _FileNames(client, target)
    cancelled = False
    hint = True
    while True:
        try:
            # Said inside the try: a CTRL+C right after the hint still offers to cancel.
            if hint:
                hint = False
                ui.info(f"If you want to stop the {noun}, please press CTRL + C.")
            with ui.following():
                return client.wait(
                    progress=lambda change: ui.progress(names(change.file_kind), change),
                    target=target,
                )
        except KeyboardInterrupt:
            if cancelled or not ui.confirm_cancel(noun):
                raise Detached(noun) from None
            status = client.cancel()
            ui.info(f"Cancellation status: {status.display}")
            cancelled = True


def _progress_summary(information: UpgradeInformation) -> str:
    status = information.upgrade_status
    parts = [status.display if status is not None else "-"]
    for kind, percent in (
        (FileKind.SOFTWARE, information.software_download_progress),
        (FileKind.PATCH, information.patch_download_progress),
    ):
        if percent is not None:
            parts.append(f"{kind.display} {percent}%")
    return " ".join(parts)


def download(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """``smart-upgrade download``: the files, verified and set for the next startup (of the
    switch, or with smart upgrade for APs enabled of its AP, as the switch's command does)."""
    client.require_smart_upgrade()
    ui.info(GETTING_VERSION)
    started = client.download(_target(args))
    final = follow(client, ui, "download", started.target)
    ui.output(render(SmartUpgrade(upgrade_information=final), (UPGRADE_SECTION,)))
    return Outcome(ExitCode.OK, _progress_summary(final))


def right_now(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """``smart-upgrade right-now``: download, then the switch reboots into the new version.
    The reboot ends the session: reconnect, wait for the switch, report what it runs now. With
    smart upgrade for APs enabled (as the switch's command does) or ``--ap``, the AP reboots
    and the switch stays up."""
    before = client.read()
    ui.info(GETTING_VERSION)
    started = client.right_now(_target(args))
    if started.target is UpgradeTarget.AP:
        follow(client, ui, "upgrade", started.target)
        after = client.read()
        return _upgraded(ui, "AP", before.ap_information, after.ap_information)
    # The reboot ends the session, usually before the last poll sees the final status.
    with suppress(ConnectionLost, RpcTimeout):
        follow(client, ui, "upgrade", started.target)
    ui.info("System is rebooting for upgrade; waiting for the switch to come back ...")
    client.reconnect(timeout=args.reboot_timeout)
    return _upgraded(ui, "switch", before, client.read())


class _Upgraded(Protocol):
    """The switch's state or its AP's: what it runs and its last upgrade."""

    @property
    def local_information(self) -> LocalInformation: ...

    @property
    def upgrade_information(self) -> UpgradeInformation: ...


def _upgraded(ui: Ui, device: str, before: _Upgraded, after: _Upgraded) -> Outcome:
    """Say what ``device`` runs after an upgrade, and what it ran before."""
    shown = SmartUpgrade(
        local_information=after.local_information, upgrade_information=after.upgrade_information
    )
    ui.output(render(shown, (UPGRADE_SECTION, LOCAL_SECTION)))
    old, local = before.local_information, after.local_information
    last = after.upgrade_information.last_upgrade_result
    summary = f"{old.software_version} -> {local.software_version}"
    if last is not None:
        summary += f" ({last.display})"
    ui.info(
        f"The {device} runs software {local.software_version or '-'}, patch "
        f"{local.patch_version or '-'} (before: {old.software_version or '-'}, "
        f"{old.patch_version or '-'})."
    )
    return Outcome(ExitCode.OK, summary)


def watch(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """Print each change of what ``--xpath`` selects as the switch reports it, by an on-change
    subscription (YANG-push): first the whole selection, then what changes, with the switch's
    time. A reboot ends the session: reconnect and subscribe again, printing what the reboot
    changed. Until ``--for`` seconds have passed, or CTRL+C."""
    deadline = None if args.duration is None else time.monotonic() + args.duration
    shown: dict[str, str] = {}
    changes = 0
    while deadline is None or time.monotonic() < deadline:
        mirror = client.subscribe_to_changes(args.xpath)
        try:
            while deadline is None or time.monotonic() < deadline:
                if client.take_update(mirror, WATCH_TICK) and mirror.synchronised:
                    changes += _print_changes(ui, mirror, shown)
            client.unsubscribe(mirror)
        except ConnectionLost:
            ui.info("The session ended (the switch reboots?); reconnecting ...")
            client.reconnect(timeout=args.reboot_timeout)
    return Outcome(ExitCode.OK, f"{changes} changes")


# how long a watch waits for one notification before it looks at the clock again (seconds)
WATCH_TICK = 0.5


def _print_changes(ui: Ui, mirror: PushMirror, shown: dict[str, str]) -> int:
    """Print the leaves that differ from ``shown`` (and update it); how many did."""
    now = mirror.leaves()
    when = mirror.time or "-"
    lines = [
        f"{when} {_short(path)}: {value}" for path, value in now.items() if shown.get(path) != value
    ]
    lines += [f"{when} {_short(path)}: (deleted)" for path in shown if path not in now]
    for line in lines:
        ui.change(line)
    shown.clear()
    shown.update(now)
    return len(lines)


def _short(path: str) -> str:
    """A leaf's path without the smart-upgrade module's name, the one a watch mostly shows."""
    return path.removeprefix(f"/{MODULE}:")


def cancel(client: SmartUpgradeClient, args: argparse.Namespace, ui: Ui) -> Outcome:
    """What CTRL+C does on the switch: stop the running download or upgrade."""
    status = client.cancel()
    ui.info(f"Cancellation status: {status.display}")
    return Outcome(ExitCode.OK, status.display)
