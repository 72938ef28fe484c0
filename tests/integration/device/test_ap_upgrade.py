"""Smart upgrade of the AP a switch manages, against a real HOUP over HTTPS: with smart upgrade
for APs enabled, what the switch's own download and right-now upgrade, where the AP's state is
kept, and the version checks that cover it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartupgrade_model.model import (
    Ap,
    CheckResult,
    FileKind,
    Schedule,
    UpgradeStatus,
    UpgradeTarget,
)
from smartupgrade_server.device.events import DownloadProgress, UpgradeStatusChanged, VersionChecked
from smartupgrade_server.device.refusals import OperationRefusedError
from smartupgrade_server.device.transitions import CHECK_INTERVAL
from tests.integration.device.conftest import SwitchFactory
from tests.support.defaults import AP_ESN, START
from tests.support.device import DeviceRig

AP = "AirEngine 8760-X1-PRO"
AP_PACKAGE = "AirEngineX760_V200R024C00.bin"


async def _ap_mode(make_rig: SwitchFactory, **changes: object) -> DeviceRig:
    """A switch on the AP's version V200R024C00, managing an AP on V200R019C10, in AP mode."""
    rig = await make_rig(software="V200R024C00", patch=None, ap=AP, ap_software="V200R019C10")
    rig.configure(ap=Ap(enabled=True), **changes)
    return rig


async def test_download_in_ap_mode_downloads_for_the_ap(make_rig: SwitchFactory) -> None:
    rig = await _ap_mode(make_rig)
    run = await rig.switch.download()
    assert run.target is UpgradeTarget.AP
    assert await run.wait() is UpgradeStatus.SUCCESS
    assert set(rig.switch.flash.files()) == {AP_PACKAGE, AP_PACKAGE + ".asc"}
    ap = rig.switch.state().ap_information
    assert ap.version_information.check_result is CheckResult.NEED_UPDATE
    assert ap.version_information.software_package_name == AP_PACKAGE
    assert ap.upgrade_information.upgrade_status is UpgradeStatus.SUCCESS
    assert ap.upgrade_information.software_download_progress == 100
    assert ap.upgrade_information.software_download_time == START
    # the switch's own version and upgrade information are untouched
    state = rig.switch.state()
    assert state.version_information.refresh_time is None
    assert state.upgrade_information.upgrade_status is None
    progress = [e for e in rig.events if isinstance(e, DownloadProgress)]
    assert {(e.target, e.file_kind) for e in progress} == {
        (UpgradeTarget.AP, FileKind.SOFTWARE),
        (UpgradeTarget.AP, FileKind.SOFTWARE_SIGNATURE),
    }
    statuses = [e for e in rig.events if isinstance(e, UpgradeStatusChanged)]
    assert {e.target for e in statuses} == {UpgradeTarget.AP}
    assert rig.lines()[-1] == f"Info: Set next startup file {AP_PACKAGE} successfully."


async def test_right_now_in_ap_mode_reboots_the_ap_not_the_switch(
    make_rig: SwitchFactory,
) -> None:
    rig = await _ap_mode(make_rig)
    run = await rig.switch.right_now()
    assert run.target is UpgradeTarget.AP
    assert await run.wait() is UpgradeStatus.RUNNING
    assert rig.lines()[-1] == "Info: The AP(s) will reboot for upgrade..."
    ap = rig.switch.state().ap_information
    assert ap.upgrade_information.upgrade_status is UpgradeStatus.RUNNING
    await rig.clock.advance(timedelta(minutes=5))
    ap = rig.switch.state().ap_information
    assert ap.local_information.software_version == "V200R024C00"
    assert (ap.local_information.device_name, ap.local_information.esn) == (AP, AP_ESN)
    assert ap.upgrade_information.last_upgrade_result is UpgradeStatus.SUCCESS
    assert ap.upgrade_information.last_upgrade_time == START + timedelta(minutes=5)
    assert rig.switch.up and rig.reboots == 0
    assert rig.switch.software_version == "V200R024C00"


