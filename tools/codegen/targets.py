"""A part of a hand-written file that is generated: the lines between two marker lines. A file
may hold several parts, each with its own begin marker; the rest of the file is left as is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """The part of `path` between the `begin` line and the next `end` line, made by
    `generate` (its lines, the first one empty to start after the marker)."""

    path: Path
    generate: Callable[[], list[str]]
    begin: str
    end: str

    @property
    def python(self) -> bool:
        return self.path.suffix == ".py"

    def fill(self, text: str) -> str:
        """`text` (the file's) with this part made anew (Python not yet formatted)."""
        head, found, rest = text.partition(self.begin)
        if not found:
            raise ValueError(f"{self.path} has no line {self.begin!r}")
        _, found, tail = rest.partition(self.end)
        if not found:
            raise ValueError(f"{self.path} has no line {self.end!r} after {self.begin!r}")
        indent = head[head.rfind("\n") + 1 :]
        return head + self.begin + "\n".join(self.generate()) + "\n" + indent + self.end + tail
