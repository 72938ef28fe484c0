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

from smartupgrade_model.display import (
    ABSENT,
    field_value,
    raw_value,
    shown_field,
    shown_sections,
    shows_ap,
)
from smartupgrade_model.model import (
    CONFIG_LEAVES,
    DISPLAY_SECTIONS,
    CheckResult,
    DisplayField,
    FileKind,
    SmartUpgrade,
    UpgradeStatus,
    UpgradeTarget,
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


DEVICE_NOUNS: Mapping[UpgradeTarget, str] = {UpgradeTarget.SWITCH: "switch", UpgradeTarget.AP: "AP"}


def upgraded(state: SmartUpgrade) -> str:
    """What the page's actions upgrade and its prompt and progress are about: the AP when the
    switch displays its AP (smart upgrade for APs enabled), as its own commands do."""
    return DEVICE_NOUNS[UpgradeTarget.AP if shows_ap(state) else UpgradeTarget.SWITCH]


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
    # what the new version is for, and what the actions upgrade
    device: str = DEVICE_NOUNS[UpgradeTarget.SWITCH]


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
_RUNNING = tuple(
    display_field("local-information", name) for name in ("software-version", "patch-version")
)


def prompt(state: SmartUpgrade, readable: Readable) -> Prompt | None:
    """The seed: with web prompt enabled, the web system tells the user that smart upgrade is
    disabled, or, once it is enabled and a new version is available, prompts an upgrade to it.
    Nothing for web prompt disabled, an optimal version or a failed check. The version is that
    of what the display shows: the AP's when smart upgrade for APs is enabled."""
    if not (readable(_WEB_PROMPT) and readable(_ENABLED)) or not state.web_prompt:
        return None
    if not state.enabled:
        return Prompt(PromptKind.DISABLED)
    check = shown_field(state, _CHECK_RESULT)
    if not readable(check.path) or raw_value(state, check) is not CheckResult.NEED_UPDATE:
        return None
    shown = {
        item.path[-1]: field_value(state, shown_field(state, item))
        for item in (*_RECOMMENDED, *_RUNNING)
    }
    # the last check predates an upgrade to the very version it recommended
    if shown["recommended-software-version"] == shown["software-version"] and (
        shown["recommended-patch-version"] in (ABSENT, shown["patch-version"])
    ):
        return None
    details = tuple(
        (item.label, value)
        for item in (shown_field(state, item) for item in _RECOMMENDED)
        if readable(item.path) and (value := field_value(state, item)) not in (ABSENT, "")
    )
    return Prompt(PromptKind.NEW_VERSION, details, upgraded(state))


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
    """The progress of what the display shows (the AP's when smart upgrade for APs is
    enabled)."""
    status = shown_field(state, _STATUS)
    if not readable(status.path[:-1]):
        return None
    files = []
    for kind in _FOLLOWED:
        percent_field = shown_field(
            state, display_field(*_UPGRADE, f"{kind.value}-download-progress")
        )
        speed_field = shown_field(state, display_field(*_UPGRADE, f"{kind.value}-download-speed"))
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
    current = raw_value(state, status)
    return ProgressView(
        current if isinstance(current, UpgradeStatus) else None,
        (status.label, field_value(state, status)),
        tuple(files),
    )
