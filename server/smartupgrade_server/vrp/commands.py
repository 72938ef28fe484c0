"""Every command of the command line: syntax, views and level. Ranges, lengths and patterns come
from the module (:data:`~smartupgrade_model.model.CONFIG_LEAVES`), never retyped.

The seed's configuration commands and their ``undo`` forms are made from their table
(:data:`~smartupgrade_model.commands.CONFIG_COMMANDS`): its keywords, parameters by kind,
view and level; their action is a :class:`Configure` of the row. Views and levels are the
seed's: the smart-upgrade commands are system-view commands of level 3 (management); ``display
smart-upgrade information`` works in all views. The supporting
commands follow VRP's defaults: level 0 (visit) for the terminal settings and ``quit``, 1
(monitoring) for ``display version``/``esn``/``interface brief``, 2 (configuration) for
``system-view`` and ``return``, 3 for ``save``, ``reboot`` (user view), ``display
current-configuration`` and ``ssl policy``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from smartupgrade_model.commands import (
    CONFIG_COMMANDS,
    PREFIX,
    TIME_SYNTAX,
    UNDO,
    CommandWord,
    ConfigCommand,
    ConfigParameter,
    ValueKind,
)
from smartupgrade_model.model import CONFIG_LEAVES, SSL_POLICY_NAME
from smartupgrade_model.rules import missing_date, rule_of
from smartupgrade_server.vrp.grammar import (
    ALL_VIEWS,
    Param,
    Syntax,
    Token,
    View,
    integer_param,
    string_param,
)

VISIT, MONITORING, CONFIGURATION, MANAGEMENT = range(4)


class Action(StrEnum):
    SYSTEM_VIEW = "system-view"
    QUIT = "quit"
    RETURN = "return"
    SCREEN_LENGTH = "screen-length"
    SCREEN_WIDTH = "screen-width"
    SAVE = "save"
    REBOOT = "reboot"
    DISPLAY_SMART_UPGRADE = "display smart-upgrade information"
    DISPLAY_CURRENT = "display current-configuration"
    DISPLAY_VERSION = "display version"
    DISPLAY_ESN = "display esn"
    DISPLAY_INTERFACES = "display interface brief"
    SSL_POLICY = "ssl policy"
    UNDO_SSL_POLICY = "undo ssl policy"
    DOWNLOAD = "smart-upgrade download"
    RIGHT_NOW = "smart-upgrade right-now"


@dataclass(frozen=True)
class Configure:
    """The action of a seed configuration command: set its leaves, or (``undo``) remove its
    node."""

    command: ConfigCommand
    undo: bool = False

    @property
    def value_key(self) -> str | None:
        """The parameter a value the module's type refuses is marked under, as a wrong
        parameter: the command's one single-word parameter."""
        keys = [key for parameter in self.command.parameters for key in _keys(parameter)]
        return keys[0] if len(keys) == 1 else None

    def texts(self, arguments: Mapping[str, object]) -> tuple[str | None, ...]:
        """The parsed parameters as the texts of their leaves (None: an optional one left
        out)."""
        found: list[str | None] = []
        for parameter in self.command.parameters:
            keys = _keys(parameter)
            given = [arguments[key] for key in keys if key in arguments]
            found.append(" ".join(str(value) for value in given) if given else None)
        return tuple(found)


# --- schedule times ------------------------------------------------------------------------------

_SCHEDULE_PATTERN = re.compile(CONFIG_LEAVES["/smart-upgrade/schedule/download-at"].patterns[0])
assert _SCHEDULE_PATTERN.pattern == CONFIG_LEAVES["/smart-upgrade/schedule/reboot-at"].patterns[0]
SCHEDULE_RULE = rule_of(CONFIG_LEAVES["/smart-upgrade/schedule/download-at"])
# The switch prints and accepts fields without leading zeros (2020-2-13 20:01:24); the module's
# type has every field at full width.
_DATE_WORD = re.compile(r"(\d{1,4})-(\d{1,2})-(\d{1,2})")
_TIME_WORD = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})")
_SAMPLE_DATE, _SAMPLE_TIME = "2000-01-01", "00:00:00"


