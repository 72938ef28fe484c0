"""Scheduled upgrades on the simulated clock: download at T, reboot at T', the retry at T'
after a network failure at T, and what cancels a schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartupgrade_model.model import (
    Ap,
    CheckOutcome,
    Schedule,
    ScheduleInformation,
    ScheduleStep,
    Triggered,
    UpgradeStatus,
)
from smartupgrade_server.device.events import DeviceEvent, ScheduleEvent
from smartupgrade_server.device.refusals import ConfigRejectedError
from smartupgrade_server.houp.server import HoupServer
from tests.integration.device.conftest import SwitchFactory
from tests.support.defaults import START
from tests.support.device import device_config
from tests.support.houp import PATCH_SIZE, SOFTWARE_SIZE

T = "2026-11-27 10:00:00"  # START + 1 h
T_REBOOT = "2026-11-27 11:00:00"  # START + 2 h
HOUR = timedelta(hours=1)
REBOOT = timedelta(minutes=5)


def steps(events: list[DeviceEvent]) -> list[tuple[ScheduleStep, CheckOutcome | None]]:
    return [(e.event, e.pre_check_result) for e in events if isinstance(e, ScheduleEvent)]


async def test_download_at_t_then_reboot_at_t2(make_rig: SwitchFactory) -> None:
    rig = await make_rig(schedule=Schedule(T, T_REBOOT))
    assert rig.switch.state().schedule_information == ScheduleInformation(
        download_time=T, reboot_time=T_REBOOT
    )
    await rig.clock.advance(HOUR)
    info = rig.switch.state()
    assert info.schedule_information.download_triggered is Triggered.YES
    assert info.schedule_information.download_pre_check_result is CheckOutcome.SUCCEEDED
    assert info.schedule_information.reboot_triggered is Triggered.NO
    assert info.upgrade_information.upgrade_status is UpgradeStatus.SUCCESS
    assert rig.switch.software_version == "V200R020C00"

    await rig.clock.advance(HOUR)
    assert not rig.switch.up
    schedule = rig.switch.state().schedule_information
    assert (schedule.reboot_triggered, schedule.reboot_triggered_result) == (
        Triggered.YES,
        CheckOutcome.SUCCEEDED,
    )
    await rig.clock.advance(REBOOT)
    assert rig.switch.software_version == "V200R024C00"
    assert rig.switch.state().upgrade_information.last_upgrade_time == START + 2 * HOUR + REBOOT
    assert steps(rig.events) == [
        (ScheduleStep.DOWNLOAD_TRIGGERED, CheckOutcome.SUCCEEDED),
        (ScheduleStep.REBOOT_TRIGGERED, CheckOutcome.SUCCEEDED),
    ]
    assert rig.schedule_cancel_requests == 0  # the schedule's own reboot completes it


async def test_download_only_schedule_leaves_the_reboot_to_the_user(
    make_rig: SwitchFactory,
) -> None:
    rig = await make_rig(schedule=Schedule(T))
    await rig.clock.advance(3 * HOUR)
    assert rig.switch.up and rig.switch.software_version == "V200R020C00"
    await rig.switch.reset()  # the manual restart completes the upgrade
    await rig.clock.advance(REBOOT)
    assert rig.switch.software_version == "V200R024C00"
    assert rig.switch.state().upgrade_information.last_upgrade_result is UpgradeStatus.SUCCESS


async def test_network_failure_at_t_is_retried_at_the_reboot_time(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig(schedule=Schedule(T, T_REBOOT))
    await houp.set_unreachable(True)
    await rig.clock.advance(HOUR)
    assert rig.switch.state().upgrade_information.upgrade_status is UpgradeStatus.NET_ERROR
    await houp.set_unreachable(False)
    await rig.clock.advance(HOUR)
    assert steps(rig.events) == [
        (ScheduleStep.DOWNLOAD_TRIGGERED, CheckOutcome.SUCCEEDED),
        (ScheduleStep.DOWNLOAD_RETRIED, CheckOutcome.SUCCEEDED),
        (ScheduleStep.REBOOT_TRIGGERED, CheckOutcome.SUCCEEDED),
    ]
    await rig.clock.advance(REBOOT)
    assert rig.switch.software_version == "V200R024C00"


async def test_a_process_restart_clears_the_schedule(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    """The seed: a reset disables the scheduled upgrade. Starting the emulator's process is
    powering the switch on: the schedule it boots with is stopped, not retried at T'."""
    first = await make_rig(schedule=Schedule(T, T_REBOOT))
    await houp.set_unreachable(True)
    await first.clock.advance(HOUR)
    assert first.switch.state().upgrade_information.upgrade_status is UpgradeStatus.NET_ERROR
    await first.switch.close()
    await houp.set_unreachable(False)
    again = await make_rig(data_dir=first.data_dir)
    again.switch.load_config(device_config(houp, schedule=Schedule(T, T_REBOOT)), again.policies())
    assert again.schedule_cancel_requests == 1
    assert steps(again.events) == [(ScheduleStep.CANCELLED, None)]
    assert again.switch.state().schedule_information == ScheduleInformation()
    await again.clock.advance(2 * HOUR)
    assert again.switch.up and again.switch.software_version == "V200R020C00"
    assert steps(again.events) == [(ScheduleStep.CANCELLED, None)]


