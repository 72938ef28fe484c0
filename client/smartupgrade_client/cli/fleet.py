"""``smartupgrade fleet``: one command on every switch of an inventory, a bounded number at once.

Each switch gets its own session and a worker thread (the SDK is synchronous; a worker mostly
waits on the network). Workers are daemon threads so that declining to cancel on CTRL+C can end
the command while the operations go on on the switches.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn
from rich.prompt import Confirm
from rich.table import Table

from smartupgrade_client.cli import checks, commands
from smartupgrade_client.cli.exit_codes import ExitCode, exit_code_for
from smartupgrade_client.cli.parser import password
from smartupgrade_client.cli.ui import error_lines, speed_text
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.errors import RpcFailed, SmartUpgradeError, UpgradeFailed
from smartupgrade_client.results import Progress as FileProgress

# The members an inventory entry (or its ``defaults``) may have.
ENTRY_KEYS = ("name", "host", "port", "username", "password", "password_env", "key")


@dataclass(frozen=True)
class Target:
    """One switch of the inventory, with the connection options filled in."""

    name: str
    host: str
    port: int
    username: str
    password: str | None
    key: str | None


def _entry(raw: object, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise checks.UsageError(f"{where}: expected a mapping with host, port, username, ...")
    unknown = sorted(str(key) for key in raw if key not in ENTRY_KEYS)
    if unknown:
        raise checks.UsageError(
            f"{where}: unknown member {', '.join(unknown)}; allowed: {', '.join(ENTRY_KEYS)}"
        )
    return {str(key): value for key, value in raw.items()}


def _secret(entry: Mapping[str, Any], where: str) -> str | None:
    variable = entry.get("password_env")
    if variable is not None:
        value = os.environ.get(str(variable))
        if value is None:
            raise checks.UsageError(f"{where}: environment variable {variable} is not set")
        return value
    found = entry.get("password")
    return None if found is None else str(found)


def short_error(error: SmartUpgradeError) -> str:
    """An error for the summary table: what happened, with an rpc-error's tags, no advice."""
    lines = error_lines(error)
    kept = lines[:2] if isinstance(error, RpcFailed) else lines[:1]
    return " ".join(line.strip().removeprefix("Error: ") for line in kept)


def parse_inventory(document: object, base: Target) -> list[Target]:
    """The switches of an inventory document: a list of entries, or a mapping with
    ``switches`` (the list) and ``defaults`` (members every entry inherits); ``base`` holds
    the command line's connection options, which the inventory overrides."""
    defaults: dict[str, Any] = {}
    if isinstance(document, Mapping):
        extra = sorted(str(key) for key in document if key not in ("switches", "defaults"))
        if extra:
            raise checks.UsageError(f"inventory: unknown member {', '.join(extra)}")
        defaults = _entry(document.get("defaults") or {}, "inventory defaults")
        document = document.get("switches")
    if not isinstance(document, list) or not document:
        raise checks.UsageError("inventory: give a non-empty list of switches (see docs/cli.md)")
    targets: list[Target] = []
    for index, raw in enumerate(document):
        where = f"inventory switch {index + 1}"
        entry = {**defaults, **_entry(raw, where)}
        if "host" not in entry:
            raise checks.UsageError(f"{where}: host is missing")
        host = str(entry["host"])
        try:
            port = int(entry.get("port", base.port))
        except (TypeError, ValueError):
            raise checks.UsageError(f"{where}: port {entry['port']!r} is not a number") from None
        secret = _secret(entry, where)
        key = entry.get("key", base.key)
        if secret is None and "key" not in entry:
            secret = base.password
        targets.append(
            Target(
                name=str(entry.get("name", f"{host}:{port}")),
                host=host,
                port=port,
                username=str(entry.get("username", base.username)),
                password=secret,
                key=None if key is None else str(Path(str(key)).expanduser()),
            )
        )
    names = [target.name for target in targets]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise checks.UsageError(f"inventory: duplicate switch {', '.join(duplicates)}")
    return targets


