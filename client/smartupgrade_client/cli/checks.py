"""The switch's parameter checks, made before anything is sent.

Every limit comes from the module (:data:`~smartupgrade_model.model.CONFIG_LEAVES`,
:data:`~smartupgrade_model.model.CONSTRAINTS`), each parameter's check from its kind in the
table of the seed's commands (:data:`~smartupgrade_model.commands.CONFIG_COMMANDS`); the
messages say what a valid value looks like, the way the switch's command line rejects a wrong
parameter before it reaches the system.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from smartupgrade_client import edits
from smartupgrade_client.errors import InvalidArgument
from smartupgrade_model.commands import (
    TIME_SYNTAX,
    ConfigCommand,
    ConfigParameter,
    ValueKind,
)
from smartupgrade_model.display import SCHEDULE_FORMAT
from smartupgrade_model.model import CONSTRAINTS, SSL_POLICY_NAME, LeafSpec

REBOOT_AFTER_DOWNLOAD = CONSTRAINTS["reboot-not-after-download"]

SCHEDULE_SYNTAX = TIME_SYNTAX


class UsageError(Exception):
    """A command line the switch would reject; the message says what to fix."""


def _spans(spans: tuple[tuple[int, int], ...]) -> str:
    return " or ".join(f"{low} to {high}" for low, high in spans)


def _requirement(spec: LeafSpec) -> str:
    parts: list[str] = []
    if spec.ranges:
        parts.append(f"an integer from {_spans(spec.ranges)}")
    if spec.lengths:
        parts.append(f"a string of {_spans(spec.lengths)} characters")
    parts.extend(f"matching {pattern}" for pattern in spec.patterns)
    return ", ".join(parts)


def _text(spec: LeafSpec, text: str, what: str) -> str:
    if (spec.lengths and not any(low <= len(text) <= high for low, high in spec.lengths)) or any(
        re.fullmatch(pattern, text) is None for pattern in spec.patterns
    ):
        raise UsageError(f"Invalid {what} {text!r}: give {_requirement(spec)}.")
    return text


def _number(parameter: ConfigParameter, text: str) -> int:
    spec, what = parameter.leaf, parameter.what
    try:
        number = int(text, 10)
    except ValueError:
        raise UsageError(f"Invalid {what} {text!r}: give {_requirement(spec)}.") from None
    if not any(low <= number <= high for low, high in spec.ranges):
        raise UsageError(f"{what} {number} is out of range: give {_requirement(spec)}.")
    return number


def argument(parameter: ConfigParameter, text: str) -> str | int:
    """A parameter of one of the seed's commands, by its kind."""
    match parameter.kind:
        case ValueKind.NUMBER:
            return _number(parameter, text)
        case ValueKind.TIME:
            return schedule_time(text, parameter.leaf, parameter.what)
        case ValueKind.TEXT:
            return _text(parameter.leaf, text, parameter.what)


def arguments(command: ConfigCommand, texts: Sequence[str | None]) -> tuple[str | int | None, ...]:
    """A command's parameters, each by its kind, then the module's rules between them."""
    values = tuple(
        None if text is None else argument(parameter, text)
        for parameter, text in zip(command.parameters, texts, strict=True)
    )
    if command.node == REBOOT_AFTER_DOWNLOAD.path:
        download, reboot = values
        # Zero-padded times of one format compare as text.
        if reboot is not None and str(reboot) <= str(download):
            raise UsageError(REBOOT_AFTER_DOWNLOAD.message)
    return values


def policy_name(text: str) -> str:
    """An SSL policy name (``ssl policy``)."""
    return _text(SSL_POLICY_NAME, text, "SSL policy name")


def schedule_time(text: str, spec: LeafSpec, what: str) -> str:
    """A schedule time in the module's padded form; the switch's unpadded ``2020-2-13`` is
    accepted, as on its command line."""
    try:
        padded = edits.schedule_time(text, spec)
    except InvalidArgument:
        raise UsageError(
            f"Invalid {what} {text!r}: give {SCHEDULE_SYNTAX} (matching {spec.patterns[0]})."
        ) from None
    try:
        datetime.strptime(padded, SCHEDULE_FORMAT)
    except ValueError as error:
        raise UsageError(f"Invalid {what} {text!r}: {error}.") from None
    return padded
