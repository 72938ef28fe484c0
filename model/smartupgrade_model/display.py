"""``display smart-upgrade information`` as the switch prints it. No I/O.

One layout for the VRP command line, the ``smartupgrade`` tool and the web system. Sections,
labels, their order and the time formats come from the module
(:data:`~smartupgrade_model.model.DISPLAY_SECTIONS`), enum values print as their ``.display``
string, and an absent value as ``-``.

The spacing is the seed's two examples, line for line (``tests/unit/client/test_display.py``
reads them from the seed): a blank line between sections, but none between ``Configuration``
and ``Version information``; a blank line after the English description, which the switch
prints as a paragraph of its own; and a label wider than the colon column (the English
description's) followed by its colon and the value with no space (example 1:
``...in English:1)description:2)CC+SPH``), or by `` -`` when there is none (example 2).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from smartupgrade_model.model import DISPLAY_SECTIONS, DisplayField, DisplaySection, SmartUpgrade

# The switch's Info lines of the display: the seed's, and ours for a switch that does not ask
# the HOUP because smart upgrade is disabled (the seed: the command exchanges information with
# the HOUP "after smart upgrade is enabled").
LOADING = "Loading the information, please wait ."
NOT_ASKED = "Smart upgrade is disabled: houp was not asked for the latest version."

# The module's schedule-time type: "YYYY-MM-DD HH:MM:SS" in the switch's local time.
SCHEDULE_FORMAT = "%Y-%m-%d %H:%M:%S"

# The switch's colon column: labels are padded to this width (longer ones are not cut).
LABEL_WIDTH = 29
INDENT = "    "
ABSENT = "-"

# The sections the switch prints right under the one before, without a blank line.
_RUN_ON: Final = frozenset({"Version information"})
# The fields (by leaf name, the switch's or its AP's) the switch follows with a blank line.
_BLANK_AFTER: Final = frozenset({"description-in-english"})


def _value(state: SmartUpgrade, path: tuple[str, ...]) -> object:
    value: object = state
    for name in path[1:]:
        value = getattr(value, name.replace("-", "_"))
    return value


def format_value(value: object, time_format: str | None = None) -> str:
    """One value the way the switch shows it."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        display = getattr(value, "display", None)
        return display if isinstance(display, str) else value.value
    if time_format is not None:
        # schedule times are the module's "YYYY-MM-DD HH:MM:SS" strings in the switch's time
        moment = (
            value if isinstance(value, datetime) else datetime.strptime(str(value), SCHEDULE_FORMAT)
        )
        return moment.strftime(time_format)
    return str(value)


def raw_value(state: SmartUpgrade, item: DisplayField) -> object:
    """One field's value as ``state`` holds it (None: absent)."""
    return _value(state, item.path)


def field_value(state: SmartUpgrade, item: DisplayField) -> str:
    """One field's value the way the switch shows it."""
    return format_value(_value(state, item.path), item.time_format)


def line(label: str, value: str) -> str:
    """One field's line: the label padded to the colon column, then the value."""
    if len(label) <= LABEL_WIDTH:
        return f"{INDENT}{label:<{LABEL_WIDTH}}: {value}"
    return f"{INDENT}{label}:{' ' + value if value == ABSENT else value}"


def _lines(state: SmartUpgrade, section: DisplaySection) -> list[str]:
    lines = [f"{section.title}:"]
    for item in section.fields:
        lines.append(line(item.label, field_value(state, item)))
        if item.path[-1] in _BLANK_AFTER:
            lines.append("")
    return lines


def shows_ap(state: SmartUpgrade) -> bool:
    """Whether the switch displays its AP: with smart upgrade for APs enabled, the seed's second
    example shows the AP's version, upgrade and local information and its AP information."""
    return state.ap.enabled


def _as_ap(section: DisplaySection) -> DisplaySection:
    """A section with its AP counterpart's values (leaves of the same names, one grouping)."""
    if section.ap_path is None:
        return section
    base = section.ap_path
    return replace(
        section,
        path=base,
        fields=tuple(replace(item, path=(*base, item.path[-1])) for item in section.fields),
    )


def shown_sections(state: SmartUpgrade) -> tuple[DisplaySection, ...]:
    """The sections the switch shows for ``state``, in its order, with the fields' paths those
    of the values shown. Displaying its AP (:func:`shows_ap`), the switch shows the AP's
    sections and its AP information; otherwise its own, without AP information (the seed's first
    example is an AP-capable S5732-H)."""
    ap = shows_ap(state)
    return tuple(
        _as_ap(section) if ap else section
        for section in DISPLAY_SECTIONS
        if section.feature is None or ap
    )


def shown_field(state: SmartUpgrade, item: DisplayField) -> DisplayField:
    """The field ``item`` of the module's sections as the switch shows it for ``state`` (the
    AP's when it displays its AP)."""
    for section in DISPLAY_SECTIONS:
        if item in section.fields:
            if not shows_ap(state) or section.ap_path is None:
                return item
            return replace(item, path=(*section.ap_path, item.path[-1]))
    raise ValueError(f"{item.path} is not a field of the display")


def render(state: SmartUpgrade, titles: Collection[str] | None = None) -> str:
    """The whole output, or only the sections named in ``titles`` (the ``Upgrade information``
    a download ends with), in the switch's order and spacing."""
    lines: list[str] = []
    for section in shown_sections(state):
        if titles is not None and section.title not in titles:
            continue
        if lines and lines[-1] and section.title not in _RUN_ON:
            lines.append("")
        lines.extend(_lines(state, section))
    return "\n".join(lines) + "\n"
