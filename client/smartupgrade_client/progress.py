"""Following an operation to its final status. No I/O.

``wait`` in both clients follows an operation through a :class:`ProgressTracker`, which reports
what changed as :class:`Progress` and says when the status is final. When the server offers
RFC 5277 notifications (:func:`offers_notifications`) the tracker is fed the module's
``download-progress`` and ``upgrade-status-changed`` notifications
(:meth:`ProgressTracker.notified`); otherwise each snapshot of
``/smart-upgrade/upgrade-information`` that polling ``<get>`` reads
(:meth:`ProgressTracker.update`). Both produce the same :class:`Progress` values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from lxml import etree

from smartupgrade_client.errors import upgrade_failure
from smartupgrade_client.results import Progress
from smartupgrade_model.model import (
    NAMESPACE,
    FileKind,
    UpgradeInformation,
    UpgradeStatus,
    UpgradeTarget,
)

ProgressCallback = Callable[[Progress], None]
NOTIFICATION_CAPABILITY = "urn:ietf:params:netconf:capability:notification:1.0"
# the files whose progress wait() reports (signatures are too small to follow)
_FOLLOWED_FILES = (FileKind.SOFTWARE, FileKind.PATCH)


def offers_notifications(capabilities: Iterable[str]) -> bool:
    return any(c.strip() == NOTIFICATION_CAPABILITY for c in capabilities)


def is_final(information: UpgradeInformation) -> bool:
    """Nothing is running any more (also true when no upgrade ever ran)."""
    return information.upgrade_status is not UpgradeStatus.RUNNING


def outcome(information: UpgradeInformation, said: str | None = None) -> UpgradeInformation:
    """The information of a successful end, or the typed failure raised (with what the
    switch ``said`` as it ended, if known)."""
    status = information.upgrade_status
    if status is None or status is UpgradeStatus.SUCCESS:
        return information
    raise upgrade_failure(information, said)


class ProgressTracker:
    """Reports each file's progress once per change of its percent or rate, for the operations
    of ``target`` (the switch, or its AP)."""

    def __init__(
        self, callback: ProgressCallback | None, target: UpgradeTarget = UpgradeTarget.SWITCH
    ) -> None:
        self._callback = callback
        self._target = target
        self._last: dict[FileKind, tuple[int, Decimal | None]] = {}
        # the final status a notification announced, and what the switch said with it
        self._said: tuple[UpgradeStatus, str] | None = None

    def notified(self, event: etree._Element) -> bool:
        """Report the progress a notification of the module carries; True when it announces
        a final upgrade status (the operation is over)."""
        if etree.QName(event).namespace != NAMESPACE:
            return False
        leaves = {
            etree.QName(child).localname: (child.text or "").strip()
            for child in event
            if isinstance(child.tag, str)
        }
        kind = etree.QName(event).localname
        if UpgradeTarget(leaves.get("target", UpgradeTarget.SWITCH)) is not self._target:
            return False
        if kind == "upgrade-status-changed" and "upgrade-status" in leaves:
            status = UpgradeStatus(leaves["upgrade-status"])
            if status is UpgradeStatus.RUNNING:
                return False
            if leaves.get("message"):
                self._said = (status, leaves["message"])
            return True
        if kind == "download-progress" and "percent" in leaves:
            file_kind = FileKind(leaves["file-kind"])
            if file_kind in _FOLLOWED_FILES:
                speed = Decimal(leaves["speed"]) if "speed" in leaves else None
                self._report(
                    [Progress(file_kind, int(leaves["percent"]), speed, UpgradeStatus.RUNNING)]
                )
        return False

    def said(self, information: UpgradeInformation) -> str | None:
        """What the switch said as its status became ``information``'s final one, if a
        notification told."""
        if self._said is None or self._said[0] is not information.upgrade_status:
            return None
        return self._said[1]

    def _report(self, candidates: list[Progress]) -> list[Progress]:
        changes = []
        for change in candidates:
            last = self._last.get(change.file_kind)
            if last == (change.percent, change.speed):
                continue
            # A file's percent never falls within one operation (a cut download resumes at
            # its byte): a lower one is a notification sent before the snapshot wait() read.
            if last is not None and change.percent < last[0]:
                continue
            self._last[change.file_kind] = (change.percent, change.speed)
            changes.append(change)
        if self._callback is not None:
            for change in changes:
                self._callback(change)
        return changes

    def update(self, information: UpgradeInformation) -> list[Progress]:
        """The changes since the previous snapshot, also passed to the callback in order."""
        return self._report(
            [
                Progress(kind, percent, speed, information.upgrade_status)
                for kind, percent, speed in (
                    (
                        FileKind.SOFTWARE,
                        information.software_download_progress,
                        information.software_download_speed,
                    ),
                    (
                        FileKind.PATCH,
                        information.patch_download_progress,
                        information.patch_download_speed,
                    ),
                )
                if percent is not None
            ]
        )
