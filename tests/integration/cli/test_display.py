"""``smartupgrade display`` end to end: the console script against a wired switch and its HOUP,
compared with the seed's example layout; ``--json`` checked by yanglint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_model.display import NOT_ASKED
from smartupgrade_model.model import MODULE, SSL_POLICY_MODULE
from tests.support.defaults import AP_DEVICE, AP_ESN, POLICY, identity
from tests.support.houp import AP_PACKAGE, NEW_SOFTWARE, SOFTWARE_SIZE
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.unit.yang.seed import seed_text

YANG = Path(__file__).resolve().parents[3] / "yang"
LOADING = "Info: Loading the information, please wait ."


def seed_output(index: int) -> list[str]:
    """One example output of the seed's display command: its lines, trailing spaces removed."""
    chunk = seed_text().split("<HUAWEI> display smart-upgrade information\n")[1 + index]
    body = chunk.split("<HUAWEI>")[0].split("Table 2-63")[0]
    return [line.rstrip() for line in body.rstrip().splitlines()]


def layout(lines: list[str]) -> list[str]:
    """What the layout is made of: section titles and each field's label up to its colon
    (labels carry no colon; values may)."""
    return [line[: line.index(":") + 1] if ":" in line else line for line in lines]


def run(capsys: pytest.CaptureFixture[str], sim: SwitchRig, *command: str) -> tuple[int, str, str]:
    code = main(sim.argv(*command))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_display_reads_like_the_switch(capsys: pytest.CaptureFixture[str], sim: SwitchRig) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0
    code, out, err = run(capsys, sim, "display")
    assert code == 0, err
    lines = out.rstrip("\n").splitlines()
    seed = seed_output(0)  # the switch's own example: no AP section on an AP-capable S5732-H
    # the layout: titles, labels, their order, the colon column and the blank lines
    assert layout(lines) == layout(seed)
    assert lines[0] == LOADING == seed[0]
    assert "    Check version result         : needUpdate" in lines
    assert f"    Recommended software version : {NEW_SOFTWARE}" in lines
    assert "    Upgrade status               : -" in lines


def test_display_while_disabled_shows_the_state_without_asking_the_houp(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    code, out, err = run(capsys, sim, "display")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:4] == [LOADING, f"Info: {NOT_ASKED}", "", "Configuration:"]
    assert "    Check version result         : -" in lines
    assert "    Software version             : V200R020C00" in lines


def test_the_switch_s_own_display_says_the_same_while_disabled(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    code, out, _ = run(capsys, sim, "display")
    assert code == 0
    shown = sim.vrp("display smart-upgrade information")
    assert shown == out.splitlines()


def test_refresh_shows_the_version_information_the_switch_has(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0
    capsys.readouterr()
    code, out, err = run(capsys, sim, "refresh")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == LOADING
    shown = "\n".join(lines[1:]) + "\n"
    assert shown.startswith("Version information:\n")
    assert f"    Software package name        : S5732-H-{NEW_SOFTWARE}.cc\n" in shown
    assert f"    Software package size(B)     : {SOFTWARE_SIZE}\n" in shown
    assert "    Firmware and Patch Description in English:1)description:2)CC+SPH\n\n" in shown
    # the same lines as the display's section
    code, out, _ = run(capsys, sim, "display", "--no-refresh")
    assert code == 0 and shown in out


def test_a_switch_without_smart_upgrade_says_so(
    capsys: pytest.CaptureFixture[str], lab: ThreadedSwitches
) -> None:
    sim = lab.start(identity=identity("S5731-L"))
    for command in (
        ["display", "--no-refresh"], ["display"], ["refresh"], ["enable"], ["download"],
        ["right-now", "--yes"],
    ):  # fmt: skip
        code, out, err = run(capsys, sim, *command)
        assert (code, out) == (ExitCode.NOT_SUPPORTED, ""), command
        assert err.splitlines()[-1] == (
            "Error: This switch does not support Smart Upgrade (its hello does not announce "
            "the sunc-smart-upgrade module)."
        )


def test_in_ap_mode_the_display_is_the_aps(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    """The seed's second example: with smart upgrade for APs enabled, the version, upgrade and
    local information are the AP's, and the AP information section is shown."""
    for command in (("ssl-policy", POLICY), ("enable",), ("ap", "enable")):
        assert main(sim.argv(*command)) == 0
    code, out, err = run(capsys, sim, "display")
    assert code == 0, err
    lines = out.rstrip("\n").splitlines()
    seed = seed_output(1)
    assert layout(lines) == layout(seed)
    shown = {
        line.split(":")[0].strip(): line.split(":", 1)[1].strip() for line in lines[1:] if line
    }
    assert shown["Device name"] == shown["Device Type"] == AP_DEVICE
    assert (shown["ESN"], shown["Software version"], shown["Patch version"]) == (
        AP_ESN,
        "V200R019C10",
        "-",
    )
    assert (shown["Recommended software version"], shown["Recommended patch version"]) == (
        NEW_SOFTWARE,
        "-",
    )
    assert shown["Software package name"] == AP_PACKAGE


def test_no_refresh_prints_no_loading_line(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    code, out, _ = run(capsys, sim, "display", "--no-refresh")
    assert code == 0
    assert out.startswith("Configuration:\n")
    assert "    Check version result         : -\n" in out


def test_console_script_in_a_subprocess(sim: SwitchRig) -> None:
    script = Path(sys.executable).with_name("smartupgrade")
    done = subprocess.run(
        [str(script), *sim.argv("display", "--no-refresh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "    Software version             : V200R020C00" in done.stdout.splitlines()


def test_json_is_rfc7951_and_valid(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig, tmp_path: Path
) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0
    assert main(sim.argv("https-port", "443")) == 0
    capsys.readouterr()
    code, out, err = run(capsys, sim, "display", "--json")
    assert code == 0, err
    assert err.strip() == LOADING  # stdout carries only the JSON
    document = json.loads(out)
    assert set(document) == {f"{MODULE}:smart-upgrade", f"{SSL_POLICY_MODULE}:ssl-policies"}
    top = document[f"{MODULE}:smart-upgrade"]
    assert top["url"] == "s.houp.huawei.com"  # a default, reported as the display shows it
    assert top["https-port"] == 443
    assert top["enabled"] is True
    version = top["version-information"]
    assert version["check-result"] == "need-update"
    assert isinstance(version["software-package-size"], str)  # uint64
    assert "T" in version["refresh-time"]  # date-and-time
    if shutil.which("yanglint") is None:
        pytest.skip("yanglint (libyang2-tools) missing")
    path = tmp_path / "display.json"
    path.write_text(out)
    # our modules; yang/ietf is only searched for imports, so /nacm need not be present
    modules = [str(p) for p in sorted(YANG.glob("*.yang"))]
    checked = subprocess.run(
        [
            "yanglint",
            "-p",
            str(YANG),
            "-p",
            str(YANG / "ietf"),
            "-F",
            f"{MODULE}:*",
            "-t",
            "data",
            *modules,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
