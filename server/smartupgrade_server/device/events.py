"""What the switch tells its observers (the NETCONF layer, the command line).

The events match the YANG notifications `version-checked`, `download-progress`,
`upgrade-status-changed` and `schedule-event` (their `target` says whether the switch or its AP
is meant); `Line` carries every Info/Error line, and `Rebooting`/`Booted` bracket a reboot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from smartupgrade_model.model import (
    CancellationStatus,
    CheckOutcome,
    CheckResult,
    FileKind,
    ScheduleStep,
    UpgradeStatus,
    UpgradeTarget,
)
from smartupgrade_server.device.messages import Message


@dataclass(frozen=True)
class Line:
    """An Info or Error line. `transient` lines (intermediate `Current percent is N%.`) are
    overwritten in place by the command line."""

    message: Message
    operation_id: int | None = None
    transient: bool = False


@dataclass(frozen=True)
class VersionChecked:
    refresh_time: datetime
    check_result: CheckResult
    recommended_software_version: str | None
    recommended_patch_version: str | None
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class DownloadProgress:
    operation_id: int
    file_name: str
    file_kind: FileKind
    percent: int
    speed: Decimal
    bytes_received: int
    file_size: int
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class UpgradeStatusChanged:
    operation_id: int
    upgrade_status: UpgradeStatus
    cancellation_status: CancellationStatus | None
    message: str | None
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class ScheduleEvent:
    event: ScheduleStep
    pre_check_result: CheckOutcome | None = None
    operation_id: int | None = None


@dataclass(frozen=True)
class Rebooting:
    """The switch goes down now; it is back after `Booted`."""


@dataclass(frozen=True)
class Booted:
    software_version: str
    patch_version: str | None


DeviceEvent = (
    Line
    | VersionChecked
    | DownloadProgress
    | UpgradeStatusChanged
    | ScheduleEvent
    | Rebooting
    | Booted
)
Observer = Callable[[DeviceEvent], None]
