"""Download and right-now over real HTTPS: the seed's Info lines, resume, skip, re-download, and
a full upgrade from needUpdate to the new running version."""

from __future__ import annotations

import re
from datetime import timedelta

from smartupgrade_model.model import (
    CancellationStatus,
    CheckResult,
    FileKind,
    UpgradeStatus,
)
from smartupgrade_server.device.events import (
    Booted,
    DownloadProgress,
    Rebooting,
    UpgradeStatusChanged,
)
from smartupgrade_server.houp import content
from smartupgrade_server.houp.faults import BreakAfter
from smartupgrade_server.houp.server import HoupServer
from tests.integration.device.conftest import SwitchFactory
from tests.support.defaults import START
from tests.support.device import DeviceRig
from tests.support.houp import PATCH, PATCH_SIZE, SOFTWARE, SOFTWARE_SIZE

_NUMBER = re.compile(r"\d+(\.\d+)?")


def shape(lines: list[str]) -> list[str]:
    """Lines with their numbers replaced, to compare with the seed's example modulo numbers."""
    return [_NUMBER.sub("N", line) for line in lines]


SEED_RIGHT_NOW = [  # the seed's right-now example, for files downloaded afresh
    "Info: Getting version information from houp, please wait ...",
    "Info: If you want to stop the upgrade, please press CTRL + C.",
    f"Info: Downloading file {SOFTWARE} ...",
    "Info: Current percent is 100%.",
    "Info: N byte(s) received in N second(s) N Kbyte(s)/sec.",
    f"Info: Downloading file {SOFTWARE}.asc ...",
    "Info: Current percent is 100%.",
    "Info: N byte(s) received in N second(s) N Kbyte(s)/sec.",
    f"Info: Downloading file {PATCH} ...",
    "Info: Current percent is 100%.",
    "Info: N byte(s) received in N second(s) N Kbyte(s)/sec.",
    f"Info: Downloading file {PATCH}.asc ...",
    "Info: Current percent is 100%.",
    "Info: N byte(s) received in N second(s) N Kbyte(s)/sec.",
    "Info: Start verifying signature ...",
    "Info: Signature verification passed.",
    f"Info: Set next startup patch {PATCH} successfully.",
    "Info: Start set next startup file, please wait...",
    f"Info: Set next startup file {SOFTWARE} successfully.",
    "Info: System will rebooting for upgrade...",
]


