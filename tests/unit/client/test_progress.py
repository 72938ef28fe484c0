"""Following an operation: progress changes and final outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartupgrade_client.errors import UpgradeCancelled, UpgradeFailed
from smartupgrade_client.progress import ProgressTracker, is_final, outcome
from smartupgrade_client.results import Progress
from smartupgrade_model.model import FileKind, UpgradeInformation, UpgradeStatus

RUNNING = UpgradeStatus.RUNNING


def test_each_change_is_reported_once() -> None:
    seen: list[Progress] = []
    tracker = ProgressTracker(seen.append)
    snapshots = [
        UpgradeInformation(upgrade_status=RUNNING),
        UpgradeInformation(upgrade_status=RUNNING, software_download_progress=0),
        UpgradeInformation(
            upgrade_status=RUNNING,
            software_download_progress=40,
            software_download_speed=Decimal("512.5"),
        ),
        UpgradeInformation(
            upgrade_status=RUNNING,
            software_download_progress=40,
            software_download_speed=Decimal("512.5"),
        ),
        UpgradeInformation(
            upgrade_status=RUNNING,
            software_download_progress=100,
            software_download_speed=Decimal("500"),
            patch_download_progress=100,
            patch_download_speed=Decimal("2.1"),
        ),
    ]
    returned = [tracker.update(snapshot) for snapshot in snapshots]
    assert seen == [change for changes in returned for change in changes]
    assert seen == [
        Progress(FileKind.SOFTWARE, 0, None, RUNNING),
        Progress(FileKind.SOFTWARE, 40, Decimal("512.5"), RUNNING),
        Progress(FileKind.SOFTWARE, 100, Decimal("500"), RUNNING),
        Progress(FileKind.PATCH, 100, Decimal("2.1"), RUNNING),
    ]


def test_without_a_callback_changes_are_returned() -> None:
    tracker = ProgressTracker(None)
    snapshot = UpgradeInformation(upgrade_status=RUNNING, patch_download_progress=5)
    assert tracker.update(snapshot) == [Progress(FileKind.PATCH, 5, None, RUNNING)]


@pytest.mark.parametrize("status", [*UpgradeStatus, None])
def test_only_running_is_not_final(status: UpgradeStatus | None) -> None:
    assert is_final(UpgradeInformation(upgrade_status=status)) is (status is not RUNNING)


@pytest.mark.parametrize("status", [UpgradeStatus.SUCCESS, None])
def test_success_is_returned(status: UpgradeStatus | None) -> None:
    information = UpgradeInformation(upgrade_status=status)
    assert outcome(information) is information


@pytest.mark.parametrize(
    "status",
    [s for s in UpgradeStatus if s not in (UpgradeStatus.SUCCESS, UpgradeStatus.RUNNING)],
)
def test_every_other_final_status_raises(status: UpgradeStatus) -> None:
    with pytest.raises(UpgradeFailed) as caught:
        outcome(UpgradeInformation(upgrade_status=status))
    assert caught.value.status is status
    assert isinstance(caught.value, UpgradeCancelled) is (status is UpgradeStatus.UPGRADE_CANCELLED)
