"""The examples of docs/server.md's NETCONF over TLS and Call Home sections, run as written (the
openssl commands in a shell, the Python with exec) against a switch serving TLS: its ports for
8830 and 6513, its data directory for the sim's, a free port for the controller's 4334."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartupgrade_server.transport.call_home import Backoff, CallHomeTiming
from tests.support.docs import replaced
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.transport import free_port
from tests.support.users import Credentials

SERVER_DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def blocks(title: str, language: str) -> list[str]:
    text = SERVER_DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    fence = re.compile(rf"^```{language}\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
    return [match["code"] for match in fence.finditer(text[start:end])]


@pytest.fixture
def lab(tmp_path: Path, credentials: Credentials) -> Iterator[ThreadedSwitches]:
    with ThreadedSwitches(tmp_path, credentials, None) as switches:
        yield switches


@pytest.fixture
def rig(lab: ThreadedSwitches) -> SwitchRig:
    """A switch serving TLS, whose calls home wait little between rounds."""
    return lab.start(tls=True, call_home_timing=CallHomeTiming(backoff=Backoff(0.1, 0.4)))


def run_python(code: str, replacements: dict[str, str]) -> None:
    for written in replacements:
        assert written in code, written
    code = replaced(code, replacements)
    exec(compile(code, str(SERVER_DOC), "exec"), {})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_tls_example_runs(
    rig: SwitchRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, data_dir = rig.switch, rig.data_dir
    work = tmp_path / "controller"
    work.mkdir()
    monkeypatch.chdir(work)
    (shell,) = blocks("NETCONF over TLS (RFC 7589)", "sh")
    done = subprocess.run(["sh", "-e", "-c", shell], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"04(:[0-9A-F]{2}){32}\n", done.stdout.splitlines(keepends=True)[-1])
    (python,) = blocks("NETCONF over TLS (RFC 7589)", "python")
    run_python(
        python,
        {
            "port=8830": f"port={running.port}",
            "port=6513": f"port={running.tls_port}",
            'Path.home() / ".local/share/smartupgrade-sim"': f"Path({str(data_dir)!r})",
        },
    )
    assert running.server.counters.in_sessions == 2


def test_the_call_home_example_runs(rig: SwitchRig) -> None:
    running = rig.switch
    (python,) = blocks("Call Home (RFC 8071)", "python")
    run_python(python, {"port=8830": f"port={running.port}", "4334": str(free_port())})
    assert running.server.counters.in_sessions == 3
    assert not running.netconf.call_home.diallers