async def test_full_upgrade_from_need_update_to_new_running_version(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    assert (await rig.switch.refresh()).check_result is CheckResult.NEED_UPDATE
    operation = await rig.switch.right_now()
    assert operation.upgrade_status is UpgradeStatus.RUNNING
    assert await operation.wait() is UpgradeStatus.RUNNING
    assert not rig.switch.up and rig.reboots == 1
    assert shape(rig.lines()) == shape(SEED_RIGHT_NOW)
    assert rig.switch.flash.read(SOFTWARE, 0, SOFTWARE_SIZE) == content.read(
        SOFTWARE, 0, SOFTWARE_SIZE
    )

    await rig.clock.advance(timedelta(minutes=5))
    assert rig.switch.up
    state = rig.switch.state()
    assert (state.local_information.software_version, state.local_information.patch_version) == (
        "V200R024C00",
        "V200R020SPH001",
    )
    upgrade = state.upgrade_information
    assert upgrade.upgrade_status is UpgradeStatus.SUCCESS
    assert upgrade.last_upgrade_result is UpgradeStatus.SUCCESS
    assert upgrade.last_upgrade_time == START + timedelta(minutes=5)
    # the seed's example 1 after a successful upgrade: the run's own figures are gone
    assert upgrade.cancellation_status is None
    assert (
        upgrade.software_download_time,
        upgrade.software_download_progress,
        upgrade.software_download_speed,
        upgrade.patch_download_time,
        upgrade.patch_download_progress,
        upgrade.patch_download_speed,
    ) == (None,) * 6
    assert any(isinstance(e, Rebooting) for e in rig.events)
    assert [e for e in rig.events if isinstance(e, Booted)] == [
        Booted("V200R024C00", "V200R020SPH001")
    ]
    statuses = [e.upgrade_status for e in rig.events if isinstance(e, UpgradeStatusChanged)]
    assert statuses == [UpgradeStatus.RUNNING, UpgradeStatus.SUCCESS]
    assert (await rig.switch.refresh()).check_result is CheckResult.VERSION_OPTIMAL


async def test_download_progress_events_start_and_end_per_file(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    progress = [e for e in rig.events if isinstance(e, DownloadProgress)]
    kinds = [p.file_kind for p in progress if p.percent == 100]
    assert kinds == [
        FileKind.SOFTWARE,
        FileKind.SOFTWARE_SIGNATURE,
        FileKind.PATCH,
        FileKind.PATCH_SIGNATURE,
    ]
    assert progress[0].percent == 0 and progress[0].file_size == SOFTWARE_SIZE
    assert rig.switch.state().upgrade_information.cancellation_status is (
        CancellationStatus.INITIAL
    )
    # A download only sets the next startup files; the switch still runs the old version.
    assert rig.switch.software_version == "V200R020C00"


async def _broken_download(rig: DeviceRig, houp: HoupServer, at: int) -> None:
    houp.faults.break_after = BreakAfter(bytes=at, file=SOFTWARE, times=1)
    assert await (await rig.switch.download()).wait() is UpgradeStatus.NET_ERROR
    assert rig.switch.flash.size(SOFTWARE) == at


async def test_resume_transfers_only_the_missing_bytes(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    await _broken_download(rig, houp, 100000)
    rig.events.clear()
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    lines = rig.lines()
    resume = lines.index("Info: Resume from the 100000 bytes breakpoint.")
    assert lines[resume - 2 : resume] == [
        f"Info: Downloading file {SOFTWARE} ...",
        "Info: The file already exists, check whether it can be resumed from the breakpoint.",
    ]
    assert lines[resume + 2].startswith(f"Info: {SOFTWARE_SIZE - 100000} byte(s) received in")
    # The breakpoint check reads a 4 KB tail; the rest is what was missing.
    assert houp.stats.bytes_sent[SOFTWARE] == SOFTWARE_SIZE + 4096
    assert rig.switch.flash.read(SOFTWARE, 0, SOFTWARE_SIZE) == content.read(
        SOFTWARE, 0, SOFTWARE_SIZE
    )


async def test_inconsistent_partial_file_is_deleted_and_downloaded_again(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    await _broken_download(rig, houp, 100000)
    path = rig.switch.flash.path(SOFTWARE)
    path.write_bytes(path.read_bytes()[:-10] + bytes(10))  # damaged flash
    houp.stats.reset()
    rig.events.clear()
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    lines = rig.lines()
    assert lines[3:6] == [
        "Info: The file already exists, check whether it can be resumed from the breakpoint.",
        "Info: The file content is inconsistent with houp, delete and re-download...",
        "Info: Current percent is 100%.",
    ]
    assert lines[6].startswith(f"Info: {SOFTWARE_SIZE} byte(s) received in")
    assert houp.stats.bytes_sent[SOFTWARE] == 4096 + SOFTWARE_SIZE


async def test_complete_files_are_skipped(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    houp.stats.reset()
    rig.events.clear()
    assert await (await rig.switch.right_now()).wait() is UpgradeStatus.RUNNING
    assert houp.stats.bytes_sent[SOFTWARE] == houp.stats.bytes_sent[PATCH] == 0
    assert shape(rig.lines()) == shape(
        [
            "Info: Getting version information from houp, please wait ...",
            "Info: If you want to stop the upgrade, please press CTRL + C.",
            *[
                line
                for name in (SOFTWARE, SOFTWARE + ".asc", PATCH, PATCH + ".asc")
                for line in (
                    f"Info: Downloading file {name} ...",
                    "Info: The file already exists, check whether it can be resumed from the "
                    "breakpoint.",
                    "Info: The file size is OK and the content is consistent.",
                )
            ],
            *SEED_RIGHT_NOW[-6:],
        ]
    )


async def test_endless_data_is_cut_at_the_announced_size(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    houp.faults.endless_data = {PATCH}
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    assert rig.switch.flash.size(PATCH) == PATCH_SIZE


async def test_download_lines_follow_the_seed_download_example(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    rig.switch.flash.path(SOFTWARE + ".asc").write_bytes(b"stale signature")
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    # The seed's `smart-upgrade download` example, up to the patch this offer adds.
    assert shape(rig.lines()[:12]) == shape(
        [
            "Info: Getting version information from houp, please wait ...",
            "Info: If you want to stop the download, please press CTRL + C.",
            f"Info: Downloading file {SOFTWARE} ...",
            "Info: Current percent is 100%.",
            "Info: 83148260 byte(s) received in 160.618 second(s) 505.54 Kbyte(s)/sec.",
            f"Info: Downloading file {SOFTWARE}.asc ...",
            "Info: The file already exists, check whether it can be resumed from the breakpoint.",
            "Info: The file content is inconsistent with houp, delete and re-download...",
            "Info: Current percent is 100%.",
            "Info: 490 byte(s) received in 0.228 second(s) 2.10 Kbyte(s)/sec.",
            f"Info: Downloading file {PATCH} ...",
            "Info: Current percent is 100%.",
        ]
    )
    assert shape(rig.lines()[-5:]) == shape(SEED_RIGHT_NOW[-6:-1])


async def test_a_file_changed_after_verification_is_not_booted(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    assert await (await rig.switch.right_now()).wait() is UpgradeStatus.RUNNING
    path = rig.switch.flash.path(SOFTWARE)
    path.write_bytes(bytes(SOFTWARE_SIZE))
    await rig.clock.advance(timedelta(minutes=5))
    assert rig.switch.software_version == "V200R020C00"
    info = rig.switch.state().upgrade_information
    assert info.upgrade_status is UpgradeStatus.FILE_CHECK_FAILED
