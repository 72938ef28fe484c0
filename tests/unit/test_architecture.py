"""The package arrows of docs/architecture.md hold (import-linter's contracts in pyproject.toml),
and no two public classes share a name."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    REPO_ROOT / "model" / "smartupgrade_model",
    REPO_ROOT / "server" / "smartupgrade_server",
    REPO_ROOT / "client" / "smartupgrade_client",
)


def test_imports_follow_the_architecture() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_contract_catches_a_wrong_arrow(tmp_path: Path) -> None:
    # the SDK importing the server must break a contract, or the test above proves nothing
    config = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        config.replace(
            'forbidden_modules = ["smartupgrade_server"]',
            'forbidden_modules = ["smartupgrade_model"]',
        ),
        encoding="utf-8",
    )
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache", "--config", str(wrong)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the SDK never imports the server BROKEN" in done.stdout


def test_no_two_public_classes_share_a_name() -> None:
    defined: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    defined[node.name].append(str(path.relative_to(REPO_ROOT)))
    twice = {name: where for name, where in defined.items() if len(where) > 1}
    assert not twice
