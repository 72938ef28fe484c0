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

from smartupgrade_client import edits
from smartupgrade_client.errors import InvalidArgument
from smartupgrade_model.commands import (
    TIME_SYNTAX,
    ConfigCommand,
    ConfigParameter,
    ValueKind,
)
from smartupgrade_model.model import CONSTRAINTS, SSL_POLICY_NAME, LeafSpec
from smartupgrade_model.rules import refused_value, rule_of

REBOOT_AFTER_DOWNLOAD = CONSTRAINTS["reboot-not-after-download"]
# the seed's name of the parameter of `ssl policy policy-name`
POLICY_NAME = "policy-name"

SCHEDULE_SYNTAX = TIME_SYNTAX


class UsageError(Exception):
    """A command line the switch would reject; the message says what to fix."""


def _refused(name: str, spec: LeafSpec, value: str) -> UsageError:
    return UsageError(refused_value(name, value, rule_of(spec)))


def _text(spec: LeafSpec, text: str, name: str) -> str:
    if (spec.lengths and not any(low <= len(text) <= high for low, high in spec.lengths)) or any(
        re.fullmatch(pattern, text) is None for pattern in spec.patterns
    ):
        raise _refused(name, spec, text)
    return text


def _number(parameter: ConfigParameter, text: str) -> int:
    spec = parameter.leaf
    try:
        number = int(text, 10)
    except ValueError:
        raise _refused(parameter.name, spec, text) from None
    if not any(low <= number <= high for low, high in spec.ranges):
        raise _refused(parameter.name, spec, text)
    return number


def argument(parameter: ConfigParameter, text: str) -> str | int:
    """A parameter of one of the seed's commands, by its kind."""
    match parameter.kind:
        case ValueKind.NUMBER:
            return _number(parameter, text)
        case ValueKind.TIME:
            return schedule_time(text, parameter.leaf, parameter.name)
        case ValueKind.TEXT:
            return _text(parameter.leaf, text, parameter.name)


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
    return _text(SSL_POLICY_NAME, text, POLICY_NAME)


def schedule_time(text: str, spec: LeafSpec, name: str) -> str:
    """A schedule time in the module's padded form; the switch's unpadded ``2020-2-13`` is
    accepted, as on its command line."""
    try:
        return edits.schedule_time(text, spec, name=name)
    except InvalidArgument as refused:
        raise UsageError(str(refused)) from None