def parse_date(text: str) -> str:
    """A date word of ``schedule``, padded; ValueError (with the rule it breaks) outside the
    module's pattern or the calendar."""
    match = _DATE_WORD.fullmatch(text)
    if match is None:
        raise ValueError(SCHEDULE_RULE)
    year, month, day = (int(g) for g in match.groups())
    padded = f"{year:04d}-{month:02d}-{day:02d}"
    if not _SCHEDULE_PATTERN.fullmatch(f"{padded} {_SAMPLE_TIME}"):
        raise ValueError(SCHEDULE_RULE)
    missing = missing_date(year, month, day)
    if missing is not None:
        raise ValueError(missing)
    return padded


def parse_time(text: str) -> str:
    match = _TIME_WORD.fullmatch(text)
    if match is None:
        raise ValueError(SCHEDULE_RULE)
    padded = ":".join(f"{int(g):02d}" for g in match.groups())
    if not _SCHEDULE_PATTERN.fullmatch(f"{_SAMPLE_DATE} {padded}"):
        raise ValueError(SCHEDULE_RULE)
    return padded


# --- the command table ------------------------------------------------------------------------


def _k(word: str, help: str) -> CommandWord:
    return CommandWord(word, help)


DISPLAY = _k("display", "Display information")
UNDO_WORD = _k(UNDO, "Negate a command or set its default")
SMART_UPGRADE = _k(PREFIX, "Smart upgrade")
SSL = _k("ssl", "Secure Sockets Layer")
POLICY = _k("policy", "SSL policy")
POLICY_NAME = string_param("policy-name", SSL_POLICY_NAME, "Name of an SSL policy")
# VRP's ranges of its terminal settings
SCREEN_LINES = integer_param(
    "lines",
    ((0, 512),),
    "Number of lines on a screen (0: no paging)",
    "The number of lines must be an integer from 0 to 512.",
)
SCREEN_COLUMNS = integer_param(
    "columns",
    ((80, 256),),
    "Number of columns on a screen",
    "The number of columns must be an integer from 80 to 256.",
)
# a time is two words, its date and its time of day
_DATE, _TIME_OF_DAY = TIME_SYNTAX.split()


def _keys(parameter: ConfigParameter) -> tuple[str, ...]:
    """The keys of the words a parameter takes in a match's arguments."""
    if parameter.kind is ValueKind.TIME:
        return (f"{parameter.name} {_DATE}", f"{parameter.name} {_TIME_OF_DAY}")
    return (parameter.name,)


def _tokens(parameter: ConfigParameter) -> tuple[Token, ...]:
    """The keywords and parameter words of a seed command's parameter."""
    help = parameter.help[:1].upper() + parameter.help[1:]
    match parameter.kind:
        case ValueKind.TEXT:
            words: tuple[Param, ...] = (string_param(parameter.name, parameter.leaf, help),)
        case ValueKind.NUMBER:
            rule = rule_of(parameter.leaf)
            words = (integer_param(parameter.name, parameter.leaf.ranges, help, rule),)
        case ValueKind.TIME:
            date_key, time_key = _keys(parameter)
            words = (
                Param(date_key, _DATE, "Date, YYYY from 2000 to 2099", parse_date, SCHEDULE_RULE),
                Param(time_key, _TIME_OF_DAY, "Time", parse_time, SCHEDULE_RULE),
            )
    return parameter.after + words


def configuration_syntaxes(command: ConfigCommand) -> Iterator[Syntax]:
    """A seed command's syntaxes, whose action is the command's text (see
    :data:`CONFIGURES`): one for each number of its optional parameters given (they come last,
    as the seed's ``[ ... ]``), then its ``undo`` form."""
    views = frozenset({View(command.view)})
    required = sum(not p.optional for p in command.parameters)
    for given in range(required, len(command.parameters) + 1):
        tokens: list[Token] = [SMART_UPGRADE, *command.words]
        for parameter in command.parameters[:given]:
            tokens.extend(_tokens(parameter))
        yield Syntax(tuple(tokens), command.text, views, command.level)
    undo = (UNDO_WORD, SMART_UPGRADE, *command.words)
    yield Syntax(undo, command.undo_text, views, command.level)


