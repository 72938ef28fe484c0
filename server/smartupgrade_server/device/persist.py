"""The switch's own state in its data directory (`state.json`), written atomically: a process
restart keeps the running versions, the next startup files, the last upgrade and its status.

Every string of a loaded state is made `printable()`: a state file saved before the switch
cleaned the HOUP's text (offers.py) loads with that text cleaned, instead of making every
`<get>` and display fail."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import types
import typing
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from smartupgrade_server.device.offers import printable
from smartupgrade_server.device.stored import StoredState

logger = logging.getLogger(__name__)

_FILE = "state.json"
_FORMAT = 1


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        (kind,) = [k for k in typing.get_args(kind) if k is not type(None)]
    if isinstance(kind, type) and is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        # a member missing from an older state file takes its default
        return kind(
            **{
                f.name: _decode(hints[f.name], value[f.name])
                for f in fields(kind)
                if f.name in value
            }
        )
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if kind is str:
        return printable(str(value))
    return value


def load_state(data_dir: Path) -> StoredState | None:
    path = data_dir / _FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    if data.get("format") != _FORMAT:
        raise ValueError(f"{path}: unknown state format {data.get('format')!r}")
    state: StoredState = _decode(StoredState, data["state"])
    return state


def state_text(state: StoredState) -> str:
    # on one line: json's C encoder does not indent, and a fleet saves thousands at a start
    return json.dumps({"format": _FORMAT, "state": _encode(state)})


def save_state(data_dir: Path, state: StoredState) -> None:
    write_state_text(data_dir, state_text(state))


def write_state_text(data_dir: Path, text: str) -> None:
    """Temp file, fsync, rename, fsync the directory: the old or the new state, never half."""
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=data_dir, prefix=".state-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, data_dir / _FILE)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class StateWriter:
    """Saves the switch's state without stalling the event loop that every switch of a fleet
    shares: each fsync'd write runs in a worker thread, one at a time, and a state superseded
    before its turn is not written (only the newest counts). A state equal to the one on disk
    is not written again. :meth:`flush` waits for what was saved so far.

    Without a running event loop (a switch built outside asyncio) the write is immediate, and
    its errors are the caller's.
    """

    def __init__(self, data_dir: Path, on_disk: StoredState | None) -> None:
        self._data_dir = data_dir
        self._written = None if on_disk is None else state_text(on_disk)
        self._pending: str | None = None
        self._task: asyncio.Task[None] | None = None

    def save(self, state: StoredState) -> None:
        text = state_text(state)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if text != self._written:
                self._write(text)
            return
        self._pending = text
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())

    async def flush(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while self._pending is not None:
            text, self._pending = self._pending, None
            if text == self._written:
                continue
            try:
                await asyncio.to_thread(self._write, text)
            except OSError:
                # the switch runs on from memory, as one whose flash is failing; the next save
                # tries again
                logger.exception("cannot save the switch's state in %s", self._data_dir)

    def _write(self, text: str) -> None:
        write_state_text(self._data_dir, text)
        self._written = text
