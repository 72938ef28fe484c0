"""The `$ smartupgrade ...` lines of docs/cli.md, run in order against an emulated switch (the
port added, the inventory written); each exits 0 unless the line says `# exit N`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from smartupgrade_client.cli.app import main
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.switch import SwitchRig

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
EXIT = re.compile(r"#\s*exit (\d+)")


def examples() -> list[tuple[list[str], int]]:
    found: list[tuple[list[str], int]] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("$ smartupgrade "):
            continue
        command, _, comment = line[2:].partition("#")
        expected = EXIT.search("#" + comment)
        found.append((shlex.split(command)[1:], int(expected.group(1)) if expected else 0))
    return found


def test_there_are_examples() -> None:
    assert len(examples()) >= 10


def test_examples_run(capsys: pytest.CaptureFixture[str], sim: SwitchRig, tmp_path: Path) -> None:
    inventory = tmp_path / "switches.yaml"
    inventory.write_text(
        yaml.safe_dump(
            [
                {
                    "host": "127.0.0.1",
                    "port": sim.port,
                    "username": DEFAULT_USERNAME,
                    "password": DEFAULT_PASSWORD,
                }
            ]
        )
    )
    for words, expected in examples():
        argv = [str(inventory) if word == "switches.yaml" else word for word in words]
        # a fleet reads its switches from the inventory; one switch is given its port
        code = main(argv if argv[0] == "fleet" else ["--port", str(sim.port), *argv])
        captured = capsys.readouterr()
        assert code == expected, (argv, captured)
