"""Every upgrade status from its real cause, over real HTTPS."""

from __future__ import annotations

import asyncio
import shutil
import socket
from datetime import timedelta

import pytest

from smartupgrade_model.model import Ap, CancellationStatus, UpgradeStatus, UpgradeTarget
from smartupgrade_server.device.events import DeviceEvent, DownloadProgress
from smartupgrade_server.device.refusals import ConfigRejectedError, OperationRefusedError
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.houp.faults import BreakAfter
from smartupgrade_server.houp.server import HoupServer
from tests.integration.device.conftest import SwitchFactory
from tests.support.device import DeviceRig
from tests.support.houp import PATCH, SOFTWARE


async def _download(rig: DeviceRig) -> UpgradeStatus:
    return await (await rig.switch.download()).wait()


def _where(rig: DeviceRig) -> str:
    """The HOUP as the switch's Error lines name it."""
    return f"127.0.0.1:{rig.houp.port}"


def _last(
    rig: DeviceRig, target: UpgradeTarget = UpgradeTarget.SWITCH
) -> tuple[UpgradeStatus | None, UpgradeStatus | None]:
    state = rig.switch.state()
    info = (
        state.ap_information.upgrade_information
        if target is UpgradeTarget.AP
        else state.upgrade_information
    )
    return info.upgrade_status, info.last_upgrade_result


async def _downloading(switch: Switch) -> None:
    """Until a download is moving bytes (its first progress event past the start)."""
    moving = asyncio.Event()

    def watch(event: DeviceEvent) -> None:
        if isinstance(event, DownloadProgress) and 0 < event.percent < 100:
            moving.set()

    unsubscribe = switch.subscribe(watch)
    try:
        await moving.wait()
    finally:
        unsubscribe()


