"""``smartupgrade --version`` and its shell completion: the bash script shtab writes from the
parser completes commands, fleet commands and options when bash runs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from smartupgrade_client.cli.app import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert re.fullmatch(r"smartupgrade \S+ \(smart-upgrade-netconf\)\n", capsys.readouterr().out)


def completions(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` after sourcing ``script``."""
    line = " ".join(("smartupgrade", *words))
    program = (
        f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
        f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}; _shtab_smartupgrade; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.split()


def test_bash_completes_commands_and_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--print-completion", "bash"]) == 0
    script = tmp_path / "smartupgrade.bash"
    script.write_text(capsys.readouterr().out)
    assert completions(script, "dis") == ["display"]
    assert set(completions(script, "")) >= {"display", "download", "right-now", "fleet", "undo"}
    assert completions(script, "fleet", "inventory.yaml", "right") == ["right-now"]
    assert "--port" in completions(script, "--po")
