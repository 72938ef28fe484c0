"""What the web pages show, from the switch's state and the user's read access: the seed's web
prompt in each of its cases, the display's sections and the progress of a download."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from smartupgrade_model.display import line, render
from smartupgrade_model.model import (
    CheckResult,
    FileKind,
    LocalInformation,
    SmartUpgrade,
    UpgradeInformation,
    UpgradeStatus,
    VersionInformation,
)
from smartupgrade_server.web.view import (
    Prompt,
    PromptKind,
    display_field,
    information,
    progress,
    prompt,
)

NOW = datetime(2026, 11, 27, 9, tzinfo=timezone(timedelta(hours=8)))
LOCAL = LocalInformation("S5732-H24UM2CC", "2102351XFR10P0000001", "V200R020C00", "V200R020SPH")
OFFER = VersionInformation(
    refresh_time=NOW,
    check_result=CheckResult.NEED_UPDATE,
    recommended_software_version="V200R024C00",
    recommended_patch_version="V200R020SPH001",
    upgrade_description="",
    description_in_english="1)description:2)CC+SPH",
    software_package_name="S5732-H-V200R024C00.cc",
    software_package_size=120101636,
)


def everything(names: tuple[str, ...]) -> bool:
    return True


def state(**changes: object) -> SmartUpgrade:
    base = SmartUpgrade(ssl_policy="houp", enabled=True, local_information=LOCAL)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_disabled_smart_upgrade_is_told() -> None:
    assert prompt(state(enabled=False), everything) == Prompt(PromptKind.DISABLED)
    # even with an offer from before it was disabled
    assert prompt(state(enabled=False, version_information=OFFER), everything) == Prompt(
        PromptKind.DISABLED
    )


def test_a_new_version_is_prompted_with_its_version_and_description() -> None:
    found = prompt(state(version_information=OFFER), everything)
    assert found is not None and found.kind is PromptKind.NEW_VERSION
    assert found.details == (
        ("Recommended software version", "V200R024C00"),
        ("Recommended patch version", "V200R020SPH001"),
        ("Firmware and Patch Description in English", "1)description:2)CC+SPH"),
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"web_prompt": False}, id="web-prompt-disabled"),
        pytest.param(
            {"web_prompt": False, "enabled": False}, id="web-prompt-disabled-and-disabled"
        ),
        pytest.param(
            {"version_information": replace(OFFER, check_result=CheckResult.VERSION_OPTIMAL)},
            id="version-optimal",
        ),
        pytest.param(
            {"version_information": VersionInformation(NOW, CheckResult.NET_ERROR)},
            id="net-error",
        ),
        pytest.param({"version_information": VersionInformation()}, id="never-checked"),
        pytest.param(
            {
                "local_information": replace(
                    LOCAL, software_version="V200R024C00", patch_version="V200R020SPH001"
                )
            },
            id="already-running-the-recommended-version",
        ),
    ],
)
def test_no_prompt(changes: dict[str, object]) -> None:
    changes.setdefault("version_information", OFFER)
    assert prompt(state(**changes), everything) is None


def test_a_new_patch_alone_is_a_new_version() -> None:
    local = replace(LOCAL, software_version="V200R024C00")
    found = prompt(state(version_information=OFFER, local_information=local), everything)
    assert found is not None and found.kind is PromptKind.NEW_VERSION


def test_nothing_is_prompted_from_what_the_user_may_not_read() -> None:
    def no_version(names: tuple[str, ...]) -> bool:
        return "version-information" not in names

    def no_web_prompt(names: tuple[str, ...]) -> bool:
        return names != ("smart-upgrade", "web-prompt")

    assert prompt(state(version_information=OFFER), no_version) is None
    assert prompt(state(enabled=False), no_web_prompt) is None


def test_information_has_every_section_and_value_of_the_display() -> None:
    shown = state(version_information=OFFER)
    sections = information(shown, everything)
    # the same titles, labels and values as the command line's display, in its order
    lines = []
    for section in sections:
        lines.append(f"{section.title}:")
        lines += [line(label, value) for label, value in section.rows]
    assert "\n".join(lines) == "\n".join(line for line in render(shown).splitlines() if line)


def test_information_leaves_out_what_the_user_may_not_read() -> None:
    def no_upgrade(names: tuple[str, ...]) -> bool:
        return names[:2] != ("smart-upgrade", "upgrade-information")

    titles = [section.title for section in information(state(), no_upgrade)]
    assert "Upgrade information" not in titles
    assert "Version information" in titles


def test_progress_of_each_file_with_the_display_labels() -> None:
    upgrade = UpgradeInformation(
        upgrade_status=UpgradeStatus.RUNNING,
        software_download_progress=42,
        software_download_speed=Decimal("512.25"),
    )
    found = progress(state(upgrade_information=upgrade), everything)
    assert found is not None
    assert found.status is UpgradeStatus.RUNNING
    assert found.status_row == (
        display_field("upgrade-information", "upgrade-status").label,
        "running",
    )
    software, patch = found.files
    assert (software.kind, software.percent) == (FileKind.SOFTWARE, 42)
    assert software.rows == (
        ("Software download progress(%)", "42"),
        ("Software download speed(KB/s)", "512.25"),
    )
    assert (patch.kind, patch.percent) == (FileKind.PATCH, None)
    assert found.to_json() == {
        "upgrade_status": "running",
        "files": {
            "software": {
                "percent": 42,
                "rows": {
                    "Software download progress(%)": "42",
                    "Software download speed(KB/s)": "512.25",
                },
            },
            "patch": {
                "percent": None,
                "rows": {"Patch download progress(%)": "-", "Patch download speed(KB/s)": "-"},
            },
        },
    }


def test_no_progress_for_a_user_who_may_not_read_it() -> None:
    assert progress(state(), lambda names: len(names) < 2) is None
