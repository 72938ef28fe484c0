"""The pytest plugin (``smartupgrade_server.testing``), as a controller's test suite meets it:
the test files of docs/pytest.md run unchanged with ``pytester`` in a pytest of their own that
finds the plugin through its ``pytest11`` entry point; fixtures start on free ports and are gone
after the test; the options of the markers reach the switch and the fleet."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "pytest.md"
# a whole test file: a python block whose first line names it
_FILE = re.compile(r"^```python\n# (?P<name>test_\w+\.py)\n(?P<code>.*?)^```$", re.M | re.S)
DOC_FILES = {match["name"]: match["code"] for match in _FILE.finditer(DOC.read_text())}
SMALL_CATALOGUE = """
families:
  - family: S5700
    models: ["S57*", "S67*"]
    upgrades:
      - from: {software: ["V200R020*"]}
        to:
          software: V200R024C00
          patch: V200R020SPH001
          software_package: {name: "{family}-V200R024C00.cc", size: 200000}
          patch_package: {name: "{family}-V200R020SPH001.pat", size: 10000}
"""


def test_the_page_has_its_examples() -> None:
    assert {"test_first.py", "test_upgrade.py", "test_failures.py", "test_schedule.py"} <= set(
        DOC_FILES
    )
    assert len(DOC_FILES) >= 7


def test_every_example_of_the_page_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{name.removesuffix(".py"): code for name, code in DOC_FILES.items()})
    # a pytest of its own: the plugin must come from the installed entry point, not from us
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=sum(code.count("\ndef test_") for code in DOC_FILES.values()))


def test_the_fixtures_are_gone_after_the_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    ports = tmp_path / "ports.txt"
    pytester.makepyfile(
        f"""
        from pathlib import Path

        def test_switch(smartupgrade_switch, smartupgrade_houp):
            assert smartupgrade_houp.get()["expired_certificate"] is False
            switch = smartupgrade_switch
            assert switch.known_hosts.startswith(f"[127.0.0.1]:{{switch.port}} ")
            assert len(switch.host_keys) == 3
            admin_port = int(switch.houp.admin_url.rsplit(":", 1)[1])
            with Path({str(ports)!r}).open("a") as out:
                out.write(f"{{switch.port}} {{admin_port}}\\n")

        def test_fleet(smartupgrade_fleet):
            assert [s.name for s in smartupgrade_fleet.switches] == ["sw-1", "sw-2", "sw-3"]
            assert smartupgrade_fleet.nornir_hosts.exists()
            with Path({str(ports)!r}).open("a") as out:
                out.write(" ".join(str(s.port) for s in smartupgrade_fleet.switches) + "\\n")
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)
    for port in ports.read_text().split():
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()


def test_the_markers_choose_the_switch_and_the_fleet(pytester: pytest.Pytester) -> None:
    catalogue = pytester.path / "catalogue.yaml"
    catalogue.write_text(SMALL_CATALOGUE)
    pytester.makepyfile(
        f"""
        from datetime import timedelta

        import pytest

        from smartupgrade_client.errors import ConnectionLost

        @pytest.mark.smartupgrade_switch(
            model="S5735-L", esn="2102351XFR10P0000099", catalogue={str(catalogue)!r}
        )
        def test_right_now_on_the_simulated_clock(smartupgrade_switch, smartupgrade_clock):
            with smartupgrade_switch.connect() as switch:
                local = switch.read().local_information
                assert (local.device_name, local.esn) == ("S5735-L", "2102351XFR10P0000099")
                switch.set_ssl_policy("houp")
                switch.enable()
                switch.right_now()
                try:
                    switch.wait(timeout=60)
                except ConnectionLost:
                    pass
                # the reboot waits for the simulated clock
                assert smartupgrade_switch.software_version == "V200R020C00"
                smartupgrade_clock.advance(timedelta(seconds=1))
                switch.reconnect(timeout=30)
                assert switch.read().local_information.software_version == "V200R024C00"

        @pytest.mark.smartupgrade_fleet(
            groups=[
                {{"name": "core", "count": 1, "models": "S6730-H"}},
                {{"name": "edge", "count": 2, "houp_faults": {{"expired_certificate": True}}}},
            ]
        )
        def test_groups_and_their_doors(smartupgrade_fleet):
            assert [(s.name, s.group) for s in smartupgrade_fleet.switches] == [
                ("core-1", "core"), ("edge-1", "edge"), ("edge-2", "edge")
            ]
            assert smartupgrade_fleet.houp.get()["expired_certificate"] is False
            assert smartupgrade_fleet.houp.for_door("edge").get()["expired_certificate"] is True
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


def test_a_fleet_that_cannot_start_fails_the_test_with_the_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.smartupgrade_fleet(count=1, models=["S9999"])
        def test_fleet(smartupgrade_fleet):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*S9999*is not a switch of the S300, S500*"])


def test_a_fresh_venv_with_only_the_wheel_gets_a_switch(tmp_path: Path) -> None:
    """What a controller team does: the project's wheel and pytest in an empty venv, then its
    own tests, with no checkout, conftest or option."""
    wheelhouse = tmp_path / "wheelhouse"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    run([*pip, "wheel", "--wheel-dir", str(wheelhouse), str(REPO_ROOT)])
    run([*pip, "download", "--dest", str(wheelhouse), "pytest"])
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "smart-upgrade-netconf",
            "pytest",
        ]
    )
    suite = tmp_path / "controller-tests"
    suite.mkdir()
    (suite / "test_first.py").write_text(DOC_FILES["test_first.py"])
    done = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=suite)
    assert "1 passed" in done.stdout


def run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done