def load_inventory(path: str, base: Target) -> list[Target]:
    """An inventory file: JSON when it ends in ``.json``, else YAML."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise checks.UsageError(f"Cannot read the inventory {path}: {error}.") from None
    try:
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise checks.UsageError(f"The inventory {path} is not valid: {error}") from None
    return parse_inventory(document, base)


@dataclass(frozen=True)
class Result:
    target: Target
    code: ExitCode
    summary: str
    data: Mapping[str, Any] | None = None
    # what the switch said as its failed run ended (UpgradeFailed.said)
    said: str | None = None

    def as_json(self) -> dict[str, object]:
        row: dict[str, object] = {
            "switch": self.target.name,
            "host": self.target.host,
            "port": self.target.port,
            "exit": int(self.code),
            "result": self.code.name.lower().replace("_", "-"),
            "detail": self.summary,
        }
        if self.said is not None:
            row["said"] = self.said
        if self.data is not None:
            # display: the switch's whole state, as `smartupgrade display --json` prints it
            row["data"] = self.data
        return row


class FleetUi:
    """One switch's row of the fleet's progress: its last ``Info:`` line or file progress
    (no row: nothing shown)."""

    def __init__(self, bars: Progress, task: TaskID | None, name: str) -> None:
        self._bars = bars
        self._task = task
        self._name = name

    def info(self, text: str) -> None:
        if self._task is not None:
            self._bars.update(self._task, status=text)

    def output(self, text: str) -> None:
        """The per-switch output is summed up in the table, not printed."""

    def change(self, text: str) -> None:
        self._bars.console.print(f"{self._name}: {text}", highlight=False, soft_wrap=True)

    def progress(self, name: str, change: FileProgress) -> None:
        if self._task is None:
            return
        self._bars.update(
            self._task,
            completed=change.percent,
            status=f"{name} {change.percent}% {speed_text(change)}",
        )

    def following(self) -> AbstractContextManager[None]:
        return nullcontext()

    def confirm_cancel(self, operation: str) -> bool:
        # CTRL+C reaches the main thread only; the fleet asks once for every switch.
        return False


class FleetCommandRun:
    """Runs one parsed command on each target, ``concurrency`` at a time."""

    def __init__(self, targets: Sequence[Target], args: argparse.Namespace) -> None:
        self._targets = targets
        self._args = args
        self._pending: queue.SimpleQueue[Target] = queue.SimpleQueue()
        self._results: dict[str, Result] = {}
        self._active: dict[str, SmartUpgradeClient] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._console = Console(stderr=True, highlight=False)
        # A row for each switch at work only on a terminal, where it is seen as it changes: rich
        # takes its lock and renders at each change, which for a thousand switches costs more CPU
        # than their sessions. Elsewhere (a log) the overall bar ends the output complete.
        self._rows = self._console.is_terminal
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[status]}"),
            console=self._console,
        )
        self._overall = self.bars.add_task("switches", total=len(targets), status="")

    def _connect(self, target: Target) -> SmartUpgradeClient:
        return SmartUpgradeClient.connect(
            target.host,
            target.port,
            username=target.username,
            password=target.password,
            key_filename=target.key,
            hostkey_verify=self._args.verify_host_key,
            hostkey_b64=self._args.host_key,
            timeout=self._args.timeout,
        )

    def _run_one(self, target: Target) -> Result:
        task = (
            self.bars.add_task(target.name, total=100, status="connecting") if self._rows else None
        )
        ui = FleetUi(self.bars, task, target.name)
        try:
            client = self._connect(target)
            with self._lock:
                self._active[target.name] = client
            try:
                outcome: commands.Outcome = self._args.handler(client, self._args, ui)
            finally:
                with self._lock:
                    del self._active[target.name]
                client.close()
            result = Result(target, outcome.code, outcome.summary, outcome.data)
        except SmartUpgradeError as error:
            said = error.said if isinstance(error, UpgradeFailed) else None
            result = Result(target, exit_code_for(error), short_error(error), said=said)
        except commands.Detached:
            result = Result(target, ExitCode.INTERRUPTED, "left running")
        # A worker must record every switch's end, whatever went wrong, or the fleet never ends.
        except Exception as error:
            result = Result(target, ExitCode.ERROR, f"{type(error).__name__}: {error}")
        # its end is in the summary table
        if task is not None:
            self.bars.remove_task(task)
        return result

    def _worker(self) -> None:
        while True:
            try:
                target = self._pending.get_nowait()
            except queue.Empty:
                return
            result = self._run_one(target)
            with self._lock:
                self._results[target.name] = result
                finished = len(self._results) == len(self._targets)
            self.bars.advance(self._overall)
            if finished:
                self._done.set()

    def cancel_all(self) -> None:
        """``cancel`` on every switch still working; a switch with nothing running says so."""
        with self._lock:
            clients = list(self._active.items())
        for name, client in clients:
            try:
                status = client.cancel()
                self._console.print(f"Info: {name}: cancellation status {status.display}")
            except SmartUpgradeError as error:
                self._console.print(f"{name}: {' '.join(error_lines(error))}")

    def run(self) -> Iterator[Result]:
        for target in self._targets:
            self._pending.put(target)
        workers = min(self._args.concurrency, len(self._targets))
        with self.bars:
            for _ in range(workers):
                threading.Thread(target=self._worker, daemon=True).start()
            self._wait()
        for target in self._targets:
            yield self._results[target.name]

    def _wait(self) -> None:
        cancelled = False
        while True:
            try:
                self._done.wait()
                return
            except KeyboardInterrupt:
                self.bars.stop()
                if cancelled or not self._confirm():
                    raise commands.Detached("fleet") from None
                self.cancel_all()
                cancelled = True
                self.bars.start()

    def _confirm(self) -> bool:
        if self._args.fleet_yes:
            return True
        try:
            return Confirm.ask(
                "Cancel the operations on the switches?", default=False, console=self._console
            )
        except EOFError:
            return False


def summary_table(results: Sequence[Result]) -> Table:
    table = Table(title="smartupgrade fleet")
    for column in ("switch", "address", "result", "exit", "detail"):
        table.add_column(column)
    for result in results:
        target = result.target
        row = result.as_json()
        table.add_row(
            target.name,
            f"{target.host}:{target.port}",
            str(row["result"]),
            str(row["exit"]),
            result.summary,
        )
    return table


def run(args: argparse.Namespace) -> ExitCode:
    """The fleet command: load the inventory, run, print the summary (a table, or JSON with
    ``fleet --json``); non-zero if any switch failed."""
    base = Target("", args.host, args.port, args.user, password(args), args.key)
    targets = load_inventory(args.inventory, base)
    fleet = FleetCommandRun(targets, args)
    try:
        results = list(fleet.run())
    except commands.Detached:
        print("Info: The operations go on on the switches.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    if args.fleet_json:
        print(json.dumps([result.as_json() for result in results], indent=2))
    else:
        Console(highlight=False, soft_wrap=True).print(summary_table(results))
    if all(result.code is ExitCode.OK for result in results):
        return ExitCode.OK
    return ExitCode.FLEET_FAILED