def _syntax(
    action: Action, level: int, views: frozenset[View], *tokens: Token | tuple[CommandWord, ...]
) -> Syntax:
    flat: list[Token] = []
    for token in tokens:
        flat.extend(token if isinstance(token, tuple) else (token,))
    return Syntax(tuple(flat), action, views, level)


_SYSTEM = frozenset({View.SYSTEM})
_USER = frozenset({View.USER})
_BELOW_SYSTEM = frozenset({View.SYSTEM, View.SSL_POLICY})
_INFORMATION = _k("information", "Smart upgrade information")

SYNTAXES: Final[tuple[Syntax, ...]] = (
    # views and the terminal
    _syntax(Action.SYSTEM_VIEW, CONFIGURATION, _USER, _k("system-view", "Enter the system view")),
    _syntax(Action.QUIT, VISIT, ALL_VIEWS, _k("quit", "Exit from the current view")),
    _syntax(Action.RETURN, CONFIGURATION, _BELOW_SYSTEM, _k("return", "Return to the user view")),
    _syntax(
        Action.SCREEN_LENGTH,
        VISIT,
        _USER,
        _k("screen-length", "Set the number of lines on a screen"),
        SCREEN_LINES,
        _k("temporary", "For the current session only"),
    ),
    _syntax(
        Action.SCREEN_WIDTH,
        VISIT,
        _USER,
        _k("screen-width", "Set the number of columns on a screen"),
        SCREEN_COLUMNS,
    ),
    # VRP saves from any view
    _syntax(Action.SAVE, MANAGEMENT, ALL_VIEWS, _k("save", "Save the current configuration")),
    _syntax(Action.REBOOT, MANAGEMENT, _USER, _k("reboot", "Reboot the device")),
    # display, in all views
    _syntax(
        Action.DISPLAY_SMART_UPGRADE,
        MANAGEMENT,
        ALL_VIEWS,
        DISPLAY,
        SMART_UPGRADE,
        _INFORMATION,
    ),
    _syntax(
        Action.DISPLAY_CURRENT,
        MANAGEMENT,
        ALL_VIEWS,
        DISPLAY,
        _k("current-configuration", "Current configuration"),
    ),
    _syntax(
        Action.DISPLAY_VERSION, MONITORING, ALL_VIEWS, DISPLAY, _k("version", "System version")
    ),
    _syntax(
        Action.DISPLAY_ESN, MONITORING, ALL_VIEWS, DISPLAY, _k("esn", "Equipment serial number")
    ),
    _syntax(
        Action.DISPLAY_INTERFACES,
        MONITORING,
        ALL_VIEWS,
        DISPLAY,
        _k("interface", "Interface status"),
        _k("brief", "Brief information"),
    ),
    # the SSL policy smart upgrade binds
    _syntax(Action.SSL_POLICY, MANAGEMENT, _SYSTEM, SSL, POLICY, POLICY_NAME),
    _syntax(Action.UNDO_SSL_POLICY, MANAGEMENT, _SYSTEM, UNDO_WORD, SSL, POLICY, POLICY_NAME),
    # the seed's operations
    _syntax(
        Action.DOWNLOAD,
        MANAGEMENT,
        _SYSTEM,
        SMART_UPGRADE,
        _k("download", "Download the system files from the HOUP"),
    ),
    _syntax(
        Action.RIGHT_NOW, MANAGEMENT, _SYSTEM, SMART_UPGRADE, _k("right-now", "Upgrade immediately")
    ),
    # the seed's configuration commands
    *(syntax for command in CONFIG_COMMANDS.values() for syntax in configuration_syntaxes(command)),
)

CONFIGURES: Final[Mapping[str, Configure]] = {
    text: Configure(command, undo)
    for command in CONFIG_COMMANDS.values()
    for text, undo in ((command.text, False), (command.undo_text, True))
}
"""What the action of a seed configuration command's syntax (its text) does."""
