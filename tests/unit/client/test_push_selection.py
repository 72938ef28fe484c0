"""What wait() subscribes to: the upgrade information of the target it waits for, by the
container names of the module's display sections."""

from smartupgrade_client import messages, push
from smartupgrade_model.model import UpgradeTarget


def test_the_switch_s_upgrade_information() -> None:
    container = messages.of_target("upgrade-information", UpgradeTarget.SWITCH)
    assert push.xpath_of(container) == push.UPGRADE_INFORMATION
    assert push.UPGRADE_INFORMATION == "/su:smart-upgrade/su:upgrade-information"


def test_the_ap_s_upgrade_information() -> None:
    container = messages.of_target("upgrade-information", UpgradeTarget.AP)
    assert push.xpath_of(container) == (
        "/su:smart-upgrade/su:ap-information/su:upgrade-information"
    )
