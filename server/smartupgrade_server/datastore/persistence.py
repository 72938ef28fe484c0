"""Crash-safe files: a reader sees the old content or the new one, never a mix.

The new content goes to a temporary file in the same directory, is flushed to the disk, and is
renamed over the old file; the directory is flushed too so that the rename itself survives a
power loss. ``kill -9`` at any point leaves at worst a stale temporary file, which the next
load removes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from smartupgrade_model.convert import RawObject

_TEMPORARY_SUFFIX = ".tmp"


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}{_TEMPORARY_SUFFIX}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save_config(path: Path, config: RawObject) -> None:
    write_atomically(path, json.dumps(config, indent=2, sort_keys=True).encode() + b"\n")


def load_config(path: Path) -> RawObject | None:
    """The configuration saved at ``path``, None if there is none; stale temporaries go."""
    for stale in path.parent.glob(f".{path.name}.*{_TEMPORARY_SUFFIX}"):
        stale.unlink(missing_ok=True)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: a configuration is a JSON object")
    return loaded
