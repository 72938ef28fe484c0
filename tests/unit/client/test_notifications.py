"""The SDK's side of notifications: the subscription request and following progress."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from smartupgrade_client import messages, parsers
from smartupgrade_client.progress import ProgressTracker, offers_notifications
from smartupgrade_client.results import Progress
from smartupgrade_model.model import NAMESPACE, FileKind, UpgradeInformation, UpgradeStatus

NOTIFICATION = "urn:ietf:params:xml:ns:netconf:notification:1.0"


def notification(body: str) -> str:
    return (
        f'<notification xmlns="{NOTIFICATION}"><eventTime>2026-11-27T09:00:00+08:00</eventTime>'
        f"{body}</notification>"
    )


def progress(kind: str, percent: int, speed: str = "10.5") -> str:
    return notification(
        f'<download-progress xmlns="{NAMESPACE}"><file-kind>{kind}</file-kind>'
        f"<percent>{percent}</percent><speed>{speed}</speed></download-progress>"
    )


def status(value: str) -> str:
    return notification(
        f'<upgrade-status-changed xmlns="{NAMESPACE}"><upgrade-status>{value}</upgrade-status>'
        "</upgrade-status-changed>"
    )


def test_the_subscription_filters_on_the_followed_notifications() -> None:
    request = messages.create_subscription()
    assert request.tag == f"{{{NOTIFICATION}}}create-subscription"
    (selection,) = request
    assert selection.get("type") == "subtree"
    assert [child.tag for child in selection] == [
        f"{{{NAMESPACE}}}download-progress",
        f"{{{NAMESPACE}}}upgrade-status-changed",
    ]


def test_capabilities_tell_whether_notifications_are_offered() -> None:
    assert offers_notifications(["urn:ietf:params:netconf:capability:notification:1.0"])
    assert not offers_notifications(["urn:ietf:params:netconf:base:1.1"])


def test_progress_per_file_then_the_final_status() -> None:
    seen: list[Progress] = []
    tracker = ProgressTracker(seen.append)
    events = [
        progress("software", 0),
        progress("software", 40),
        progress("software", 40),
        progress("software-signature", 100),
        progress("patch", 100),
        status("running"),
    ]
    for raw in events:
        event = parsers.notification_content(raw)
        assert event is not None
        assert not tracker.notified(event)
    final = parsers.notification_content(status("file-check-failed"))
    assert final is not None and tracker.notified(final)
    assert seen == [
        Progress(FileKind.SOFTWARE, 0, Decimal("10.5"), UpgradeStatus.RUNNING),
        Progress(FileKind.SOFTWARE, 40, Decimal("10.5"), UpgradeStatus.RUNNING),
        Progress(FileKind.PATCH, 100, Decimal("10.5"), UpgradeStatus.RUNNING),
    ]


def test_notifications_older_than_the_snapshot_report_nothing() -> None:
    # wait() reads a snapshot, then follows the queue, which may still hold notifications the
    # switch sent before its reply
    seen: list[Progress] = []
    tracker = ProgressTracker(seen.append)
    tracker.update(
        UpgradeInformation(
            upgrade_status=UpgradeStatus.RUNNING,
            software_download_progress=100,
            software_download_speed=Decimal("10.5"),
        )
    )
    for raw in (progress("software", 0), progress("software", 100), progress("patch", 0)):
        event = parsers.notification_content(raw)
        assert event is not None and not tracker.notified(event)
    assert [(p.file_kind, p.percent) for p in seen] == [
        (FileKind.SOFTWARE, 100),
        (FileKind.PATCH, 0),
    ]


def test_a_document_that_is_no_notification_has_no_event() -> None:
    assert parsers.notification_content("<rpc-reply/>") is None
    assert parsers.notification_content("not xml") is None
    assert parsers.notification_content(notification("")) is None
    other = parsers.notification_content(notification('<x xmlns="urn:other"/>'))
    assert other is not None and not ProgressTracker(None).notified(other)
    assert etree.QName(other).localname == "x"
