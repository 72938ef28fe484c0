"""The fleet benchmark still runs end to end: a tiny run, nothing about timing asserted."""

import subprocess
import sys
from pathlib import Path

import pytest

from tools.bench.fleet_bench import SECTION_BEGIN, SECTION_END, write_section
from tools.bench.peers import NGINX


@pytest.mark.timeout(600)
def test_tiny_run_of_our_fleet(repo_root: Path, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nkept as it is\n", encoding="utf-8")

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.bench.fleet_bench",
            *("--count", "5", "--wave", "2", "--sessions", "3", "--workers", "2"),
            *("--push-count", "4"),
            # nginx comes with tools/install.sh; without it, the rest still runs
            *("--peers", "nginx" if Path(NGINX).exists() else "none"),
            *("--rounds", "1", "--streams", "2", "--docs", str(docs)),
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "| 5 switches: switches running / failed | 5 / 0 |" in result.stdout
    assert "| 5 switches: processes (workers + the HOUP's), CPU time until sampled | 3, " in (
        result.stdout
    )
    assert "| 3 sessions over 3 switches: failures | 0 |" in result.stdout
    assert "| wave of 2 switches: failures; running V200R024C00 afterwards | 0; 2 of 2 |" in (
        result.stdout
    )
    assert "The HOUP sent 8388608 bytes of the image (8388608 expected)" in result.stdout
    on_each = "4 switches, a session and an on-change subscription on each"
    assert f"| {on_each}: patches received / failures | 4 / 0 |" in result.stdout
    if Path(NGINX).exists():
        assert "| HOUP downloads over TLS, 2 at a time (nginx: Debian's) |" in result.stdout
    written = docs.read_text(encoding="utf-8")
    assert written.startswith("# Performance\n\nkept as it is\n\n## Fleet\n")
    assert written.count(SECTION_BEGIN) == written.count(SECTION_END) == 1


def test_a_new_section_replaces_the_old_one_only(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text(
        f"# Performance\n\n## Fleet\n\n{SECTION_BEGIN}\nold\n{SECTION_END}\n\nnotes kept\n",
        encoding="utf-8",
    )

    write_section(docs, f"{SECTION_BEGIN}\nnew\n{SECTION_END}")

    assert docs.read_text(encoding="utf-8") == (
        f"# Performance\n\n## Fleet\n\n{SECTION_BEGIN}\nnew\n{SECTION_END}\n\nnotes kept\n"
    )
