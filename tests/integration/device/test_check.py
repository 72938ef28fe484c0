"""Version check results from their real causes, and the periodic check on the clock."""

from __future__ import annotations

from datetime import timedelta

from smartupgrade_model.model import CheckResult, UpgradeStatus
from smartupgrade_server.device.events import VersionChecked
from smartupgrade_server.device.transitions import CHECK_INTERVAL
from smartupgrade_server.houp.server import HoupServer
from tests.integration.device.conftest import SwitchFactory
from tests.support.defaults import START
from tests.support.houp import PATCH, PATCH_SIZE, SOFTWARE, SOFTWARE_SIZE


async def test_need_update_fills_version_information(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    info = await rig.switch.refresh()
    assert info.check_result is CheckResult.NEED_UPDATE
    assert info.refresh_time == START
    assert (info.recommended_software_version, info.recommended_patch_version) == (
        "V200R024C00",
        "V200R020SPH001",
    )
    assert (info.software_package_name, info.software_package_size) == (SOFTWARE, SOFTWARE_SIZE)
    assert (info.patch_package_name, info.patch_package_size) == (PATCH, PATCH_SIZE)
    assert info.description_in_english == "1)description:2)CC+SPH"
    assert rig.switch.state().version_information == info


async def test_version_optimal(make_rig: SwitchFactory) -> None:
    rig = await make_rig(software="V200R024C00", patch="V200R020SPH001")
    assert (await rig.switch.refresh()).check_result is CheckResult.VERSION_OPTIMAL


async def test_net_error_when_houp_unreachable(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    await houp.set_unreachable(True)
    info = await rig.switch.refresh()
    assert info.check_result is CheckResult.NET_ERROR
    assert info.recommended_software_version is None


async def test_older_offer_is_refused_as_optimal(make_rig: SwitchFactory, houp: HoupServer) -> None:
    rig = await make_rig()
    houp.faults.offer_older_version = "V200R019C10"
    assert (await rig.switch.refresh()).check_result is CheckResult.VERSION_OPTIMAL
    assert any("does not roll back" in line for line in rig.lines())


async def test_periodic_check_every_24_hours_updates_refresh_time(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    await rig.clock.advance(CHECK_INTERVAL - timedelta(seconds=1))
    assert rig.switch.state().version_information.refresh_time is None
    await rig.clock.advance(timedelta(seconds=1))
    assert rig.switch.state().version_information.refresh_time == START + CHECK_INTERVAL
    await rig.clock.advance(CHECK_INTERVAL)
    checks = [e for e in rig.events if isinstance(e, VersionChecked)]
    assert [c.refresh_time for c in checks] == [START + CHECK_INTERVAL, START + 2 * CHECK_INTERVAL]
    assert len([r for r in houp.stats.requests if r.path == "/api/v1/version-check"]) == 2


async def test_disabling_stops_the_periodic_check(make_rig: SwitchFactory) -> None:
    rig = await make_rig()
    rig.configure(enabled=False)
    await rig.clock.advance(2 * CHECK_INTERVAL)
    assert not [e for e in rig.events if isinstance(e, VersionChecked)]


async def test_houp_by_name_through_the_host_table(make_rig: SwitchFactory) -> None:
    # The default URL, resolved by the switch's host table; the certificate names it.
    rig = await make_rig(url="s.houp.huawei.com", hosts={"s.houp.huawei.com": "127.0.0.1"})
    assert (await rig.switch.refresh()).check_result is CheckResult.NEED_UPDATE


async def test_a_model_the_houp_has_no_version_for_is_not_a_network_error(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    """The HOUP answers 404 unsupportedModel (its catalogue has no S300 family): the network
    works, so the check is versionOptimal, and a download says why it ends with other."""
    rig = await make_rig(model="S310-24P4X", patch=None)
    info = await rig.switch.refresh()
    assert info.check_result is CheckResult.VERSION_OPTIMAL
    assert info.recommended_software_version is None
    assert await (await rig.switch.download()).wait() is UpgradeStatus.OTHER
    assert rig.lines()[-1] == "Error: The houp provides no version for the device S310-24P4X."
    assert rig.switch.state().version_information.check_result is CheckResult.VERSION_OPTIMAL
    answered = [r.status for r in houp.stats.requests if r.path == "/api/v1/version-check"]
    assert answered == [404, 404]
