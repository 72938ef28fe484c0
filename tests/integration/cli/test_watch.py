"""``smartupgrade watch``: a switch's changes printed as they happen, through its reboot, and a
fleet's, each line with its switch's name."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import ExitCode
from tests.integration.cli.test_fleet import inventory
from tests.integration.cli.test_operations import enable, start_script
from tests.support.defaults import AP_FACTORY
from tests.support.houp import NEW_SOFTWARE
from tests.support.switch import SwitchRig, ThreadedSwitches

STATUS = "smart-upgrade/upgrade-information/upgrade-status"
SOFTWARE = "smart-upgrade/local-information/software-version"


def test_watch_prints_an_upgrade_as_it_happens_and_follows_the_reboot(
    sim: SwitchRig, lab: ThreadedSwitches
) -> None:
    enable(sim)
    process = start_script(sim, "watch")
    assert process.stdout is not None
    seen: list[str] = []
    for line in process.stdout:
        seen.append(line.rstrip("\n"))
        if line.rstrip().endswith(f"{SOFTWARE}: {AP_FACTORY.software}"):
            # the whole state first: now the upgrade, on another session
            with sim.sdk() as client:
                client.right_now()
        # after the reboot: the new version and the final status, in either order
        ends = (f"{SOFTWARE}: {NEW_SOFTWARE}", f"{STATUS}: success")
        if all(any(seen_line.endswith(end) for seen_line in seen) for end in ends):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate()
    seen += out.splitlines()
    assert process.returncode == ExitCode.INTERRUPTED, (seen, err)
    changes = [line.split(" ", 1)[1] for line in seen if not line.startswith("Info:")]
    statuses = [change for change in changes if change.startswith(f"{STATUS}: ")]
    assert statuses == [f"{STATUS}: running", f"{STATUS}: success"]
    assert "smart-upgrade/upgrade-information/software-download-progress: 100" in changes
    reconnect = seen.index("Info: The session ended (the switch reboots?); reconnecting ...")
    # after the reboot, what the reboot changed
    (new_version,) = [
        i for i, line in enumerate(seen) if line.endswith(f"{SOFTWARE}: {NEW_SOFTWARE}")
    ]
    assert new_version > reconnect
    # the boot clears the run's download figures and its Initial cancellation status (the
    # seed's example 1): the only deletions, shown after the reconnection; whether they come
    # before the interrupt depends on the order of the reconnected subscription's lines
    deleted = [i for i, line in enumerate(seen) if line.endswith(": (deleted)")]
    assert all(i > reconnect for i in deleted)
    cleared = {
        f"smart-upgrade/upgrade-information/{kind}-download-{figure}"
        for kind in ("software", "patch")
        for figure in ("time", "progress", "speed")
    }
    cleared.add("smart-upgrade/upgrade-information/cancellation-status")
    assert {seen[i].split(" ", 1)[1].removesuffix(": (deleted)") for i in deleted} <= cleared


def test_a_fleet_watch_prints_each_switch_s_state_with_its_name(
    capsys: pytest.CaptureFixture[str], lab: ThreadedSwitches, tmp_path: Path
) -> None:
    sims = [lab.start(), lab.start()]
    path = inventory(tmp_path, sims)
    code = main(["fleet", path, "--concurrency", "2", "watch", "--for", "1"])
    captured = capsys.readouterr()
    assert code == ExitCode.OK, captured
    for name in ("sw0", "sw1"):
        assert f"{name}: " in captured.err
        assert f"{SOFTWARE}: {AP_FACTORY.software}" in captured.err
        row = next(line for line in captured.out.splitlines() if f" {name} " in line)
        assert " changes " in row
