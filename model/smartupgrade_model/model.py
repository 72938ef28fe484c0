"""Constants, enumerations and state classes of the sunc-smart-upgrade YANG module.

GENERATED from yang/sunc-smart-upgrade@2026-12-06.yang by tools/codegen/generate.py: do not edit.
Run `.venv/bin/python -m tools.codegen.generate` after changing the module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

MODULE: Final = "sunc-smart-upgrade"
REVISION: Final = "2026-12-06"
NAMESPACE: Final = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSL_POLICY_MODULE: Final = "sunc-ssl-policy"
SSL_POLICY_REVISION: Final = "2026-11-27"
SSL_POLICY_NAMESPACE: Final = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
FEATURES: Final = ("ap-upgrade",)
RPCS: Final = ("refresh", "download", "right-now", "cancel")
NOTIFICATIONS: Final = (
    "version-checked",
    "download-progress",
    "upgrade-status-changed",
    "schedule-event",
)


class CancellationStatus(StrEnum):
    """Upgrade cancellation status."""

    INITIAL = "initial"
    """Initial: The initialization is generally performed when the loading starts."""
    CANCELLING = "cancelling"
    """Cancelling: The upgrade is being canceled."""
    SUCCESSFUL = "successful"
    """Successful: The upgrade is successfully canceled."""
    FAILED = "failed"
    """Failed: The upgrade fails to be canceled."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _CANCELLATION_STATUS_DISPLAY[self]


_CANCELLATION_STATUS_DISPLAY: Final[Mapping[str, str]] = {
    "initial": "Initial",
    "cancelling": "Cancelling",
    "successful": "Successful",
    "failed": "Failed",
}


class CheckOutcome(StrEnum):
    """Result of a device status pre-check."""

    FAILED = "failed"
    """failed: The check fails."""
    SUCCEEDED = "succeeded"
    """succeeded: The check is successful."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _CHECK_OUTCOME_DISPLAY[self]


_CHECK_OUTCOME_DISPLAY: Final[Mapping[str, str]] = {
    "failed": "failed",
    "succeeded": "succeeded",
}


class CheckResult(StrEnum):
    """Version check result."""

    NEED_UPDATE = "need-update"
    """needUpdate: An upgrade is required."""
    NET_ERROR = "net-error"
    """netError: The network is unavailable."""
    VERSION_OPTIMAL = "version-optimal"
    """versionOptimal: The version is optimal."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _CHECK_RESULT_DISPLAY[self]


_CHECK_RESULT_DISPLAY: Final[Mapping[str, str]] = {
    "need-update": "needUpdate",
    "net-error": "netError",
    "version-optimal": "versionOptimal",
}


class FileKind(StrEnum):
    """Which of the files of an upgrade."""

    SOFTWARE = "software"
    """The system software package (.cc)."""
    SOFTWARE_SIGNATURE = "software-signature"
    """The detached signature of the software package (.asc)."""
    PATCH = "patch"
    """The patch package (.pat)."""
    PATCH_SIGNATURE = "patch-signature"
    """The detached signature of the patch package (.asc)."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _FILE_KIND_DISPLAY[self]


_FILE_KIND_DISPLAY: Final[Mapping[str, str]] = {
    "software": "software",
    "software-signature": "software-signature",
    "patch": "patch",
    "patch-signature": "patch-signature",
}


class ScheduleStep(StrEnum):
    """A step of a scheduled upgrade."""

    DOWNLOAD_TRIGGERED = "download-triggered"
    """The scheduled download started."""
    DOWNLOAD_RETRIED = "download-retried"
    """The scheduled download failed and was retried at the reboot time."""
    REBOOT_TRIGGERED = "reboot-triggered"
    """The scheduled reboot was triggered."""
    CANCELLED = "cancelled"
    """The schedule was cancelled (reset, disable, download or right-now)."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _SCHEDULE_STEP_DISPLAY[self]


