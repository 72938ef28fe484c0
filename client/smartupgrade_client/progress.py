"""Following an operation to its final status. No I/O.

``wait`` in both clients feeds each snapshot of ``/smart-upgrade/upgrade-information`` it reads
to a :class:`ProgressTracker`, which reports what changed as :class:`Progress` and says when the
status is final. Today the snapshots come from polling ``<get>``; once the server sends the
module's ``download-progress`` and ``upgrade-status-changed`` notifications, a notification
source produces the same :class:`Progress` values and final status, and the callback API of
``wait`` stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from smartupgrade_client.errors import upgrade_failure
from smartupgrade_client.model import FileKind, UpgradeInformation, UpgradeStatus
from smartupgrade_client.results import Progress

ProgressCallback = Callable[[Progress], None]


def is_final(information: UpgradeInformation) -> bool:
    """Nothing is running any more (also true when no upgrade ever ran)."""
    return information.upgrade_status is not UpgradeStatus.RUNNING


def outcome(information: UpgradeInformation) -> UpgradeInformation:
    """The information of a successful end, or the typed failure raised."""
    status = information.upgrade_status
    if status is None or status is UpgradeStatus.SUCCESS:
        return information
    raise upgrade_failure(information)


class ProgressTracker:
    """Reports each file's progress once per change of its percent or rate."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last: dict[FileKind, tuple[int, Decimal | None]] = {}

    def update(self, information: UpgradeInformation) -> list[Progress]:
        """The changes since the previous snapshot, also passed to the callback in order."""
        changes: list[Progress] = []
        for kind, percent, speed in (
            (
                FileKind.SOFTWARE,
                information.software_download_progress,
                information.software_download_speed,
            ),
            (FileKind.PATCH, information.patch_download_progress, information.patch_download_speed),
        ):
            if percent is None or self._last.get(kind) == (percent, speed):
                continue
            self._last[kind] = (percent, speed)
            changes.append(Progress(kind, percent, speed, information.upgrade_status))
        if self._callback is not None:
            for change in changes:
                self._callback(change)
        return changes
