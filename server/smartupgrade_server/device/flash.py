"""The switch's flash: a directory of real files with a capacity.

Writing past the capacity writes what still fits and raises `FlashFullError` (the switch reports
writeFlashFailed). Partial files stay, so a later download resumes from the breakpoint.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO


class FlashFullError(OSError):
    """The flash has no room left for the bytes being written."""


class Flash:
    def __init__(self, directory: Path, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("the flash capacity must be positive")
        self.directory = directory
        self.capacity = capacity
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"{name!r} is not a flash file name")
        return self.directory / name

    def files(self) -> dict[str, int]:
        """Every file on the flash: name -> size in bytes."""
        return {
            entry.name: entry.stat().st_size
            for entry in self.directory.iterdir()
            if entry.is_file() and not entry.name.startswith(".")
        }

    def used(self) -> int:
        return sum(self.files().values())

    def free(self) -> int:
        return max(0, self.capacity - self.used())

    def size(self, name: str) -> int | None:
        path = self.path(name)
        return path.stat().st_size if path.is_file() else None

    def read(self, name: str, start: int, end: int) -> bytes:
        with self.path(name).open("rb") as file:
            file.seek(start)
            return file.read(end - start)

    def sha256(self, name: str) -> str:
        """Hex digest of a file (blocking: run it in a worker thread for big images)."""
        digest = hashlib.sha256()
        with self.path(name).open("rb") as file:
            while chunk := file.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def writer(self, name: str, *, offset: int) -> FlashWriter:
        """Write `name` from `offset` on (0 starts the file afresh, dropping what was there)."""
        return FlashWriter(self, name, offset)


class FlashWriter:
    """Appends to one file, flushing to disk as it goes so a reset keeps the breakpoint."""

    def __init__(self, flash: Flash, name: str, offset: int) -> None:
        self._file: BinaryIO = flash.path(name).open("r+b" if offset else "wb")
        self._file.truncate(offset)
        self._file.seek(offset)
        self._file.flush()
        # One writer at a time owns the free space, so it is counted once and then tracked.
        self._room = flash.free()
        self.name = name
        self.position = offset

    def write(self, data: bytes) -> None:
        if len(data) > self._room:
            self._file.write(data[: self._room])
            self.position += self._room
            self._room = 0
            self._file.flush()
            raise FlashFullError(f"flash full: {self.name} does not fit")
        self._file.write(data)
        self.position += len(data)
        self._room -= len(data)

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def __enter__(self) -> FlashWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
