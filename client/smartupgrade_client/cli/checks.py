"""The switch's parameter checks, made before anything is sent.

Every limit comes from the module (:data:`~smartupgrade_model.model.CONFIG_LEAVES`,
:data:`~smartupgrade_model.model.CONSTRAINTS`); the messages say what a valid value looks like,
the way the switch's command line rejects a wrong parameter before it reaches the system.
"""

from __future__ import annotations

import re
from datetime import datetime

from smartupgrade_client import edits
from smartupgrade_client.errors import InvalidArgument
from smartupgrade_model.display import SCHEDULE_FORMAT
from smartupgrade_model.model import CONFIG_LEAVES, CONSTRAINTS, SSL_POLICY_NAME, LeafSpec

URL = CONFIG_LEAVES["/smart-upgrade/url"]
HTTPS_PORT = CONFIG_LEAVES["/smart-upgrade/https-port"]
SSL_POLICY = CONFIG_LEAVES["/smart-upgrade/ssl-policy"]
DOWNLOAD_AT = CONFIG_LEAVES["/smart-upgrade/schedule/download-at"]
REBOOT_AT = CONFIG_LEAVES["/smart-upgrade/schedule/reboot-at"]
REBOOT_AFTER_DOWNLOAD = CONSTRAINTS["reboot-not-after-download"]

# How the seed writes the schedule format (the module's pattern is its zero-padded form).
SCHEDULE_SYNTAX = "YYYY-MM-DD HH:MM:SS"


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


def url(text: str) -> str:
    """``smart-upgrade url host``."""
    return _text(URL, text, "host")


def https_port(text: str) -> int:
    """``smart-upgrade https-port https-port``."""
    try:
        port = int(text, 10)
    except ValueError:
        raise UsageError(f"Invalid HTTPS port {text!r}: give {_requirement(HTTPS_PORT)}.") from None
    if not any(low <= port <= high for low, high in HTTPS_PORT.ranges):
        raise UsageError(f"HTTPS port {port} is out of range: give {_requirement(HTTPS_PORT)}.")
    return port


def policy_name(text: str) -> str:
    """An SSL policy name (``smart-upgrade ssl-policy`` and ``ssl policy``)."""
    return _text(SSL_POLICY_NAME, text, "SSL policy name")


def bound_policy_name(text: str) -> str:
    """``smart-upgrade ssl-policy policy-name``."""
    return _text(SSL_POLICY, text, "SSL policy name")


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


def schedule(download_at: str, reboot_at: str | None) -> tuple[str, str | None]:
    """``smart-upgrade schedule download at T [reboot at T2]``; the reboot must come after the
    download (the module's constraint). That the download lies in the switch's future only the
    switch can tell."""
    download = schedule_time(download_at, DOWNLOAD_AT, "download time")
    if reboot_at is None:
        return download, None
    reboot = schedule_time(reboot_at, REBOOT_AT, "reboot time")
    # Zero-padded times of one format compare as text.
    if reboot <= download:
        raise UsageError(REBOOT_AFTER_DOWNLOAD.message)
    return download, reboot
