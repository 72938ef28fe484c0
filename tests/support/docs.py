"""The examples of a page of the docs, and running them as a reader would: in order, in one
working directory, the shell blocks with bash and the Python blocks with Python.

A block is fenced ```` ```python ```` or ```` ```sh ````; other languages (``console``, ``yaml``,
``text``) are not run by this module, but a ``yaml`` block whose first line is a comment naming a
file (``# switch.yaml``) is that file, which the page's commands read: :func:`files` has them. A
block preceded by ``<!-- not run: REASON -->`` is not run either: it starts a server the test
starts itself, needs a Docker daemon, or the like; the reason says which, and which test covers
it instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(
    r"(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?^```(?P<language>python|sh)\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
RUNNABLE = ("python", "sh")
_FILE = re.compile(
    r"^```yaml\n# (?P<name>[\w.-]+\.ya?ml)\n(?P<text>.*?)^```$", re.MULTILINE | re.DOTALL
)


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    not_run: str | None

    @property
    def id(self) -> str:
        return f"{self.language}-line-{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every python and sh block of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(
            match["language"],
            match["code"],
            text[: match.start("code")].count("\n"),
            match["reason"],
        )
        for match in _BLOCK.finditer(text)
    ]


def files(page: Path) -> dict[str, str]:
    """The files of ``page`` (``yaml`` blocks naming their file), by name."""
    text = page.read_text(encoding="utf-8")
    return {match["name"]: match["text"] for match in _FILE.finditer(text)}


def replaced(text: str, replacements: Mapping[str, str]) -> str:
    """``text`` with each key of ``replacements`` replaced by its value, all in one pass: a
    port put in for one key may hold another (8830 -> 38443 holds 8443)."""
    if not replacements:
        return text
    keys = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, keys)))
    return pattern.sub(lambda match: replacements[match[0]], text)


def run_block(
    block: Block,
    directory: Path,
    replacements: Mapping[str, str],
    source: Path,
    environment: Mapping[str, str] | None = None,
) -> None:
    """Run ``block`` in ``directory`` with each key of ``replacements`` (a default port)
    replaced by its value, with ``environment`` added to this process's: a shell block with
    ``bash -e`` (the venv's commands on PATH), a Python block as a script of its own."""
    code = replaced(block.code, replacements)
    if block.language == "sh":
        argv = ["bash", "-e", "-c", code]
    else:
        script = directory / f"example-{block.line}.py"
        script.write_text(code, encoding="utf-8")
        argv = [sys.executable, str(script)]
    done = subprocess.run(
        argv,
        cwd=directory,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(directory),
            "PYTHONWARNINGS": "ignore",
            **(environment or {}),
        },
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, (
        f"{source.name}:{block.line} ({block.language}) exited {done.returncode}:\n"
        f"{done.stdout}{done.stderr}"
    )


def working_directory(directory: Path) -> Path:
    """A directory for a page's examples: ``yang/`` and ``.venv`` of the checkout within
    reach, as in the checkout the pages are written for."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "yang").symlink_to(REPO_ROOT / "yang")
    (directory / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return directory
