"""The switch's own state in its data directory (`state.json`), written atomically: a process
restart keeps the running versions, the next startup files, the last upgrade and its status."""

from __future__ import annotations

import json
import os
import tempfile
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from ..model import ScheduleInformation, UpgradeInformation, UpgradeStatus, VersionInformation

_FILE = "state.json"
_FORMAT = 1


@dataclass(frozen=True)
class StartupFile:
    """A verified file set as next startup; `sha256` binds it to what was verified."""

    name: str
    version: str
    sha256: str


@dataclass
class StoredState:
    software: str
    patch: str | None = None
    ap_software: str | None = None
    next_software: StartupFile | None = None
    next_patch: StartupFile | None = None
    next_ap: StartupFile | None = None
    version: VersionInformation = field(default_factory=VersionInformation)
    upgrade: UpgradeInformation = field(default_factory=UpgradeInformation)
    schedule: ScheduleInformation = field(default_factory=ScheduleInformation)
    operation_counter: int = 0
    upgrade_reboot: bool = False
    """The switch went down to complete an upgrade (not a reset during one)."""
    scheduled_download_status: UpgradeStatus | None = None
    """How the schedule's download ended: it decides the retry at the reboot time, also after
    the emulator's process restarted in between."""


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


def save_state(data_dir: Path, state: StoredState) -> None:
    """Temp file, fsync, rename, fsync the directory: the old or the new state, never half."""
    data_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": _FORMAT, "state": _encode(state)}, indent=1)
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
