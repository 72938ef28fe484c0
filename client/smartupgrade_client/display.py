"""``display smart-upgrade information`` as the switch prints it. No I/O.

Sections, labels, their order and the time formats come from the module
(:data:`~smartupgrade_client.model.DISPLAY_SECTIONS`), enum values print as their ``.display``
string, and an absent value as ``-``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from smartupgrade_client.edits import SCHEDULE_FORMAT
from smartupgrade_client.model import DISPLAY_SECTIONS, DisplayField, DisplaySection, SmartUpgrade

# The switch's colon column: labels are padded to this width (longer ones are not cut).
LABEL_WIDTH = 29
INDENT = "    "
ABSENT = "-"


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


def _line(state: SmartUpgrade, item: DisplayField) -> str:
    value = format_value(_value(state, item.path), item.time_format)
    return f"{INDENT}{item.label:<{LABEL_WIDTH}}: {value}"


def _shown(state: SmartUpgrade, section: DisplaySection) -> bool:
    # A feature's section (AP information) appears on switches that report its data.
    return section.feature is None or any(
        _value(state, item.path) is not None for item in section.fields
    )


def render(state: SmartUpgrade) -> str:
    """The whole output, one section after another, separated by a blank line."""
    blocks = [
        "\n".join([f"{section.title}:", *(_line(state, item) for item in section.fields)])
        for section in DISPLAY_SECTIONS
        if _shown(state, section)
    ]
    return "\n\n".join(blocks) + "\n"