async def test_the_pre_check_fails_without_room_for_the_files_on_the_flash(
    make_rig: SwitchFactory,
) -> None:
    """The last check named a 300,000-byte software and its patch; the flash has 200,000."""
    rig = await make_rig(flash_capacity=200_000, schedule=Schedule(T, T_REBOOT))
    await rig.switch.refresh()
    await rig.clock.advance(HOUR)
    schedule = rig.switch.state().schedule_information
    assert (schedule.download_triggered, schedule.download_pre_check_result) == (
        Triggered.YES,
        CheckOutcome.FAILED,
    )
    assert rig.lines()[-1] == (
        "Error: The scheduled download cannot start: the flash memory has 200000 byte(s) free, "
        f"{SOFTWARE_SIZE + PATCH_SIZE} byte(s) are needed."
    )
    assert not rig.switch.flash.files()  # nothing was downloaded
    assert rig.switch.state().upgrade_information.upgrade_status is None
    await rig.clock.advance(HOUR)
    assert rig.switch.up  # and the reboot's own pre-check fails: nothing to boot
    assert rig.switch.state().schedule_information.reboot_triggered_result is CheckOutcome.FAILED
    assert steps(rig.events) == [
        (ScheduleStep.DOWNLOAD_TRIGGERED, CheckOutcome.FAILED),
        (ScheduleStep.REBOOT_TRIGGERED, CheckOutcome.FAILED),
    ]


async def test_the_pre_check_fails_while_the_ap_upgrades(make_rig: SwitchFactory) -> None:
    """The switch's own download and right-now stop its schedule; its AP's upgrade does not,
    and at T the AP is still rebooting into it."""
    rig = await make_rig(
        software="V200R024C00", patch=None, ap="AirEngine 8760-X1-PRO", ap_software="V200R019C10"
    )
    rig.configure(ap=Ap(enabled=True), schedule=Schedule(T))
    await rig.clock.advance(HOUR - REBOOT / 2)
    assert await (await rig.switch.right_now()).wait() is UpgradeStatus.RUNNING  # the AP's
    await rig.clock.advance(REBOOT / 2)
    schedule = rig.switch.state().schedule_information
    assert schedule.download_pre_check_result is CheckOutcome.FAILED
    assert (
        rig.lines()[-1] == "Error: The scheduled download cannot start: an upgrade is in progress."
    )
    await rig.clock.advance(REBOOT)
    assert rig.switch.ap_software_version == "V200R024C00"


async def test_schedule_fails_when_the_retry_fails_too(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig(schedule=Schedule(T, T_REBOOT))
    await houp.set_unreachable(True)
    await rig.clock.advance(2 * HOUR)
    schedule = rig.switch.state().schedule_information
    assert (schedule.reboot_triggered, schedule.reboot_triggered_result) == (
        Triggered.YES,
        CheckOutcome.FAILED,
    )
    assert rig.switch.up and rig.switch.software_version == "V200R020C00"


async def test_download_time_must_be_in_the_future(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    with pytest.raises(ConfigRejectedError) as rejected:
        rig.configure(schedule=Schedule("2026-11-27 09:00:00"))
    assert rejected.value.app_tag == "download-time-not-in-future"
    with pytest.raises(ConfigRejectedError) as rejected:
        rig.configure(schedule=Schedule(T, T))
    assert rejected.value.app_tag == "reboot-not-after-download"


@pytest.mark.parametrize("cause", ["download", "right-now", "disable", "reset"])
async def test_schedule_cancelled(make_rig: SwitchFactory, cause: str) -> None:
    rig = await make_rig(schedule=Schedule(T, T_REBOOT))
    if cause == "download":
        await (await rig.switch.download()).wait()
    elif cause == "right-now":
        await (await rig.switch.right_now()).wait()
    elif cause == "disable":
        rig.configure(enabled=False, schedule=Schedule(T, T_REBOOT))
    else:
        await rig.switch.reset()
    assert rig.schedule_cancel_requests == 1
    assert steps(rig.events) == [(ScheduleStep.CANCELLED, None)]
    await rig.clock.advance(3 * HOUR)
    schedule = rig.switch.state().schedule_information
    assert schedule.download_triggered is Triggered.NO
    # The owner deletes the schedule configuration; the switch then forgets it.
    rig.configure(enabled=cause != "disable")
    assert rig.switch.state().schedule_information == ScheduleInformation()
