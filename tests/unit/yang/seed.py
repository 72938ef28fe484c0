"""Reads the seed (the switch's own documentation of Smart Upgrade) for the tests that prove the
YANG module covers it.  The seed is vendored in docs/seed/ so a fresh clone can run the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_PATH = REPO_ROOT / "docs" / "seed" / "smart-upgrade-commands.txt"
SHARED_SEED_PATH = REPO_ROOT.parent / "shared" / "seed" / "smart-upgrade-commands.txt"

_TABLE_START = "Table 2-63 Description of the display smart-upgrade information command output"
_TABLE_END = "smart-upgrade { url | https-port }\nFunction"
_ENUM_LINE = re.compile(r"^ {4}([A-Za-z]+): ")
_FIELD_LINE = re.compile(r"^ {4}(?P<label>\S.*?)\s*:(?P<value>.*)$")
_SECTION_LINE = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+):\s*$")


def seed_text() -> str:
    return SEED_PATH.read_text(encoding="utf-8")


@dataclass
class TableItem:
    name: str
    values: list[str] = field(default_factory=list)


def table_items() -> list[TableItem]:
    """The items of Table 2-63 with the enumerated values their descriptions list."""
    text = seed_text()
    body = text[text.index(_TABLE_START) : text.index(_TABLE_END)]
    lines = body.splitlines()
    items: list[TableItem] = []
    for index, line in enumerate(lines):
        if line == "\t" and index > 0:
            items.append(TableItem(lines[index - 1]))
        elif items and (match := _ENUM_LINE.match(line)):
            items[-1].values.append(match.group(1))
    assert items[0].name == "Item", "the table's header row is 'Item / Description'"
    return items[1:]


@dataclass
class ExampleSection:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)


def display_sections(output: str) -> list[ExampleSection]:
    """An output of `display smart-upgrade information` (the seed's or the switch's), as
    sections of (label, value) fields; blank lines and spacing do not count."""
    sections: list[ExampleSection] = []
    for raw_line in output.splitlines():
        line = raw_line.rstrip()
        if match := _SECTION_LINE.match(line):
            sections.append(ExampleSection(match["title"]))
        elif sections and (match := _FIELD_LINE.match(line)):
            sections[-1].fields.append((match["label"], match["value"].strip()))
    return sections


def display_examples() -> list[list[ExampleSection]]:
    """Each example output of `display smart-upgrade information`, as sections of fields."""
    text = seed_text()
    return [
        display_sections(chunk.split("Table 2-63")[0])
        for chunk in text.split("<HUAWEI> display smart-upgrade information\n")[1:]
    ]


def command_section(command: str) -> str:
    """The text of one command's reference section, from its title to the next title."""
    text = seed_text()
    title = re.compile(rf"\n{re.escape(command)}\n+Function\n")
    found = title.search(text)
    assert found is not None, f"the seed has no section for {command!r}"
    start = found.start()
    following = re.compile(r"\n(display |smart-upgrade )[^\n]*\n+Function\n")
    match = following.search(text, start + 1)
    return text[start : match.start() if match else len(text)]


_TITLE = re.compile(r"\n(?P<title>(display |smart-upgrade )[^\n]*)\n+Function\n")


@dataclass
class CommandReference:
    """One command's reference section: its title, Format lines (``undo`` forms included),
    view, default level and example lines (what follows the prompt)."""

    title: str
    text: str
    formats: list[str]
    view: str
    level: int
    examples: list[str]


def command_references() -> list[CommandReference]:
    """Every command's reference section, in the seed's order."""
    references = []
    for found in _TITLE.finditer(seed_text()):
        text = command_section(found["title"])
        body = text.split("\nFormat\n", 1)[1].split("\nParameters\n", 1)[0]
        view = re.search(r"\nViews\n+(.+)\n", text)
        level = re.search(r"\nDefault Level\n+(\d+): ", text)
        assert view is not None and level is not None, found["title"]
        references.append(
            CommandReference(
                found["title"],
                text,
                [line.strip() for line in body.splitlines() if line.strip()],
                view[1],
                int(level[1]),
                re.findall(r"^[<\[]HUAWEI[>\]] (.+?)\s*$", text, re.MULTILINE),
            )
        )
    return references
