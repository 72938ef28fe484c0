"""The table of the seed's configuration commands (smartupgrade_model.commands) against the seed,
and every form made from it against the table.

Every command of the seed's Format sections that has an ``undo`` form is a row, and every row is
one; each row has a VRP syntax and its undo, an SDK edit builder, a sync and an async method, and
a ``smartupgrade`` subcommand with its undo form. The forms of one command line make one edit,
and that edit reaches the device's field.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from datetime import timedelta

import pytest
from lxml import etree

from smartupgrade_client import edits, messages
from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_client.cli import commands as cli_commands
from smartupgrade_client.cli import parser
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.edits import Edit
from smartupgrade_model.commands import (
    CONFIG_COMMANDS,
    CONFIG_FIELDS,
    ConfigCommand,
    ValueKind,
    leaf_text,
)
from smartupgrade_model.display import SCHEDULE_FORMAT
from smartupgrade_model.model import CONFIG_LEAVES, SmartUpgrade
from smartupgrade_server.datastore.store import DatastoreName
from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.vrp.commands import CONFIGURES, SYNTAXES, Configure
from smartupgrade_server.vrp.grammar import View, available, parse, split
from smartupgrade_server.vrp.shell import configuration_edit, undo_edit
from tests.support.terminal import SESSION_ID, CommandLineRig, Terminal
from tests.unit.yang.seed import CommandReference, command_references

ROWS = list(CONFIG_COMMANDS.values())
DEFAULTS = SmartUpgrade()


def _expand(line: str) -> list[str]:
    """The seed's ``{ a | b }`` spelled out, one line per choice."""
    found = re.search(r"\{ (.*?) \}", line)
    if found is None:
        return [line]
    return [
        form
        for choice in found[1].split(" | ")
        for form in _expand(line[: found.start()] + choice + line[found.end() :])
    ]


def seed_commands() -> dict[tuple[str, str], CommandReference]:
    """(command, its undo form) of every configuration command of the seed: the Format
    sections with an undo line, their choices paired in order."""
    found: dict[tuple[str, str], CommandReference] = {}
    for reference in command_references():
        commands = [f for f in reference.formats if not f.startswith("undo ")]
        undos = [f for f in reference.formats if f.startswith("undo ")]
        if not undos:
            continue
        (command,), (undo,) = commands, undos
        for pair in zip(_expand(command), _expand(undo), strict=True):
            found[pair] = reference
    return found


SEED = seed_commands()


def reference(command: ConfigCommand) -> CommandReference:
    return SEED[command.format, command.undo_text]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9-]+", text.lower())


def said_in(phrase: str, text: str) -> bool:
    """Whether a line of ``text`` says ``phrase``, words left out allowed."""
    wanted = _words(phrase)
    for line in text.splitlines():
        words = iter(_words(line))
        if all(word in words for word in wanted):
            return True
    return False


def ids(command: ConfigCommand) -> str:
    return " ".join(command.keywords)


def test_every_seed_command_has_a_row_and_every_row_is_one() -> None:
    assert sorted(SEED) == sorted((c.format, c.undo_text) for c in ROWS)
    assert list(CONFIG_COMMANDS) == [" ".join(c.keywords) for c in ROWS]


def test_every_configuration_leaf_is_set_by_one_row() -> None:
    set_by = sorted(leaf.path for command in ROWS for leaf in command.leaves)
    assert set_by == sorted(
        spec.path for spec in CONFIG_LEAVES.values() if spec.path[0] == "smart-upgrade"
    )
    assert {c.field for c in ROWS} == CONFIG_FIELDS
    assert {item.name for item in dataclasses.fields(SmartUpgrade)} >= CONFIG_FIELDS


@pytest.mark.parametrize("command", ROWS, ids=ids)
def test_wording_view_and_level_are_the_seeds(command: ConfigCommand) -> None:
    seed = reference(command)
    assert said_in(command.help, seed.text), command.help
    assert said_in(command.undo_help, seed.text), command.undo_help
    for parameter in command.parameters:
        assert f"Specifies the {parameter.help}." in seed.text
    assert (command.view, command.level) == (seed.view.split()[0].lower(), seed.level)


@pytest.mark.parametrize("command", ROWS, ids=ids)
def test_every_row_has_a_vrp_syntax_and_its_undo(command: ConfigCommand) -> None:
    forms = [s for s in SYNTAXES if CONFIGURES.get(s.action) == Configure(command)]
    (undo,) = [s for s in SYNTAXES if CONFIGURES.get(s.action) == Configure(command, undo=True)]
    # one syntax for each number of optional parameters given
    assert len(forms) == 1 + sum(p.optional for p in command.parameters)
    for syntax in [*forms, undo]:
        assert (syntax.views, syntax.level) == (frozenset({View(command.view)}), command.level)


@pytest.mark.parametrize("command", ROWS, ids=ids)
def test_the_seeds_examples_are_the_rows_syntax(command: ConfigCommand) -> None:
    examples = [e for e in reference(command).examples if e.startswith(command.text + " ")]
    examples += [e for e in reference(command).examples if e == command.text]
    assert examples, command.text
    syntaxes = available(SYNTAXES, View(command.view), command.level)
    for line in examples:
        action = parse(syntaxes, split(line), len(line)).syntax.action
        assert CONFIGURES[action] == Configure(command)


