"""Proof that the YANG module is the seed: every display item, value and configuration command.

The seed's text is the oracle: labels, values, ranges and defaults are read from it here and
compared with what the YANG module (through pyang and the generated constants) says.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from smartupgrade_model import model
from tests.unit.yang.seed import (
    SEED_PATH,
    SHARED_SEED_PATH,
    command_section,
    display_examples,
    seed_text,
    table_items,
)
from tools.codegen.yang_reader import Leaf, Model, read_model


@cache
def yang() -> Model:
    return read_model()


def labelled_leaves() -> dict[str, Leaf]:
    return {
        leaf.label: leaf
        for container in yang().top.walk()
        for leaf in container.leaves
        if leaf.label is not None
    }


SECTION_TITLES = [section.title for section in model.DISPLAY_SECTIONS]


@pytest.mark.skipif(not SHARED_SEED_PATH.exists(), reason="no shared/ checkout beside the repo")
def test_vendored_seed_is_the_shared_seed() -> None:
    assert SEED_PATH.read_bytes() == SHARED_SEED_PATH.read_bytes()


def test_every_table_item_is_a_section_or_a_labelled_leaf() -> None:
    leaves = labelled_leaves()
    items = table_items()
    assert len(items) == 42
    for item in items:
        assert item.name in SECTION_TITLES or item.name in leaves, item.name


def test_every_section_and_label_of_the_module_is_in_the_table() -> None:
    names = {item.name for item in table_items()}
    assert set(SECTION_TITLES) <= names
    assert set(labelled_leaves()) <= names


def test_table_order_is_the_display_order() -> None:
    shown = []
    for section in model.DISPLAY_SECTIONS:
        shown.append(section.title)
        shown.extend(f.label for f in section.fields)
    assert [item.name for item in table_items()] == shown


@pytest.mark.parametrize(
    "item", [i for i in table_items() if i.values], ids=lambda item: str(item.name)
)
def test_every_enumerated_value_of_the_table_exists(item: object) -> None:
    from tests.unit.yang.seed import TableItem

    assert isinstance(item, TableItem)
    leaf = labelled_leaves()[item.name]
    if leaf.kind == "bool":
        assert set(item.values) == {"true", "false"}
        return
    assert leaf.enum is not None, f"{item.name} should be an enumeration"
    displayed = [value.display for value in leaf.enum.values]
    assert sorted(displayed, key=str) == sorted(item.values), item.name


def test_enum_counts_are_the_seeds() -> None:
    counts = {enum.typedef: len(enum.values) for enum in yang().enums}
    assert counts["check-result"] == 3
    assert counts["upgrade-status"] == 12
    assert counts["cancellation-status"] == 4
    assert counts["triggered"] == 2
    assert counts["check-outcome"] == 2


def test_every_enum_description_names_its_display_string() -> None:
    for enum in yang().enums:
        for value in enum.values:
            if value.display is not None:
                assert value.description.startswith(f"{value.display}: "), value


@pytest.mark.parametrize("example", display_examples(), ids=["switch", "ap"])
def test_example_output_maps_onto_the_module(example: list[object]) -> None:
    from tests.unit.yang.seed import ExampleSection

    sections = {section.title: section for section in model.DISPLAY_SECTIONS}
    leaves = labelled_leaves()
    titles = []
    for shown in example:
        assert isinstance(shown, ExampleSection)
        titles.append(shown.title)
        section = sections[shown.title]
        assert [label for label, _ in shown.fields] == [f.label for f in section.fields]
        for label, value in shown.fields:
            leaf = leaves[label]
            if leaf.enum is not None and value not in ("", "-"):
                assert value in {v.display for v in leaf.enum.values}, (label, value)
            if leaf.kind == "int" and value not in ("", "-"):
                assert value.isdigit(), (label, value)
    expected_order = [title for title in SECTION_TITLES if title in titles]
    assert titles == expected_order


def test_ap_section_is_tied_to_the_ap_feature() -> None:
    ap_section = next(s for s in model.DISPLAY_SECTIONS if s.title == "AP information")
    assert ap_section.feature == "ap-upgrade"
    assert "ap-upgrade" in model.FEATURES


def test_command_support_list_is_covered() -> None:
    text = seed_text()
    listed = text.split("Command Support\n", 1)[1].split("\nCommand Support", 1)[0]
    commands = [line.strip() for line in listed.splitlines() if line.strip()]
    covered = {
        "display smart-upgrade information": "rpc refresh + state",
        "smart-upgrade { url | https-port }": "/smart-upgrade/url, /smart-upgrade/https-port",
        "smart-upgrade download": "rpc download",
        "smart-upgrade enable": "/smart-upgrade/enabled",
        "smart-upgrade ap enable": "/smart-upgrade/ap/enabled",
        "smart-upgrade right-now": "rpc right-now",
        "smart-upgrade ssl-policy": "/smart-upgrade/ssl-policy",
        "smart-upgrade schedule": "/smart-upgrade/schedule",
        "smart-upgrade verify-server disable": "/smart-upgrade/verify-server",
        "smart-upgrade web-prompt disable": "/smart-upgrade/web-prompt",
    }
    assert commands == list(covered)
    for target in covered.values():
        for part in target.split(", "):
            if part.startswith("rpc "):
                assert part.removeprefix("rpc ").split()[0] in model.RPCS
            else:
                assert part in model.CONFIG_LEAVES or f"{part}/download-at" in (
                    model.CONFIG_LEAVES
                ), part


def _numbers(pattern: str, text: str) -> tuple[int, int]:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return int(match.group(1)), int(match.group(2))


def test_url_and_port_ranges_and_defaults_are_the_seeds() -> None:
    section = command_section("smart-upgrade { url | https-port }")
    url = model.CONFIG_LEAVES["/smart-upgrade/url"]
    port = model.CONFIG_LEAVES["/smart-upgrade/https-port"]
    assert url.lengths == (_numbers(r"a string of (\d+) to (\d+) characters", section),)
    assert port.ranges == (_numbers(r"integer ranging from (\d+) to (\d+)", section),)
    defaults = re.search(r"are (\S+) and (\d+), respectively", section)
    assert defaults is not None
    assert (url.default, port.default) == (defaults.group(1), defaults.group(2))


def test_ssl_policy_name_is_the_seeds() -> None:
    section = command_section("smart-upgrade ssl-policy")
    bound = model.CONFIG_LEAVES["/smart-upgrade/ssl-policy"]
    low, high = _numbers(r"a string of (\d+) to (\d+) case-insensitive characters", section)
    assert bound.lengths == model.SSL_POLICY_NAME.lengths == ((low, high),)
    assert "digits, letters, and underscores (_)" in section
    (pattern,) = model.SSL_POLICY_NAME.patterns
    assert re.fullmatch(pattern, "Houp_2") and not re.fullmatch(pattern, "ho up")
    assert not re.fullmatch(pattern, "ho-up")
    assert "By default, no SSL policy is bound" in section
    assert bound.default is None


@pytest.mark.parametrize(
    ("command", "path", "sentence", "default"),
    [
        ("smart-upgrade enable", "/smart-upgrade/enabled", "smart upgrade is disabled", "false"),
        (
            "smart-upgrade ap enable",
            "/smart-upgrade/ap/enabled",
            "smart upgrade is disabled for APs",
            "false",
        ),
        (
            "smart-upgrade verify-server disable",
            "/smart-upgrade/verify-server",
            "the server certificate verification function is enabled",
            "true",
        ),
        (
            "smart-upgrade web-prompt disable",
            "/smart-upgrade/web-prompt",
            "web prompt for smart upgrade is enabled",
            "true",
        ),
    ],
)
def test_switch_defaults_are_the_seeds(
    command: str, path: str, sentence: str, default: str
) -> None:
    assert f"By default, {sentence}" in command_section(command)
    assert model.CONFIG_LEAVES[path].default == default


def test_undo_forms_are_documented_for_every_configuration_command() -> None:
    for command in (
        "smart-upgrade { url | https-port }",
        "smart-upgrade enable",
        "smart-upgrade ap enable",
        "smart-upgrade ssl-policy",
        "smart-upgrade schedule",
        "smart-upgrade verify-server disable",
        "smart-upgrade web-prompt disable",
    ):
        assert "\nundo smart-upgrade" in command_section(command), command


def test_ap_enable_is_only_on_the_seeds_models() -> None:
    section = command_section("smart-upgrade ap enable")
    assert "S5731-H, S5731S-H, S5732-H, S6730-H, S6730S-H" in section
    assert model.CONFIG_LEAVES["/smart-upgrade/ap/enabled"].feature == "ap-upgrade"


def test_schedule_time_format_is_the_seeds() -> None:
    section = command_section("smart-upgrade schedule")
    assert "The format is YYYY-MM-DD HH:MM:SS." in section
    (pattern,) = model.CONFIG_LEAVES["/smart-upgrade/schedule/download-at"].patterns
    ranges = re.findall(
        r"(\w+) (?:indicates|specifies) the (\w+)\. The value is an integer "
        r"in the range from (\d+) to (\d+)\.",
        section,
    )
    bounds = {(unit, int(low), int(high)) for _, unit, low, high in ranges}
    assert bounds == {
        ("year", 2000, 2099),
        ("month", 1, 12),
        ("day", 1, 31),
        ("hour", 0, 23),
        ("minute", 0, 59),
        ("second", 0, 59),
    }
    low = "2000-01-01 00:00:00"
    high = "2099-12-31 23:59:59"
    assert re.fullmatch(pattern, low) and re.fullmatch(pattern, high)
    for outside in (
        "1999-12-31 23:59:59",
        "2100-01-01 00:00:00",
        "2020-13-01 00:00:00",
        "2020-00-01 00:00:00",
        "2020-01-32 00:00:00",
        "2020-01-00 00:00:00",
        "2020-01-01 24:00:00",
        "2020-01-01 00:60:00",
        "2020-01-01 00:00:60",
    ):
        assert not re.fullmatch(pattern, outside), outside


def test_reboot_later_than_download_is_a_constraint() -> None:
    section = command_section("smart-upgrade schedule")
    assert "must be later than the time when the switch downloads system files" in section
    constraint = model.CONSTRAINTS["reboot-not-after-download"]
    assert constraint.path == ("smart-upgrade", "schedule")


def test_enable_prerequisite_is_a_constraint() -> None:
    assert "An SSL policy has been bound" in command_section("smart-upgrade enable")
    assert model.CONSTRAINTS["ssl-policy-not-bound"].path == ("smart-upgrade", "enabled")
    assert "Smart upgrade has been enabled" in command_section("smart-upgrade ap enable")
    assert model.CONSTRAINTS["smart-upgrade-not-enabled"].path == (
        "smart-upgrade",
        "ap",
        "enabled",
    )
