"""Every command of the command line: syntax, views and level. Ranges, lengths and patterns come
from the module (:data:`~smartupgrade_model.model.CONFIG_LEAVES`), never retyped.

Views and levels are the seed's: the smart-upgrade commands are system-view commands of level 3
(management); ``display smart-upgrade information`` works in all views. The supporting
commands follow VRP's defaults: level 0 (visit) for the terminal settings and ``quit``, 1
(monitoring) for ``display version``/``esn``/``interface brief``, 2 (configuration) for
``system-view`` and ``return``, 3 for ``save``, ``display current-configuration`` and ``ssl
policy``.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Final

from smartupgrade_model.model import CONFIG_LEAVES, SSL_POLICY_NAME
from smartupgrade_server.vrp.grammar import (
    ALL_VIEWS,
    Keyword,
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
    DISPLAY_SMART_UPGRADE = "display smart-upgrade information"
    DISPLAY_CURRENT = "display current-configuration"
    DISPLAY_VERSION = "display version"
    DISPLAY_ESN = "display esn"
    DISPLAY_INTERFACES = "display interface brief"
    SSL_POLICY = "ssl policy"
    UNDO_SSL_POLICY = "undo ssl policy"
    URL = "smart-upgrade url"
    UNDO_URL = "undo smart-upgrade url"
    HTTPS_PORT = "smart-upgrade https-port"
    UNDO_HTTPS_PORT = "undo smart-upgrade https-port"
    BIND_SSL_POLICY = "smart-upgrade ssl-policy"
    UNDO_BIND_SSL_POLICY = "undo smart-upgrade ssl-policy"
    ENABLE = "smart-upgrade enable"
    UNDO_ENABLE = "undo smart-upgrade enable"
    AP_ENABLE = "smart-upgrade ap enable"
    UNDO_AP_ENABLE = "undo smart-upgrade ap enable"
    SCHEDULE = "smart-upgrade schedule"
    UNDO_SCHEDULE = "undo smart-upgrade schedule"
    VERIFY_SERVER_DISABLE = "smart-upgrade verify-server disable"
    UNDO_VERIFY_SERVER_DISABLE = "undo smart-upgrade verify-server disable"
    WEB_PROMPT_DISABLE = "smart-upgrade web-prompt disable"
    UNDO_WEB_PROMPT_DISABLE = "undo smart-upgrade web-prompt disable"
    DOWNLOAD = "smart-upgrade download"
    RIGHT_NOW = "smart-upgrade right-now"


# --- schedule times ------------------------------------------------------------------------------

_SCHEDULE_PATTERN = re.compile(CONFIG_LEAVES["/smart-upgrade/schedule/download-at"].patterns[0])
assert _SCHEDULE_PATTERN.pattern == CONFIG_LEAVES["/smart-upgrade/schedule/reboot-at"].patterns[0]
# The switch prints and accepts fields without leading zeros (2020-2-13 20:01:24); the module's
# type has every field at full width.
_DATE_WORD = re.compile(r"(\d{1,4})-(\d{1,2})-(\d{1,2})")
_TIME_WORD = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})")
_SAMPLE_DATE, _SAMPLE_TIME = "2000-01-01", "00:00:00"


def parse_date(text: str) -> str:
    """A date word of ``schedule``, padded; ValueError outside the module's pattern or the
    calendar."""
    match = _DATE_WORD.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    padded = f"{year:04d}-{month:02d}-{day:02d}"
    if not _SCHEDULE_PATTERN.fullmatch(f"{padded} {_SAMPLE_TIME}"):
        raise ValueError(text)
    date(year, month, day)
    return padded


def parse_time(text: str) -> str:
    match = _TIME_WORD.fullmatch(text)
    if match is None:
        raise ValueError(text)
    padded = ":".join(f"{int(g):02d}" for g in match.groups())
    if not _SCHEDULE_PATTERN.fullmatch(f"{_SAMPLE_DATE} {padded}"):
        raise ValueError(text)
    return padded


# --- the command table ------------------------------------------------------------------------


def _k(word: str, help: str) -> Keyword:
    return Keyword(word, help)


DISPLAY = _k("display", "Display information")
UNDO = _k("undo", "Negate a command or set its default")
SMART_UPGRADE = _k("smart-upgrade", "Smart upgrade")
SSL = _k("ssl", "Secure Sockets Layer")
POLICY = _k("policy", "SSL policy")
SCHEDULE = _k("schedule", "Scheduled smart upgrade")
DOWNLOAD_AT = (_k("download", "Download system files"), _k("at", "Specify a time"))
REBOOT_AT = (_k("reboot", "Restart after the upgrade"), _k("at", "Specify a time"))
DISABLE = _k("disable", "Disable")
ENABLE = _k("enable", "Enable")
AP = _k("ap", "Smart upgrade of APs")

_URL = CONFIG_LEAVES["/smart-upgrade/url"]
_PORT = CONFIG_LEAVES["/smart-upgrade/https-port"]
_BOUND_POLICY = CONFIG_LEAVES["/smart-upgrade/ssl-policy"]

HOST = string_param("host", _URL, "URL or IP address of the proxy server")
PORT = integer_param("https-port", _PORT.ranges, "HTTPS port number of the proxy server")
BOUND_POLICY_NAME = string_param("policy-name", _BOUND_POLICY, "Name of an SSL policy")
POLICY_NAME = string_param("policy-name", SSL_POLICY_NAME, "Name of an SSL policy")


def _time_params(prefix: str) -> tuple[Param, Param]:
    return (
        Param(f"{prefix}-date", "YYYY-MM-DD", "Date, YYYY from 2000 to 2099", parse_date),
        Param(f"{prefix}-time", "HH:MM:SS", "Time", parse_time),
    )


DOWNLOAD_TIME = _time_params("download")
REBOOT_TIME = _time_params("reboot")
# VRP's ranges of its terminal settings
SCREEN_LINES = integer_param("lines", ((0, 512),), "Number of lines on a screen (0: no paging)")
SCREEN_COLUMNS = integer_param("columns", ((80, 256),), "Number of columns on a screen")


def _syntax(
    action: Action, level: int, views: frozenset[View], *tokens: Token | tuple[Keyword, ...]
) -> Syntax:
    flat: list[Token] = []
    for token in tokens:
        flat.extend(token if isinstance(token, tuple) else (token,))
    return Syntax(tuple(flat), action, views, level)


_SYSTEM = frozenset({View.SYSTEM})
_USER = frozenset({View.USER})
_BELOW_SYSTEM = frozenset({View.SYSTEM, View.SSL_POLICY})
_INFORMATION = _k("information", "Smart upgrade information")


def _smart_upgrade(action: Action, *tokens: Token | tuple[Keyword, ...]) -> Syntax:
    return _syntax(action, MANAGEMENT, _SYSTEM, SMART_UPGRADE, *tokens)


def _undo_smart_upgrade(action: Action, *tokens: Token | tuple[Keyword, ...]) -> Syntax:
    return _syntax(action, MANAGEMENT, _SYSTEM, UNDO, SMART_UPGRADE, *tokens)


URL = _k("url", "URL of the proxy server")
HTTPS_PORT = _k("https-port", "HTTPS port number of the proxy server")
SSL_POLICY = _k("ssl-policy", "Bind an SSL policy")
VERIFY_SERVER = _k("verify-server", "Verify the server certificate")
WEB_PROMPT = _k("web-prompt", "Web prompt for smart upgrade")

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
    # display, in all views
    _syntax(
        Action.DISPLAY_SMART_UPGRADE,
        MANAGEMENT,
        ALL_VIEWS,
        DISPLAY,
        _k("smart-upgrade", "Smart upgrade"),
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
    _syntax(Action.UNDO_SSL_POLICY, MANAGEMENT, _SYSTEM, UNDO, SSL, POLICY, POLICY_NAME),
    # the seed's commands
    _smart_upgrade(Action.URL, URL, HOST),
    _undo_smart_upgrade(Action.UNDO_URL, URL),
    _smart_upgrade(Action.HTTPS_PORT, HTTPS_PORT, PORT),
    _undo_smart_upgrade(Action.UNDO_HTTPS_PORT, HTTPS_PORT),
    _smart_upgrade(Action.BIND_SSL_POLICY, SSL_POLICY, BOUND_POLICY_NAME),
    _undo_smart_upgrade(Action.UNDO_BIND_SSL_POLICY, SSL_POLICY),
    _smart_upgrade(Action.ENABLE, ENABLE),
    _undo_smart_upgrade(Action.UNDO_ENABLE, ENABLE),
    _smart_upgrade(Action.AP_ENABLE, AP, ENABLE),
    _undo_smart_upgrade(Action.UNDO_AP_ENABLE, AP, ENABLE),
    _smart_upgrade(Action.SCHEDULE, SCHEDULE, DOWNLOAD_AT, *DOWNLOAD_TIME),
    _smart_upgrade(Action.SCHEDULE, SCHEDULE, DOWNLOAD_AT, *DOWNLOAD_TIME, REBOOT_AT, *REBOOT_TIME),
    _undo_smart_upgrade(Action.UNDO_SCHEDULE, SCHEDULE),
    _smart_upgrade(Action.VERIFY_SERVER_DISABLE, VERIFY_SERVER, DISABLE),
    _undo_smart_upgrade(Action.UNDO_VERIFY_SERVER_DISABLE, VERIFY_SERVER, DISABLE),
    _smart_upgrade(Action.WEB_PROMPT_DISABLE, WEB_PROMPT, DISABLE),
    _undo_smart_upgrade(Action.UNDO_WEB_PROMPT_DISABLE, WEB_PROMPT, DISABLE),
    _smart_upgrade(Action.DOWNLOAD, _k("download", "Download the system files from the HOUP")),
    _smart_upgrade(Action.RIGHT_NOW, _k("right-now", "Upgrade immediately")),
)
