"""What ``smartupgrade`` shows: the switch's ``Info:``/``Error:`` lines, the display, progress.

Plain text (the display, ``Info:`` lines) is written with ``print`` so that it is byte for byte
the switch's layout, never wrapped or re-coloured by rich; rich draws progress bars, prompts and
tables, on stderr when stdout carries data (``--json``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.prompt import Confirm

from smartupgrade_client.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    RpcFailed,
    SmartUpgradeError,
    SmartUpgradeUnsupported,
    UpgradeFailed,
)
from smartupgrade_client.results import Progress as FileProgress
from smartupgrade_model.model import FileKind


class Ui(Protocol):
    """Where a command reports; a console for one switch, a row of the fleet's table."""

    def info(self, text: str) -> None: ...

    def output(self, text: str) -> None: ...

    def progress(self, name: str, change: FileProgress) -> None: ...

    def change(self, text: str) -> None:
        """A change the switch reported (``watch``), printed as it comes."""
        ...

    def following(self) -> AbstractContextManager[None]: ...

    def confirm_cancel(self, operation: str) -> bool: ...


def speed_text(change: FileProgress) -> str:
    return "-" if change.speed is None else f"{change.speed} KB/s"


class ConsoleUi:
    """One switch on a terminal. ``assume_yes`` cancels on CTRL+C without asking."""

    def __init__(self, *, data_on_stdout: bool = False, assume_yes: bool = False) -> None:
        self._info_file = sys.stderr if data_on_stdout else sys.stdout
        self._console = Console(stderr=data_on_stdout, highlight=False)
        self._assume_yes = assume_yes
        self._bars: Progress | None = None
        self._tasks: dict[FileKind, TaskID] = {}

    def info(self, text: str) -> None:
        print(f"Info: {text}", file=self._info_file, flush=True)

    def output(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def change(self, text: str) -> None:
        print(text, flush=True)

    @contextmanager
    def following(self) -> Iterator[None]:
        """Progress bars live while an operation runs; stopped (and left on screen) at its end,
        also when CTRL+C interrupts it, so that a prompt can follow."""
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            console=self._console,
        )
        self._tasks = {}
        try:
            with self._bars:
                yield
        finally:
            self._bars = None

    def progress(self, name: str, change: FileProgress) -> None:
        if self._bars is None:
            return
        task = self._tasks.get(change.file_kind)
        if task is None:
            task = self._bars.add_task(name, total=100, speed="-")
            self._tasks[change.file_kind] = task
        self._bars.update(task, completed=change.percent, speed=speed_text(change))

    def confirm_cancel(self, operation: str) -> bool:
        if self._assume_yes:
            return True
        try:
            return Confirm.ask(
                f"Cancel the {operation} on the switch?", default=False, console=self._console
            )
        except EOFError:
            return False


def error_lines(error: SmartUpgradeError, *, host: str = "") -> list[str]:
    """An SDK exception as ``Error:`` lines that say what happened and what to check."""
    where = f" ({host})" if host else ""
    if isinstance(error, RpcFailed):
        lines: list[str] = []
        for each in error.errors:
            lines.append(f"Error: {each.message or each.error_tag}{where}")
            details = [f"error-tag {each.error_tag}", f"error-type {each.error_type}"]
            if each.app_tag:
                details.append(f"app-tag {each.app_tag}")
            if each.path:
                details.append(f"path {each.path}")
            details.extend(f"{name} {text}" for name, text in each.info.items())
            lines.append(f"       {', '.join(details)}")
        return lines
    if isinstance(error, AuthenticationFailed):
        return [
            f"Error: Authentication failed{where}: {error}",
            "       Check --user and --password (or SMARTUPGRADE_PASSWORD) or --key.",
        ]
    if isinstance(error, ConnectionFailed):
        return [
            f"Error: Cannot connect{where}: {error}",
            "       Check --host and --port, and that the switch's NETCONF server is running.",
        ]
    if isinstance(error, UpgradeFailed) and error.said:
        return [f"Error: {error}{where}.", f"       The switch said: {error.said}"]
    if isinstance(error, UpgradeFailed | SmartUpgradeUnsupported):
        return [f"Error: {error}{where}."]
    return [f"Error: {error}{where}"]


def print_error(error: SmartUpgradeError) -> None:
    for line in error_lines(error):
        print(line, file=sys.stderr)


def print_usage_error(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)
