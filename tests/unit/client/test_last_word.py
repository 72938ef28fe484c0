"""The replay wait() asks for after a failure, and reading the switch's last word from it."""

from __future__ import annotations

from lxml import etree

from smartupgrade_client import parsers, push
from smartupgrade_client.progress import ProgressTracker
from smartupgrade_model.model import NAMESPACE, UpgradeInformation, UpgradeStatus, UpgradeTarget
from tests.support.xml import canonical

SN = push.SUBSCRIBED_NOTIFICATIONS_NS
NOTIFICATION = "urn:ietf:params:xml:ns:netconf:notification:1.0"


def status_changed(status: str, message: str | None, target: str | None = None) -> etree._Element:
    said = "" if message is None else f"<message>{message}</message>"
    aimed = "" if target is None else f"<target>{target}</target>"
    raw = (
        f'<notification xmlns="{NOTIFICATION}"><eventTime>2026-11-27T09:00:00+08:00</eventTime>'
        f'<upgrade-status-changed xmlns="{NAMESPACE}"><operation-id>1</operation-id>'
        f"<upgrade-status>{status}</upgrade-status>{said}{aimed}</upgrade-status-changed>"
        "</notification>"
    )
    event = parsers.notification_content(raw)
    assert event is not None
    return event


def test_the_replay_starts_a_second_before_the_update_that_showed_the_end() -> None:
    request = push.establish_status_replay("2026-11-27T09:00:00.250000+08:00")
    assert canonical(request) == canonical(
        f'<establish-subscription xmlns="{SN}"><stream>NETCONF</stream>'
        f'<stream-subtree-filter><upgrade-status-changed xmlns="{NAMESPACE}"/>'
        "</stream-subtree-filter>"
        "<replay-start-time>2026-11-27T08:59:59.250000+08:00</replay-start-time>"
        "</establish-subscription>"
    )


def test_the_replay_ends_with_its_own_replay_completed() -> None:
    completed = etree.fromstring(f'<replay-completed xmlns="{SN}"><id>7</id></replay-completed>')
    assert push.replay_completed(completed, 7)
    assert not push.replay_completed(completed, 8)
    assert not push.replay_completed(status_changed("success", None), 7)


def test_the_message_of_the_final_status_of_the_target() -> None:
    failed = UpgradeStatus.FILE_CHECK_FAILED
    event = status_changed("file-check-failed", "Signature verification failed.")
    assert push.status_message(event, UpgradeTarget.SWITCH, failed) == (
        "Signature verification failed."
    )
    assert push.status_message(event, UpgradeTarget.AP, failed) is None
    assert push.status_message(event, UpgradeTarget.SWITCH, UpgradeStatus.NET_ERROR) is None
    assert push.status_message(status_changed("running", "x"), UpgradeTarget.SWITCH, failed) is None
    ap = status_changed("file-check-failed", "AP said.", "ap")
    assert push.status_message(ap, UpgradeTarget.AP, failed) == "AP said."


def test_the_tracker_keeps_what_the_final_notification_said() -> None:
    tracker = ProgressTracker(None)
    assert not tracker.notified(status_changed("running", "Info: downloading."))
    assert tracker.notified(status_changed("net-error", "The network is unavailable."))
    failed = UpgradeInformation(upgrade_status=UpgradeStatus.NET_ERROR)
    assert tracker.said(failed) == "The network is unavailable."
    other = UpgradeInformation(upgrade_status=UpgradeStatus.SYSTEM_ERROR)
    assert tracker.said(other) is None
