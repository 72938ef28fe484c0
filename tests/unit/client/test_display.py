"""``display smart-upgrade information`` rendering against the seed's example output."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from smartupgrade_model.display import render
from smartupgrade_model.model import (
    DISPLAY_SECTIONS,
    Ap,
    ApInformation,
    CheckOutcome,
    CheckResult,
    LocalInformation,
    ScheduleInformation,
    SmartUpgrade,
    Triggered,
    UpgradeInformation,
    UpgradeStatus,
    VersionInformation,
)
from tests.unit.yang.seed import seed_text

LOCAL = timezone(timedelta(hours=8))


def seed_example(index: int) -> list[str]:
    """The lines of one example output of the seed, from ``Configuration:`` to its last field,
    blank lines included. Trailing spaces are the seed's padding to its page width (80 columns
    and more, ``Patch version : V200R020SPH ``): every line is compared without them, and
    nothing else is normalised."""
    chunk = seed_text().split("<HUAWEI> display smart-upgrade information\n")[1 + index]
    output = chunk.split("Info: Loading the information, please wait .\n")[1]
    output = output.split("<HUAWEI>")[0].split("Table 2-63")[0]
    return [line.rstrip() for line in output.strip("\n").splitlines()]


def rendered(state: SmartUpgrade) -> list[str]:
    return [line.rstrip() for line in render(state).splitlines()]


# The seed's first example: the switch after a successful upgrade, with a scheduled one.
FIRST_EXAMPLE = SmartUpgrade(
    ssl_policy="houp",
    version_information=VersionInformation(
        refresh_time=datetime(2019, 1, 23, 12, 24, 6, tzinfo=LOCAL),
        check_result=CheckResult.NEED_UPDATE,
        recommended_software_version="V200R024C00",
        recommended_patch_version="V200R020SPH001",
        upgrade_description="",
        description_in_english="1)description:2)CC+SPH",
        software_package_name="S5732-H-V200R024C00.cc",
        software_package_size=120101636,
        patch_package_name="S5732-H-V200R020SPH001.pat",
        patch_package_size=14910,
    ),
    upgrade_information=UpgradeInformation(
        upgrade_time=datetime(2019, 1, 23, 11, 13, tzinfo=LOCAL),
        upgrade_status=UpgradeStatus.SUCCESS,
        last_upgrade_time=datetime(2019, 1, 23, 11, 13, 59, tzinfo=LOCAL),
        last_upgrade_result=UpgradeStatus.SUCCESS,
    ),
    local_information=LocalInformation(
        device_name="S5732-H24UM2CC",
        esn="2102351XFR1*********",
        software_version="V200R020C00",
        patch_version="V200R020SPH",
    ),
    schedule_information=ScheduleInformation(
        download_time="2020-02-13 20:01:24",
        download_triggered=Triggered.YES,
        download_pre_check_result=CheckOutcome.SUCCEEDED,
        reboot_time="2020-02-13 20:01:24",
        reboot_triggered=Triggered.YES,
        reboot_triggered_result=CheckOutcome.FAILED,
    ),
)

# The seed's second example: a switch that displays its AP (smart upgrade for APs enabled),
# several values absent. The switch's own information differs from its AP's and must not show.
SECOND_EXAMPLE = SmartUpgrade(
    ssl_policy="houp",
    enabled=True,
    ap=Ap(enabled=True),
    version_information=VersionInformation(
        refresh_time=datetime(2020, 7, 23, 12, 24, 6, tzinfo=LOCAL),
        check_result=CheckResult.VERSION_OPTIMAL,
    ),
    upgrade_information=UpgradeInformation(upgrade_status=UpgradeStatus.NET_ERROR),
    local_information=LocalInformation(
        device_name="S5732-H24UM2CC",
        esn="2102351XFR10P2000123",
        software_version="V200R024C00",
    ),
    ap_information=ApInformation(
        device_type="AirEngine 8760-X1-PRO",
        version_information=VersionInformation(
            refresh_time=datetime(2020, 7, 23, 12, 24, 6, tzinfo=LOCAL),
            check_result=CheckResult.NEED_UPDATE,
            recommended_software_version="V200R024C00",
            software_package_name="AirEngineX760_V200R024C00.bin",
            software_package_size=120101636,
            patch_package_name="xxx.pat",
            patch_package_size=14910,
        ),
        upgrade_information=UpgradeInformation(
            upgrade_time=datetime(2020, 1, 23, 11, 13, tzinfo=LOCAL),
            upgrade_status=UpgradeStatus.SUCCESS,
            last_upgrade_time=datetime(2020, 1, 23, 11, 13, 59, tzinfo=LOCAL),
            last_upgrade_result=UpgradeStatus.SUCCESS,
        ),
        local_information=LocalInformation(
            device_name="AirEngine 8760-X1-PRO",
            esn="2102351XFR1*********",
            software_version="V200R019C10",
        ),
    ),
    schedule_information=ScheduleInformation(),
)


@pytest.mark.parametrize(
    ("index", "state"), [(0, FIRST_EXAMPLE), (1, SECOND_EXAMPLE)], ids=["switch", "ap"]
)
def test_the_seed_examples_line_by_line(index: int, state: SmartUpgrade) -> None:
    assert rendered(state) == seed_example(index)


def test_a_section_alone_has_the_same_lines() -> None:
    whole = render(FIRST_EXAMPLE)
    alone = render(FIRST_EXAMPLE, ("Version information",))
    assert alone.startswith("Version information:\n")
    assert alone in whole
    assert "\n\n    Software package name" in alone


def test_labels_sit_at_the_switch_colon_column() -> None:
    seed = {line.split(":")[0].strip(): line for line in seed_example(1) if line.startswith("    ")}
    for line in rendered(SECOND_EXAMPLE):
        label = line.split(":")[0].strip()
        if line.startswith("    ") and label in seed:
            assert line.index(":") == seed[label].index(":"), label


def test_schedule_times_print_unpadded_like_the_switch() -> None:
    state = SmartUpgrade(
        schedule_information=ScheduleInformation(
            download_time="2020-02-13 20:01:24",
            download_triggered=Triggered.YES,
            reboot_time="2020-02-13 20:01:24",
        )
    )
    text = render(state)
    assert "    Download time                : 2020-2-13 20:01:24\n" in text
    assert "    Download triggered           : yes\n" in text


def test_every_section_and_label_of_the_module_is_shown() -> None:
    text = render(SECOND_EXAMPLE)
    for section in DISPLAY_SECTIONS:
        assert f"{section.title}:\n" in text
        for item in section.fields:
            assert f"    {item.label}" in text


def test_without_ap_mode_the_switch_shows_itself_and_no_ap_section() -> None:
    """The seed's first example is an AP-capable S5732-H: no AP information there."""
    text = render(replace(SECOND_EXAMPLE, ap=Ap(enabled=False)))
    assert "AP information" not in text
    assert "    Software version             : V200R024C00\n" in text
    assert "    Check version result         : versionOptimal\n" in text
    assert "AirEngine" not in text