_SCHEDULE_STEP_DISPLAY: Final[Mapping[str, str]] = {
    "download-triggered": "download-triggered",
    "download-retried": "download-retried",
    "reboot-triggered": "reboot-triggered",
    "cancelled": "cancelled",
}


class Triggered(StrEnum):
    """Whether a scheduled action has been triggered."""

    YES = "yes"
    """yes: Triggered."""
    NO = "no"
    """no: Not triggered."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _TRIGGERED_DISPLAY[self]


_TRIGGERED_DISPLAY: Final[Mapping[str, str]] = {
    "yes": "yes",
    "no": "no",
}


class UpgradeStatus(StrEnum):
    """Upgrade status."""

    SUCCESS = "success"
    """success: The upgrade succeeds."""
    RUNNING = "running"
    """running: The upgrade is ongoing."""
    NET_ERROR = "net-error"
    """netError: Network error."""
    SERVER_SPEC_UP_LIMIT = "server-spec-up-limit"
    """serverSpecUpLimit: The server specification reached the upper limit of the connection."""
    CERT_OUT_DATE = "cert-out-date"
    """CertOutDate: The certificate has expired."""
    WRITE_FLASH_FAILED = "write-flash-failed"
    """writeFlashFailed: The system file fails to be saved in the flash memory."""
    FILE_CHECK_FAILED = "file-check-failed"
    """fileCheckFailed: The file verification fails."""
    UPGRADE_CANCELLED = "upgrade-cancelled"
    """upgradeCancelled: The upgrade is canceled."""
    ABNORMAL_RESET = "abnormal-reset"
    """abnormalReset: The switch is restarted or an active/standby switchover is performed during an upgrade."""
    FILE_NOT_MATCH = "file-not-match"
    """fileNotMatch: The file does not match."""
    SYSTEM_ERROR = "system-error"
    """systemError: System error."""
    OTHER = "other"
    """other: Other status."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _UPGRADE_STATUS_DISPLAY[self]


_UPGRADE_STATUS_DISPLAY: Final[Mapping[str, str]] = {
    "success": "success",
    "running": "running",
    "net-error": "netError",
    "server-spec-up-limit": "serverSpecUpLimit",
    "cert-out-date": "CertOutDate",
    "write-flash-failed": "writeFlashFailed",
    "file-check-failed": "fileCheckFailed",
    "upgrade-cancelled": "upgradeCancelled",
    "abnormal-reset": "abnormalReset",
    "file-not-match": "fileNotMatch",
    "system-error": "systemError",
    "other": "other",
}


class UpgradeTarget(StrEnum):
    """What an operation upgrades."""

    SWITCH = "switch"
    """The switch itself."""
    AP = "ap"
    """The APs managed by the switch."""

    @property
    def display(self) -> str:
        """The switch's own string for this value."""
        return _UPGRADE_TARGET_DISPLAY[self]


_UPGRADE_TARGET_DISPLAY: Final[Mapping[str, str]] = {
    "switch": "switch",
    "ap": "ap",
}


@dataclass(frozen=True)
class LeafSpec:
    """A configuration leaf: its default and the restrictions of its type."""

    path: tuple[str, ...]
    kind: str
    default: str | None
    ranges: tuple[tuple[int, int], ...]
    lengths: tuple[tuple[int, int], ...]
    patterns: tuple[str, ...]
    rule: str | None
    """The error-message of its restrictions: what a valid value is, in words."""
    feature: str | None