async def test_the_switch_stays_the_target_without_ap_mode(make_rig: SwitchFactory) -> None:
    rig = await make_rig(ap=AP, ap_software="V200R019C10")
    run = await rig.switch.download()
    assert run.target is UpgradeTarget.SWITCH
    assert await run.wait() is UpgradeStatus.SUCCESS
    assert rig.switch.state().ap_information.upgrade_information.upgrade_status is None


async def test_an_ap_file_for_another_switch_version_is_refused_until_the_switch_upgrades(
    make_rig: SwitchFactory,
) -> None:
    """The seed: "if the upgrade file version of the AP does not match the software version of
    the switch, the system displays an error message". The HOUP's AP software is V200R024C00;
    a switch on V200R020C00 refuses it, and takes it once it runs V200R024C00 itself."""
    rig = await make_rig(ap=AP, ap_software="V200R019C10")
    rig.configure(ap=Ap(enabled=True))
    assert await (await rig.switch.download()).wait() is UpgradeStatus.FILE_NOT_MATCH
    assert rig.lines()[-1] == (
        "Error: The upgrade file version of the AP does not match the software version of the "
        "switch."
    )
    assert not rig.switch.flash.files()

    assert await (await rig.switch.right_now(UpgradeTarget.SWITCH)).wait() is (
        UpgradeStatus.RUNNING
    )
    await rig.clock.advance(timedelta(minutes=5))
    assert rig.switch.software_version == "V200R024C00"
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS


async def test_every_check_covers_the_ap_in_ap_mode(make_rig: SwitchFactory) -> None:
    """The seed: after 'smart-upgrade ap enable' the switch queries the HOUP every 24 hours
    (for the AP as well); 'display' checks both too."""
    rig = await _ap_mode(make_rig)
    shown = await rig.switch.refresh()
    assert shown.recommended_software_version == "V200R024C00"
    assert shown == rig.switch.state().ap_information.version_information
    assert rig.switch.state().version_information.check_result is CheckResult.VERSION_OPTIMAL
    await rig.clock.advance(CHECK_INTERVAL)
    checks = [(e.target, e.refresh_time) for e in rig.events if isinstance(e, VersionChecked)]
    assert checks == [
        (UpgradeTarget.SWITCH, START),
        (UpgradeTarget.AP, START),
        (UpgradeTarget.SWITCH, START + CHECK_INTERVAL),
        (UpgradeTarget.AP, START + CHECK_INTERVAL),
    ]
    ap = rig.switch.state().ap_information.version_information
    assert ap.refresh_time == START + CHECK_INTERVAL

    rig.configure(ap=Ap(enabled=False))
    seen = len(rig.events)
    await rig.clock.advance(CHECK_INTERVAL)
    later = [e.target for e in rig.events[seen:] if isinstance(e, VersionChecked)]
    assert later == [UpgradeTarget.SWITCH]


async def test_an_ap_upgrade_leaves_the_switch_schedule_be(make_rig: SwitchFactory) -> None:
    """The seed: the schedule "takes effect only for smart upgrade of switches instead of
    APs"; what disables it is the switch's own download and right-now."""
    rig = await _ap_mode(make_rig, schedule=Schedule("2026-11-27 10:00:00"))
    assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    assert rig.schedule_cancel_requests == 0
    assert await (await rig.switch.download(UpgradeTarget.SWITCH)).wait() is (
        UpgradeStatus.OTHER  # the switch already runs the recommended version
    )
    assert rig.schedule_cancel_requests == 1


@pytest.mark.parametrize(
    ("ap", "configured", "message"),
    [
        (AP, False, "Smart AP upgrade is not enabled."),
        (None, True, "The switch manages no AP."),
    ],
)
async def test_ap_refusals(
    make_rig: SwitchFactory, ap: str | None, configured: bool, message: str
) -> None:
    rig = await make_rig(ap=ap, ap_software="V200R019C10" if ap else None)
    rig.configure(ap=Ap(enabled=configured))
    with pytest.raises(OperationRefusedError) as refused:
        await rig.switch.download(UpgradeTarget.AP)
    assert refused.value.message == message
    if configured:  # in AP mode, a request without a target is the AP's
        with pytest.raises(OperationRefusedError) as refused:
            await rig.switch.right_now()
        assert refused.value.message == message