async def test_running_while_downloading(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.settings.bandwidth_limit = 200_000
    operation = await rig.switch.download()
    await _downloading(rig.switch)
    assert rig.switch.state().upgrade_information.upgrade_status is UpgradeStatus.RUNNING
    with pytest.raises(OperationRefusedError) as refused:
        await rig.switch.right_now()
    assert refused.value.app_tag == "upgrade-in-progress"
    with pytest.raises(ConfigRejectedError) as rejected:
        rig.configure(enabled=False)
    assert (rejected.value.error_tag, rejected.value.app_tag) == ("in-use", "upgrade-in-progress")
    rig.configure(web_prompt=False)  # not something the upgrade depends on
    houp.settings.bandwidth_limit = None
    assert await operation.wait() is UpgradeStatus.SUCCESS


async def test_net_error_connection_broken(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.break_after = BreakAfter(bytes=1000, file=PATCH)
    assert await _download(rig) is UpgradeStatus.NET_ERROR
    assert _last(rig) == (UpgradeStatus.NET_ERROR, UpgradeStatus.NET_ERROR)
    assert rig.lines()[-1] == (
        "Error: Failed to communicate with houp (network error): the connection to "
        f"{_where(rig)} was broken."
    )


async def test_net_error_timeout(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.delay = 5.0  # the rig's network timeout is 2 s
    assert await _download(rig) is UpgradeStatus.NET_ERROR
    assert rig.lines()[-1] == (
        f"Error: Failed to communicate with houp (network error): {_where(rig)} did "
        "not answer in time."
    )


async def test_net_error_connection_refused(make_rig: SwitchFactory) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    rig = await make_rig(https_port=closed)
    assert await _download(rig) is UpgradeStatus.NET_ERROR
    assert rig.lines()[-1] == (
        "Error: Failed to communicate with houp (network error): "
        f"127.0.0.1:{closed} refused the connection."
    )


async def test_net_error_for_a_name_dns_cannot_carry(make_rig: SwitchFactory) -> None:
    # the seed takes any 127 characters; one label of 127 is no DNS name (63 at most)
    name = "h" * 127
    rig = await make_rig(url=name)
    assert await _download(rig) is UpgradeStatus.NET_ERROR
    assert rig.lines()[-1] == (
        f"Error: Failed to communicate with houp (network error): the host name {name} cannot "
        "be resolved."
    )


async def test_server_spec_up_limit(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.settings.max_connections = 0
    assert await _download(rig) is UpgradeStatus.SERVER_SPEC_UP_LIMIT
    assert rig.lines()[-1] == (
        f"Error: The houp connection limit has been reached: {_where(rig)} refused "
        "another connection."
    )


async def test_cert_out_date(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.expired_certificate = True
    assert await _download(rig) is UpgradeStatus.CERT_OUT_DATE
    assert rig.lines()[-1] == (
        f"Error: The houp server certificate has expired: {_where(rig)} sent a "
        "certificate past its validity."
    )


async def test_expired_certificate_accepted_without_verification(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig(verify_server=False)
    houp.faults.expired_certificate = True
    assert await _download(rig) is UpgradeStatus.SUCCESS


async def test_write_flash_failed(make_rig: SwitchFactory) -> None:
    rig = await make_rig(flash_capacity=200_000)
    assert await _download(rig) is UpgradeStatus.WRITE_FLASH_FAILED
    assert (
        rig.lines()[-1]
        == "Error: Failed to save the file in the flash memory: the flash memory is full."
    )
    assert rig.switch.flash.size(SOFTWARE) == 200_000  # what fitted stays


@pytest.mark.parametrize("fault", ["corrupt_content", "corrupt_signature"])
async def test_file_check_failed(make_rig: SwitchFactory, houp: HoupServer, fault: str) -> None:
    rig = await make_rig()
    setattr(houp.faults, fault, {SOFTWARE})
    assert await _download(rig) is UpgradeStatus.FILE_CHECK_FAILED
    assert "Error: Signature verification failed." in rig.lines()
    assert rig.switch.state().upgrade_information.last_upgrade_result is (
        UpgradeStatus.FILE_CHECK_FAILED
    )


async def test_file_not_match_other_model(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.offer_other_model = "S6730-H"
    assert await _download(rig) is UpgradeStatus.FILE_NOT_MATCH
    assert not rig.switch.flash.files()


async def test_upgrade_cancelled(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.settings.bandwidth_limit = 100_000
    operation = await rig.switch.download()
    await _downloading(rig.switch)
    assert rig.switch.cancel() is CancellationStatus.CANCELLING
    assert await operation.wait() is UpgradeStatus.UPGRADE_CANCELLED
    info = rig.switch.state().upgrade_information
    assert info.cancellation_status is CancellationStatus.SUCCESSFUL
    assert info.last_upgrade_result is UpgradeStatus.UPGRADE_CANCELLED
    assert 0 < (rig.switch.flash.size(SOFTWARE) or 0) < 300000  # the breakpoint stays


async def test_a_cancel_before_the_run_s_work_has_begun(make_rig: SwitchFactory) -> None:
    # the version check's task is made but has not run a step when the cancel comes: the
    # run must still stop (it stayed cancelling, status running, for ever)
    rig = await make_rig()
    operation = await rig.switch.download()
    assert rig.switch.cancel() is CancellationStatus.CANCELLING
    assert await asyncio.wait_for(operation.wait(), 10) is UpgradeStatus.UPGRADE_CANCELLED
    info = rig.switch.state().upgrade_information
    assert info.cancellation_status is CancellationStatus.SUCCESSFUL


async def test_cancel_fails_once_the_switch_reboots(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    assert await (await rig.switch.right_now()).wait() is UpgradeStatus.RUNNING
    assert rig.switch.cancel() is CancellationStatus.FAILED
    await rig.clock.advance(timedelta(minutes=5))
    info = rig.switch.state().upgrade_information
    assert (info.upgrade_status, info.cancellation_status) == (
        UpgradeStatus.SUCCESS,
        CancellationStatus.FAILED,
    )


async def test_abnormal_reset_when_reset_during_download(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    houp.settings.bandwidth_limit = 100_000
    await rig.switch.download()
    await _downloading(rig.switch)
    await rig.switch.reset()
    assert rig.switch.state().upgrade_information.upgrade_status is UpgradeStatus.RUNNING
    await rig.clock.advance(timedelta(minutes=5))
    assert _last(rig) == (UpgradeStatus.ABNORMAL_RESET, UpgradeStatus.ABNORMAL_RESET)
    assert rig.switch.software_version == "V200R020C00"


async def test_abnormal_reset_after_process_restart_during_download(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    houp.settings.bandwidth_limit = 100_000
    await rig.switch.download()
    await _downloading(rig.switch)
    await rig.switch.close()  # the process ends mid-download
    houp.settings.bandwidth_limit = None
    again = await make_rig(data_dir=rig.data_dir)
    assert _last(again) == (UpgradeStatus.ABNORMAL_RESET, UpgradeStatus.ABNORMAL_RESET)
    # The breakpoint survived: the next download resumes.
    assert await _download(again) is UpgradeStatus.SUCCESS
    assert any(line.startswith("Info: Resume from the ") for line in again.lines())


async def test_system_error_when_the_flash_breaks(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    flash = rig.switch.flash.directory
    shutil.rmtree(flash)
    flash.write_bytes(b"")  # the flash file system is gone: not a directory any more
    assert await _download(rig) is UpgradeStatus.SYSTEM_ERROR
    assert rig.lines()[-1] == "Error: System error: the flash memory cannot be read or written."


async def test_other_when_the_ssl_policy_does_not_trust_the_houp(
    make_rig: SwitchFactory,
) -> None:
    rig = await make_rig()
    rig.switch.apply_config(rig.switch.state(), {"houp": []})
    assert await _download(rig) is UpgradeStatus.OTHER
    assert rig.lines()[-1] == (
        f"Error: The upgrade failed: the certificate of {_where(rig)} is not issued by "
        "a CA of the bound SSL policy."
    )


async def test_other_when_houp_offers_a_rollback(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.offer_older_version = "V200R019C10"
    assert await _download(rig) is UpgradeStatus.OTHER
    assert not rig.switch.flash.files()


async def test_ap_upgrade(make_rig: SwitchFactory) -> None:
    rig = await make_rig(
        software="V200R024C00",
        patch=None,
        ap="AirEngine 8760-X1-PRO",
        ap_software="V200R019C10",
    )
    rig.configure(ap=Ap(enabled=True))
    assert rig.switch.state().ap_information.device_type == "AirEngine 8760-X1-PRO"
    assert await (await rig.switch.right_now(UpgradeTarget.AP)).wait() is UpgradeStatus.RUNNING
    await rig.clock.advance(timedelta(minutes=5))
    assert rig.switch.ap_software_version == "V200R024C00"
    assert rig.switch.up and rig.reboots == 0  # the APs rebooted, not the switch
    assert _last(rig, UpgradeTarget.AP) == (UpgradeStatus.SUCCESS, UpgradeStatus.SUCCESS)
    assert _last(rig) == (None, None)  # the switch's own upgrade information


async def test_ap_file_not_matching_the_switch_version(make_rig: SwitchFactory) -> None:
    # the switch runs its factory V200R020C00; the HOUP's AP software is V200R024C00
    rig = await make_rig(ap="AirEngine 8760-X1-PRO", ap_software="V200R019C10")
    rig.configure(ap=Ap(enabled=True))
    assert await (await rig.switch.download()).wait() is UpgradeStatus.FILE_NOT_MATCH
    assert _last(rig, UpgradeTarget.AP) == (
        UpgradeStatus.FILE_NOT_MATCH,
        UpgradeStatus.FILE_NOT_MATCH,
    )
    assert rig.lines()[-1] == (
        "Error: The upgrade file version of the AP does not match the software version of the "
        "switch."
    )