CONFIG_LEAVES: Final[Mapping[str, LeafSpec]] = {
    "/smart-upgrade/url": LeafSpec(
        path=("smart-upgrade", "url"),
        kind="str",
        default="s.houp.huawei.com",
        ranges=(),
        lengths=((1, 127),),
        patterns=("[!-~]+",),
        rule="The URL must be 1 to 127 characters without spaces: a host name, an IP address or an https:// URL.",
        feature=None,
    ),
    "/smart-upgrade/https-port": LeafSpec(
        path=("smart-upgrade", "https-port"),
        kind="int",
        default="443",
        ranges=((1, 65535),),
        lengths=(),
        patterns=(),
        rule="The HTTPS port must be an integer from 1 to 65535.",
        feature=None,
    ),
    "/smart-upgrade/ssl-policy": LeafSpec(
        path=("smart-upgrade", "ssl-policy"),
        kind="str",
        default=None,
        ranges=(),
        lengths=((1, 23),),
        patterns=("[A-Za-z0-9_]+",),
        rule="An SSL policy name must be 1 to 23 letters, digits or underscores (_).",
        feature=None,
    ),
    "/smart-upgrade/verify-server": LeafSpec(
        path=("smart-upgrade", "verify-server"),
        kind="bool",
        default="true",
        ranges=(),
        lengths=(),
        patterns=(),
        rule=None,
        feature=None,
    ),
    "/smart-upgrade/enabled": LeafSpec(
        path=("smart-upgrade", "enabled"),
        kind="bool",
        default="false",
        ranges=(),
        lengths=(),
        patterns=(),
        rule=None,
        feature=None,
    ),
    "/smart-upgrade/web-prompt": LeafSpec(
        path=("smart-upgrade", "web-prompt"),
        kind="bool",
        default="true",
        ranges=(),
        lengths=(),
        patterns=(),
        rule=None,
        feature=None,
    ),
    "/smart-upgrade/ap/enabled": LeafSpec(
        path=("smart-upgrade", "ap", "enabled"),
        kind="bool",
        default="false",
        ranges=(),
        lengths=(),
        patterns=(),
        rule=None,
        feature="ap-upgrade",
    ),
    "/smart-upgrade/schedule/download-at": LeafSpec(
        path=("smart-upgrade", "schedule", "download-at"),
        kind="str",
        default=None,
        ranges=(),
        lengths=(),
        patterns=(
            "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
        ),
        rule="A schedule time must be YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to 2099, MM from 1 to 12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59.",
        feature=None,
    ),
    "/smart-upgrade/schedule/reboot-at": LeafSpec(
        path=("smart-upgrade", "schedule", "reboot-at"),
        kind="str",
        default=None,
        ranges=(),
        lengths=(),
        patterns=(
            "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
        ),
        rule="A schedule time must be YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to 2099, MM from 1 to 12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59.",
        feature=None,
    ),
}
SSL_POLICY_NAME: Final = LeafSpec(
    path=("ssl-policies", "ssl-policy", "name"),
    kind="str",
    default=None,
    ranges=(),
    lengths=((1, 23),),
    patterns=("[A-Za-z0-9_]+",),
    rule="An SSL policy name must be 1 to 23 letters, digits or underscores (_).",
    feature=None,
)


@dataclass(frozen=True)
class Constraint:
    """A must statement: its error-app-tag and error-message, and the message of the
    refusal of an ``undo`` that breaks it (``su:undo-error-message``; None: the same
    message)."""

    path: tuple[str, ...]
    app_tag: str
    message: str
    undo_message: str | None


CONSTRAINTS: Final[Mapping[str, Constraint]] = {
    "ssl-policy-not-bound": Constraint(
        ("smart-upgrade", "enabled"),
        "ssl-policy-not-bound",
        "Smart upgrade cannot be enabled before an SSL policy is bound (smart-upgrade ssl-policy policy-name).",
        "The SSL policy cannot be unbound while smart upgrade is enabled (undo smart-upgrade enable first).",
    ),
    "smart-upgrade-not-enabled": Constraint(
        ("smart-upgrade", "ap", "enabled"),
        "smart-upgrade-not-enabled",
        "Smart upgrade for APs cannot be enabled before smart upgrade is enabled (smart-upgrade enable).",
        "Smart upgrade cannot be disabled while smart upgrade for APs is enabled (undo smart-upgrade ap enable first).",
    ),
    "reboot-not-after-download": Constraint(
        ("smart-upgrade", "schedule"),
        "reboot-not-after-download",
        "The reboot time must be later than the download time.",
        None,
    ),
}


