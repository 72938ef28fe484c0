"""The benchmark harness still runs end to end: tiny runs, nothing about timing asserted."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.bench import peers
from tools.bench.netconf_bench import SECTION_BEGIN, SECTION_END

TINY = ["--connects", "3", "--iterations", "3", "--sessions", "3"]


def run_bench(repo_root: Path, docs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.bench.netconf_bench", *TINY, *args, "--docs", str(docs)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_tiny_run_against_our_server(repo_root: Path, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nkept as it is\n", encoding="utf-8")

    result = run_bench(repo_root, docs, "--servers", "ours")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "| connect+hello+get+close p50 |" in result.stdout
    assert "| 3 sessions: failures | 0 |" in result.stdout
    # ours over TLS against ours over SSH
    assert "| metric | over TLS | over SSH | TLS vs SSH |" in result.stdout
    assert "| connect+hello+get+close p50 | " in result.stdout.split("over TLS")[-1]
    written = docs.read_text(encoding="utf-8")
    assert written.startswith("# Performance\n\nkept as it is\n")
    assert written.count(SECTION_BEGIN) == written.count(SECTION_END) == 1


@pytest.mark.skipif(
    not all(Path(p).exists() for p in (peers.SSHD, peers.NETCONFD, peers.NETCONF_SUBSYSTEM))
    or shutil.which("ssh-keygen") is None,
    reason="needs the Debian packages netconfd and openssh-server (tools/install.sh)",
)
def test_tiny_run_against_both_servers(repo_root: Path, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"

    result = run_bench(repo_root, docs, "--servers", "ours,netconfd")

    # netconfd's own failures (it now and then holds a request) do not fail the run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| 3 sessions: failures | 0 |" in result.stdout
    assert docs.read_text(encoding="utf-8").count(SECTION_BEGIN) == 1
