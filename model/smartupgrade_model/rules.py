"""How a refused value is said, the same on every front end: the node, the value and the rule
in words. No I/O.

The rule is the module's own sentence, the ``error-message`` of the restrictions of the leaf's
type (:attr:`~smartupgrade_model.model.LeafSpec.rule`); a type without one gets a sentence made
from its ranges and lengths. The NETCONF server's ``<error-message>``, the SDK's
``InvalidArgument`` and the ``smartupgrade`` tool's ``Error:`` line are :func:`refused_value`;
the VRP command line marks the value with its ``^`` and adds the rule to its ``Wrong
parameter`` line.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence

from smartupgrade_model.model import LeafSpec


def refused_value(name: str, value: str, rule: str) -> str:
    """``Invalid value '0' for https-port. The HTTPS port must be an integer from 1 to
    65535.``"""
    return f"Invalid value '{value}' for {name}. {rule}"


def spans(bounds: Sequence[tuple[int, int]]) -> str:
    """``1 to 23``, ``0 to 9 or 20 to 29``."""
    return " or ".join(f"{low} to {high}" for low, high in bounds)


def rule_of(spec: LeafSpec) -> str:
    """The leaf's rule in words: the module's sentence, else one made from its restrictions."""
    if spec.rule is not None:
        return spec.rule
    parts = []
    if spec.ranges:
        parts.append(f"an integer from {spans(spec.ranges)}")
    if spec.lengths:
        parts.append(f"{spans(spec.lengths)} characters long")
    if spec.kind == "bool":
        parts.append("true or false")
    return f"It must be {' and '.join(parts)}." if parts else "It is not a valid value."


def missing_date(year: int, month: int, day: int) -> str | None:
    """Why a schedule time's date does not exist (the module's pattern lets DD be 31 in any
    month), or None: ``The date does not exist: February 2030 has 28 days.``"""
    if not 1 <= month <= 12:
        return None  # the pattern's rule, not the calendar's
    days = calendar.monthrange(year, month)[1]
    if 1 <= day <= days:
        return None
    return f"The date does not exist: {calendar.month_name[month]} {year} has {days} days."