def _text(function: object) -> str:
    """A docstring's words (the methods' are wrapped at a deeper indent)."""
    return " ".join((inspect.getdoc(function) or "").split())


@pytest.mark.parametrize("command", ROWS, ids=ids)
def test_every_row_has_sdk_builders_and_methods(command: ConfigCommand) -> None:
    arguments = [p.argument for p in command.parameters]
    for name, names in ((command.method, arguments), (command.undo_method, [])):
        builder = getattr(edits, name)
        assert list(inspect.signature(builder).parameters) == names
        for client in (SmartUpgradeClient, AsyncSmartUpgradeClient):
            method = getattr(client, name)
            assert list(inspect.signature(method).parameters) == ["self", *names]
            assert _text(method) == _text(builder)
        assert inspect.iscoroutinefunction(getattr(AsyncSmartUpgradeClient, name))
    for optional in (p for p in command.parameters if p.optional):
        assert (
            inspect.signature(getattr(edits, command.method)).parameters[optional.argument].default
            is None
        )


@pytest.mark.parametrize("command", ROWS, ids=ids)
def test_every_row_has_an_undo_subcommand(command: ConfigCommand) -> None:
    args = parser.parse(["undo", *command.keywords])
    parser.prepare(args)
    assert args.edit == cli_commands.undo_edit(command.keywords) == edits.undo_of(command)
    assert args.edit == getattr(edits, command.undo_method)()


def sample(rig: CommandLineRig, command: ConfigCommand) -> tuple[str, ...]:
    """Values for the command's parameters: the seed's example, or times in the switch's
    future (the seed's example schedule lies in the past of the emulated clock)."""
    if any(p.kind is ValueKind.TIME for p in command.parameters):
        now = rig.device.clock.now()
        return tuple(
            (now + timedelta(days=day)).strftime(SCHEDULE_FORMAT)
            for day, _ in enumerate(command.parameters, start=1)
        )
    if not command.parameters:
        return ()
    (example,) = [e for e in reference(command).examples if e.startswith(command.text + " ")]
    return tuple(example.removeprefix(command.text + " ").split())


def sdk_arguments(command: ConfigCommand, texts: tuple[str, ...]) -> list[object]:
    return [
        int(text) if parameter.kind is ValueKind.NUMBER else text
        for parameter, text in zip(command.parameters, texts, strict=True)
    ]


def cli_edit(command: ConfigCommand, argv: list[str]) -> Edit:
    """The edit of a ``smartupgrade`` command line, checked to be the row's subcommand."""
    args = parser.parse(argv)
    assert args.command == command.subcommand
    parser.prepare(args)
    edit: Edit = args.edit
    return edit


Shape = tuple[str, tuple[tuple[str, str], ...], str, tuple["Shape", ...]]


def shape(element: etree._Element) -> Shape:
    """An element by its qualified names, whatever prefixes it was written with."""
    attributes = tuple(sorted((str(k), str(v)) for k, v in element.attrib.items()))
    children = tuple(shape(child) for child in element)
    return str(element.tag), attributes, (element.text or "").strip(), children


def sdk_config(edit: Edit) -> etree._Element:
    config = messages.edit_config([edit]).find(f"{{{BASE_NS}}}config")
    assert config is not None
    return config


def field_of(rig: CommandLineRig, command: ConfigCommand) -> object:
    return getattr(rig.device.state(), command.field)


async def configure(term: Terminal, line: str) -> None:
    assert await term.command(line) == [], line


@pytest.mark.parametrize("command", ROWS, ids=ids)
async def test_every_form_makes_one_edit_that_reaches_the_device(
    rig: CommandLineRig, term: Terminal, command: ConfigCommand
) -> None:
    await term.command("system-view")
    await configure(term, "ssl policy houp")
    await term.command("quit")
    # the rows before this one, in configuration order, are its prerequisites
    for earlier in ROWS[: ROWS.index(command)]:
        await configure(term, earlier.line(sample(rig, earlier)))
    assert field_of(rig, command) == getattr(DEFAULTS, command.field)

    texts = sample(rig, command)
    line = command.line(texts)
    sdk = getattr(edits, command.method)(*sdk_arguments(command, texts))
    assert cli_edit(command, line.split()[1:]) == sdk
    syntaxes = available(SYNTAXES, View(command.view), command.level)
    match = parse(syntaxes, split(line), len(line))
    action = CONFIGURES[match.syntax.action]
    assert action == Configure(command)
    vrp = configuration_edit(command, action.texts(match.arguments))
    assert shape(vrp) == shape(sdk_config(sdk))

    await configure(term, line)
    state = rig.device.state()
    for leaf, text in command.values(texts):
        assert leaf_text(state, leaf) == text
    undo = getattr(edits, command.undo_method)()
    assert shape(undo_edit(command)) == shape(sdk_config(undo))
    rig.datastores.edit(DatastoreName.RUNNING, sdk_config(undo), SESSION_ID)
    assert field_of(rig, command) == getattr(DEFAULTS, command.field)
    rig.datastores.edit(DatastoreName.RUNNING, sdk_config(sdk), SESSION_ID)
    assert field_of(rig, command) != getattr(DEFAULTS, command.field)
    await configure(term, command.undo_text)
    assert field_of(rig, command) == getattr(DEFAULTS, command.field)