@dataclass(frozen=True)
class DisplayField:
    """One line of `display smart-upgrade information`."""

    path: tuple[str, ...]
    label: str
    time_format: str | None


@dataclass(frozen=True)
class DisplaySection:
    """One section of `display smart-upgrade information`, in the switch's order."""

    title: str
    path: tuple[str, ...]
    feature: str | None
    fields: tuple[DisplayField, ...]
    ap_path: tuple[str, ...] | None = None
    """The container whose leaves of the same names the section shows when the switch
    displays its AP (`display-ap-section`)."""


DISPLAY_SECTIONS: Final[tuple[DisplaySection, ...]] = (
    DisplaySection(
        "Configuration",
        ("smart-upgrade",),
        None,
        fields=(
            DisplayField(("smart-upgrade", "url"), "URL", None),
            DisplayField(("smart-upgrade", "https-port"), "HTTPS port", None),
            DisplayField(("smart-upgrade", "ssl-policy"), "Bind SSL policy", None),
            DisplayField(("smart-upgrade", "verify-server"), "Verify HTTPS server", None),
        ),
    ),
    DisplaySection(
        "Version information",
        ("smart-upgrade", "version-information"),
        None,
        ap_path=("smart-upgrade", "ap-information", "version-information"),
        fields=(
            DisplayField(
                ("smart-upgrade", "version-information", "refresh-time"),
                "Refresh time",
                "%Y-%m-%d %H:%M:%S",
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "check-result"),
                "Check version result",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "recommended-software-version"),
                "Recommended software version",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "recommended-patch-version"),
                "Recommended patch version",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "upgrade-description"),
                "Upgrade description",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "description-in-english"),
                "Firmware and Patch Description in English",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "software-package-name"),
                "Software package name",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "software-package-size"),
                "Software package size(B)",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "patch-package-name"),
                "Patch package name",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "version-information", "patch-package-size"),
                "Patch package size(B)",
                None,
            ),
        ),
    ),
    DisplaySection(
        "Upgrade information",
        ("smart-upgrade", "upgrade-information"),
        None,
        ap_path=("smart-upgrade", "ap-information", "upgrade-information"),
        fields=(
            DisplayField(
                ("smart-upgrade", "upgrade-information", "upgrade-time"),
                "Upgrade Time",
                "%Y-%m-%d %H:%M",
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "upgrade-status"), "Upgrade status", None
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "cancellation-status"),
                "Cancellation status",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "software-download-time"),
                "Software download time",
                "%Y-%m-%d %H:%M:%S",
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "software-download-progress"),
                "Software download progress(%)",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "software-download-speed"),
                "Software download speed(KB/s)",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "patch-download-time"),
                "Patch download time",
                "%Y-%m-%d %H:%M:%S",
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "patch-download-progress"),
                "Patch download progress(%)",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "patch-download-speed"),
                "Patch download speed(KB/s)",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "last-upgrade-time"),
                "Last upgrade time",
                "%Y-%m-%d %H:%M",
            ),
            DisplayField(
                ("smart-upgrade", "upgrade-information", "last-upgrade-result"),
                "Last upgrade result",
                None,
            ),
        ),
    ),
    DisplaySection(
        "Local information",
        ("smart-upgrade", "local-information"),
        None,
        ap_path=("smart-upgrade", "ap-information", "local-information"),
        fields=(
            DisplayField(
                ("smart-upgrade", "local-information", "device-name"), "Device name", None
            ),
            DisplayField(("smart-upgrade", "local-information", "esn"), "ESN", None),
            DisplayField(
                ("smart-upgrade", "local-information", "software-version"), "Software version", None
            ),
            DisplayField(
                ("smart-upgrade", "local-information", "patch-version"), "Patch version", None
            ),
        ),
    ),
    DisplaySection(
        "AP information",
        ("smart-upgrade", "ap-information"),
        "ap-upgrade",
        fields=(
            DisplayField(("smart-upgrade", "ap-information", "device-type"), "Device Type", None),
        ),
    ),
    DisplaySection(
        "Schedule Upgrade Information",
        ("smart-upgrade", "schedule-information"),
        None,
        fields=(
            DisplayField(
                ("smart-upgrade", "schedule-information", "download-time"),
                "Download time",
                "%Y-%-m-%-d %H:%M:%S",
            ),
            DisplayField(
                ("smart-upgrade", "schedule-information", "download-triggered"),
                "Download triggered",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "schedule-information", "download-pre-check-result"),
                "Download pre-check result",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "schedule-information", "reboot-time"),
                "Reboot time",
                "%Y-%-m-%-d %H:%M:%S",
            ),
            DisplayField(
                ("smart-upgrade", "schedule-information", "reboot-triggered"),
                "Reboot triggered",
                None,
            ),
            DisplayField(
                ("smart-upgrade", "schedule-information", "reboot-triggered-result"),
                "Reboot triggered result",
                None,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Ap:
    """Smart upgrade of APs."""

    enabled: bool = False


@dataclass(frozen=True)
class Schedule:
    """Scheduled smart upgrade of the switch (not of APs)."""

    download_at: str
    reboot_at: str | None = None


@dataclass(frozen=True)
class VersionInformation:
    """Version information obtained from the HOUP."""

    refresh_time: datetime | None = None
    check_result: CheckResult | None = None
    recommended_software_version: str | None = None
    recommended_patch_version: str | None = None
    upgrade_description: str | None = None
    description_in_english: str | None = None
    software_package_name: str | None = None
    software_package_size: int | None = None
    patch_package_name: str | None = None
    patch_package_size: int | None = None


@dataclass(frozen=True)
class UpgradeInformation:
    """The current or last upgrade."""

    upgrade_time: datetime | None = None
    upgrade_status: UpgradeStatus | None = None
    cancellation_status: CancellationStatus | None = None
    software_download_time: datetime | None = None
    software_download_progress: int | None = None
    software_download_speed: Decimal | None = None
    patch_download_time: datetime | None = None
    patch_download_progress: int | None = None
    patch_download_speed: Decimal | None = None
    last_upgrade_time: datetime | None = None
    last_upgrade_result: UpgradeStatus | None = None


@dataclass(frozen=True)
class LocalInformation:
    """Local device information."""

    device_name: str | None = None
    esn: str | None = None
    software_version: str | None = None
    patch_version: str | None = None


@dataclass(frozen=True)
class ApInformation:
    """AP information."""

    device_type: str | None = None
    local_information: LocalInformation = field(default_factory=LocalInformation)
    version_information: VersionInformation = field(default_factory=VersionInformation)
    upgrade_information: UpgradeInformation = field(default_factory=UpgradeInformation)


@dataclass(frozen=True)
class ScheduleInformation:
    """Scheduled upgrade information."""

    download_time: str | None = None
    download_triggered: Triggered = Triggered.NO
    download_pre_check_result: CheckOutcome | None = None
    reboot_time: str | None = None
    reboot_triggered: Triggered = Triggered.NO
    reboot_triggered_result: CheckOutcome | None = None


@dataclass(frozen=True)
class SmartUpgrade:
    """Smart upgrade."""

    url: str = "s.houp.huawei.com"
    https_port: int = 443
    ssl_policy: str | None = None
    verify_server: bool = True
    enabled: bool = False
    web_prompt: bool = True
    ap: Ap = field(default_factory=Ap)
    schedule: Schedule | None = None
    version_information: VersionInformation = field(default_factory=VersionInformation)
    upgrade_information: UpgradeInformation = field(default_factory=UpgradeInformation)
    local_information: LocalInformation = field(default_factory=LocalInformation)
    ap_information: ApInformation = field(default_factory=ApInformation)
    schedule_information: ScheduleInformation = field(default_factory=ScheduleInformation)
