"""What the web pages show, worked out from the switch's state and what the user may read. No
I/O, no HTML.

Labels, section titles and value strings are the module's (the generated ``DISPLAY_SECTIONS``
and ``display.field_value``), so the pages say what ``display smart-upgrade information`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from smartupgrade_model.display import ABSENT, field_value, shown_sections
from smartupgrade_model.model import (
    CONFIG_LEAVES,
    DISPLAY_SECTIONS,
    CheckResult,
    DisplayField,
    FileKind,
    SmartUpgrade,
    UpgradeStatus,
)
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.device.switch import Switch

# whether the user may read a node of the module, named from the top (("smart-upgrade", "url"))
Readable = Callable[[tuple[str, ...]], bool]
Row = tuple[str, str]

_FIELDS: Mapping[tuple[str, ...], DisplayField] = {
    item.path: item for section in DISPLAY_SECTIONS for item in section.fields
}


def display_field(*names: str) -> DisplayField:
    """The field of ``display smart-upgrade information`` at /smart-upgrade/``names``."""
    return _FIELDS[("smart-upgrade", *names)]


class SwitchFacts(Protocol):
    """What the dashboard shows of any switch, with or without Smart Upgrade."""

    @property
    def identity(self) -> Identity: ...

    @property
    def software_version(self) -> str: ...

    @property
    def patch_version(self) -> str | None: ...


# --- the dashboard -------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    identity: tuple[Row, ...]
    versions: tuple[Row, ...]


def dashboard(chassis: SwitchFacts) -> Dashboard:
    identity = chassis.identity
    local = ("local-information",)
    versions = [
        (display_field(*local, "software-version").label, chassis.software_version),
        (display_field(*local, "patch-version").label, chassis.patch_version or ABSENT),
    ]
    if isinstance(chassis, Switch) and identity.ap_device_type is not None:
        versions += [
            (f"AP {display_field('ap-information', 'device-type').label}", identity.ap_device_type),
            ("AP software version", chassis.ap_software_version or ABSENT),
        ]
    return Dashboard(
        identity=(
            ("Model", identity.model),
            (display_field(*local, "device-name").label, identity.device_name),
            (display_field(*local, "esn").label, identity.esn),
        ),
        versions=tuple(versions),
    )


# --- the prompt (the seed's smart-upgrade web-prompt) -----------------------------------------


class PromptKind(StrEnum):
    DISABLED = "disabled"
    NEW_VERSION = "new-version"


@dataclass(frozen=True)
class Prompt:
    kind: PromptKind
    # the recommended version and its description, for a new version
    details: tuple[Row, ...] = ()


_ENABLED = CONFIG_LEAVES["/smart-upgrade/enabled"].path
_WEB_PROMPT = CONFIG_LEAVES["/smart-upgrade/web-prompt"].path
_CHECK_RESULT = display_field("version-information", "check-result")
_RECOMMENDED = tuple(
    display_field("version-information", name)
    for name in (
        "recommended-software-version",
        "recommended-patch-version",
        "upgrade-description",
        "description-in-english",
    )
)


def prompt(state: SmartUpgrade, readable: Readable) -> Prompt | None:
    """The seed: with web prompt enabled, the web system tells the user that smart upgrade is
    disabled, or, once it is enabled and a new version is available, prompts an upgrade to it.
    Nothing for web prompt disabled, an optimal version or a failed check."""
    if not (readable(_WEB_PROMPT) and readable(_ENABLED)) or not state.web_prompt:
        return None
    if not state.enabled:
        return Prompt(PromptKind.DISABLED)
    version = state.version_information
    if not readable(_CHECK_RESULT.path) or version.check_result is not CheckResult.NEED_UPDATE:
        return None
    local = state.local_information
    # the last check predates an upgrade to the very version it recommended
    if version.recommended_software_version == local.software_version and (
        version.recommended_patch_version in (None, local.patch_version)
    ):
        return None
    details = tuple(
        (item.label, value)
        for item in _RECOMMENDED
        if readable(item.path) and (value := field_value(state, item)) not in (ABSENT, "")
    )
    return Prompt(PromptKind.NEW_VERSION, details)


# --- the smart-upgrade page ------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


def information(state: SmartUpgrade, readable: Readable) -> tuple[Section, ...]:
    """Every section of ``display smart-upgrade information``, less what the user may not read."""
    sections = []
    for section in shown_sections(state):
        rows = tuple(
            (item.label, field_value(state, item)) for item in section.fields if readable(item.path)
        )
        if rows:
            sections.append(Section(section.title, rows))
    return tuple(sections)


@dataclass(frozen=True)
class FileProgress:
    kind: FileKind
    percent: int | None
    rows: tuple[Row, ...]
    """download progress and speed, labelled as the display labels them"""


@dataclass(frozen=True)
class ProgressView:
    status: UpgradeStatus | None
    status_row: Row
    files: tuple[FileProgress, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "upgrade_status": None if self.status is None else self.status.value,
            "files": {
                file.kind.value: {"percent": file.percent, "rows": dict(file.rows)}
                for file in self.files
            },
        }


_UPGRADE = ("upgrade-information",)
_STATUS = display_field(*_UPGRADE, "upgrade-status")
# the files whose progress the module keeps (the signatures are too small to follow)
_FOLLOWED = (FileKind.SOFTWARE, FileKind.PATCH)


def progress(state: SmartUpgrade, readable: Readable) -> ProgressView | None:
    if not readable(("smart-upgrade", *_UPGRADE)):
        return None
    files = []
    for kind in _FOLLOWED:
        percent_field = display_field(*_UPGRADE, f"{kind.value}-download-progress")
        speed_field = display_field(*_UPGRADE, f"{kind.value}-download-speed")
        shown = field_value(state, percent_field)
        files.append(
            FileProgress(
                kind,
                None if shown == ABSENT else int(shown),
                (
                    (percent_field.label, shown),
                    (speed_field.label, field_value(state, speed_field)),
                ),
            )
        )
    return ProgressView(
        state.upgrade_information.upgrade_status,
        (_STATUS.label, field_value(state, _STATUS)),
        tuple(files),
    )
