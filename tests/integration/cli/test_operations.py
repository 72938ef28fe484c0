"""download, right-now and cancel through the console script, against the wired switch: the
progress reaches 100 %, right-now survives the reboot and reports the new version, CTRL+C
cancels on the switch (a real SIGINT to the console script in a subprocess)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_client.errors import UpgradeCancelled
from smartupgrade_model.model import UpgradeStatus
from tests.support.defaults import AP_FACTORY, POLICY
from tests.support.houp import AP_PACKAGE, NEW_SOFTWARE
from tests.support.switch import SwitchRig, ThreadedSwitches

STOP_HINT = "please press CTRL + C."


def enable(sim: SwitchRig) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0


def test_download_progress_reaches_100(capsys: pytest.CaptureFixture[str], sim: SwitchRig) -> None:
    enable(sim)
    code = main(sim.argv("download"))
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    lines = out.splitlines()
    assert lines[0] == "Info: Getting version information from houp, please wait ..."
    assert lines[1] == "Info: If you want to stop the download, please press CTRL + C."
    software = next(line for line in lines if line.startswith(f"S5732-H-{NEW_SOFTWARE}.cc "))
    assert " 100% " in software
    assert "KB/s" in software
    patch = next(line for line in lines if line.startswith("S5732-H-V200R020SPH001.pat "))
    assert " 100% " in patch
    assert "    Upgrade status               : success" in lines
    assert "    Software download progress(%): 100" in lines
    with sim.sdk() as client:
        assert client.read().local_information.software_version == AP_FACTORY.software


def test_right_now_survives_the_reboot(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig, lab: ThreadedSwitches
) -> None:
    enable(sim)
    # paced, so that the progress bar is drawn before the reboot ends the session
    lab.set_bandwidth(100_000)
    try:
        code = main(sim.argv("right-now"))
    finally:
        lab.set_bandwidth(None)
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    lines = out.splitlines()
    assert "Info: If you want to stop the upgrade, please press CTRL + C." in lines
    assert any(line.startswith(f"S5732-H-{NEW_SOFTWARE}.cc ") for line in lines)
    # what the switch reports after its reboot: the seed's example 1
    assert "    Software download progress(%): -" in lines
    assert "    Cancellation status          : -" in lines
    assert "Info: System is rebooting for upgrade; waiting for the switch to come back ..." in lines
    assert f"    Software version             : {NEW_SOFTWARE}" in lines
    assert "    Last upgrade result          : success" in lines
    assert lines[-1].startswith(f"Info: The switch runs software {NEW_SOFTWARE}")
    with sim.sdk() as client:
        assert client.read().local_information.software_version == NEW_SOFTWARE


def test_the_ap_upgraded_the_switch_s_way(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    """With smart upgrade for APs enabled, right-now upgrades the AP, as the switch's own
    command does: once the switch runs the AP's version, the AP reboots into it and the
    switch stays up."""
    enable(sim)
    assert main(sim.argv("right-now")) == ExitCode.OK  # the switch first, to the AP's version
    assert main(sim.argv("ap", "enable")) == ExitCode.OK
    capsys.readouterr()
    code = main(sim.argv("right-now"))
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    lines = out.splitlines()
    assert any(line.startswith(f"{AP_PACKAGE} ") and " 100% " in line for line in lines)
    assert "Info: System is rebooting for upgrade; waiting for the switch to come back ..." not in (
        lines
    )
    assert f"    Software version             : {NEW_SOFTWARE}" in lines
    assert "    Last upgrade result          : success" in lines
    assert lines[-1] == (
        f"Info: The AP runs software {NEW_SOFTWARE}, patch - (before: V200R019C10, -)."
    )
    with sim.sdk() as client:
        state = client.read()
    assert state.ap_information.local_information.software_version == NEW_SOFTWARE
    assert state.local_information.software_version == NEW_SOFTWARE


def test_download_failure_exits_6(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig, lab: ThreadedSwitches
) -> None:
    enable(sim)
    lab.houp.faults.corrupt_content = {f"S5732-H-{NEW_SOFTWARE}.cc"}
    try:
        code = main(sim.argv("download"))
    finally:
        lab.houp.faults.clear()
    assert code == ExitCode.UPGRADE_FAILED
    err = capsys.readouterr().err.splitlines()
    # the switch's own Error line follows, as the VRP command line prints it
    assert err[-2:] == [
        "Error: upgrade ended with status fileCheckFailed.",
        "       The switch said: Signature verification failed.",
    ]


def test_cancel_with_nothing_running_is_the_switch_s_rpc_error(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    code = main(sim.argv("cancel"))
    err = capsys.readouterr().err
    assert code == ExitCode.RPC_ERROR
    assert "app-tag no-upgrade-in-progress" in err


def start_script(sim: SwitchRig, *command: str) -> subprocess.Popen[str]:
    script = Path(sys.executable).with_name("smartupgrade")
    return subprocess.Popen(
        [str(script), *sim.argv(*command)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt_when_downloading(process: subprocess.Popen[str]) -> list[str]:
    """SIGINT once the script says CTRL+C would stop the operation; the lines up to there."""
    assert process.stdout is not None
    seen: list[str] = []
    for line in process.stdout:
        seen.append(line.rstrip("\n"))
        if line.rstrip().endswith(STOP_HINT):
            process.send_signal(signal.SIGINT)
            return seen
    raise AssertionError(f"no CTRL+C hint in {seen}")


def test_ctrl_c_with_yes_cancels_on_the_switch(sim: SwitchRig, lab: ThreadedSwitches) -> None:
    enable(sim)
    lab.set_bandwidth(20_000)  # the download lasts long enough to be interrupted
    try:
        process = start_script(sim, "download", "--yes")
        interrupt_when_downloading(process)
        out, err = process.communicate()
    finally:
        lab.set_bandwidth(None)
    assert process.returncode == ExitCode.UPGRADE_CANCELLED, (out, err)
    assert "Info: Cancellation status: " in out
    assert "Error: upgrade ended with status upgradeCancelled." in err
    with sim.sdk() as client:
        assert client.upgrade_information().upgrade_status is UpgradeStatus.UPGRADE_CANCELLED


def test_ctrl_c_asks_and_no_leaves_it_running(sim: SwitchRig, lab: ThreadedSwitches) -> None:
    enable(sim)
    lab.set_bandwidth(20_000)
    try:
        process = start_script(sim, "download")
        interrupt_when_downloading(process)
        out, err = process.communicate("n\n")
        with sim.sdk() as client:
            still = client.upgrade_information().upgrade_status
            client.cancel()
            with pytest.raises(UpgradeCancelled):
                client.wait()
    finally:
        lab.set_bandwidth(None)
    assert process.returncode == ExitCode.INTERRUPTED, (out, err)
    assert "Cancel the download on the switch?" in out
    assert "goes on on the switch" in out
    assert still is UpgradeStatus.RUNNING
