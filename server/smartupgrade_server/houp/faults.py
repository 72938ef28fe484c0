"""Run-time faults and settings of the HOUP emulator, with their JSON form for the admin port."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ANY_FILE = "*"
# a fault's delay, in seconds: beyond an hour no client is still waiting
MAX_DELAY = 3600.0


class FaultSpecError(ValueError):
    """A fault or setting given through the admin endpoint is malformed."""


@dataclass
class BreakAfter:
    """Close the connection once `bytes` body bytes of a matching file response were sent.

    `file` None matches every file (signatures included); `times` None breaks every matching
    response, otherwise the fault clears itself after that many breaks.
    """

    bytes: int
    file: str | None = None
    times: int | None = None

    def matches(self, name: str) -> bool:
        return self.file is None or self.file == name


def _selects(selection: set[str], name: str) -> bool:
    return ANY_FILE in selection or name in selection


@dataclass
class Faults:
    """Faults that take effect on the next request (or TLS handshake); assign fields directly.

    File selections are sets of file names; "*" selects every file.
    """

    break_after: BreakAfter | None = None
    expired_certificate: bool = False
    corrupt_content: set[str] = field(default_factory=set)
    corrupt_signature: set[str] = field(default_factory=set)
    offer_other_model: str | None = None
    offer_older_version: str | None = None
    endless_data: set[str] = field(default_factory=set)
    delay: float = 0.0

    def clear(self) -> None:
        self.__dict__.update(Faults().__dict__)

    def corrupts_content(self, name: str) -> bool:
        return _selects(self.corrupt_content, name)

    def corrupts_signature(self, name: str) -> bool:
        return _selects(self.corrupt_signature, name)

    def is_endless(self, name: str) -> bool:
        return _selects(self.endless_data, name)

    def to_json(self) -> dict[str, Any]:
        return {
            "break_after": None
            if self.break_after is None
            else {
                "bytes": self.break_after.bytes,
                "file": self.break_after.file,
                "times": self.break_after.times,
            },
            "expired_certificate": self.expired_certificate,
            "corrupt_content": sorted(self.corrupt_content),
            "corrupt_signature": sorted(self.corrupt_signature),
            "offer_other_model": self.offer_other_model,
            "offer_older_version": self.offer_older_version,
            "endless_data": sorted(self.endless_data),
            "delay": self.delay,
        }

    def update(self, data: Mapping[str, Any]) -> None:
        """Apply a partial JSON update (keys as in `to_json`); validates before changing."""
        staged = Faults(**{k: getattr(self, k) for k in self.to_json()})
        for key, value in data.items():
            if key == "break_after":
                staged.break_after = None if value is None else _break_after(value)
            elif key == "expired_certificate":
                staged.expired_certificate = _bool(key, value)
            elif key in {"corrupt_content", "corrupt_signature", "endless_data"}:
                setattr(staged, key, _names(key, value))
            elif key in {"offer_other_model", "offer_older_version"}:
                if value is not None and (not isinstance(value, str) or not value):
                    raise FaultSpecError(f"{key}: expected a non-empty string or null")
                setattr(staged, key, value)
            elif key == "delay":
                staged.delay = _seconds(key, value)
            else:
                raise FaultSpecError(f"unknown fault {key!r}")
        self.__dict__.update(staged.__dict__)


@dataclass
class Settings:
    """Limits of the emulated server; None means unlimited.

    `max_connections` caps concurrent requests on the HTTPS port (0 refuses every request);
    `bandwidth_limit` caps each file response, in bytes per second.
    """

    max_connections: int | None = None
    bandwidth_limit: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"max_connections": self.max_connections, "bandwidth_limit": self.bandwidth_limit}

    def update(self, data: dict[str, Any]) -> None:
        values = self.to_json()
        for key, value in data.items():
            if key not in values:
                raise FaultSpecError(f"unknown setting {key!r}")
            minimum = 0 if key == "max_connections" else 1
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < minimum
            ):
                raise FaultSpecError(f"{key}: expected an integer >= {minimum} or null")
            values[key] = value
        self.max_connections = values["max_connections"]
        self.bandwidth_limit = values["bandwidth_limit"]


def split_unreachable(data: Mapping[str, Any]) -> tuple[dict[str, Any], bool | None]:
    """The `Faults` part of an admin fault spec, and its `unreachable` (None when absent).

    Unreachability is the door's listener, not a `Faults` field, but the admin JSON carries both.
    """
    spec = dict(data)
    unreachable = spec.pop("unreachable", None)
    return spec, None if unreachable is None else _bool("unreachable", unreachable)


def strict_json(text: str) -> Any:
    """``json.loads`` for what a client sends: no NaN or Infinity (not JSON, RFC 8259 section
    6, and json.dumps would write them back as invalid JSON), no number that only a float's
    infinity can hold (1e999), and ValueError rather than RecursionError for deep nesting."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON number")

    def finite(digits: str) -> float:
        number = float(digits)
        if not math.isfinite(number):
            raise ValueError(f"{digits} is too large a number")
        return number

    try:
        return json.loads(text, parse_constant=refuse, parse_float=finite)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FaultSpecError(f"{key}: expected true or false")
    return value


def _seconds(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_DELAY:
        raise FaultSpecError(f"{key}: expected a number of seconds from 0 to {MAX_DELAY:g}")
    return float(value)


def _names(key: str, value: Any) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FaultSpecError(f'{key}: expected a list of file names ("*" = every file)')
    return set(value)


def _break_after(value: Any) -> BreakAfter:
    if not isinstance(value, dict) or set(value) - {"bytes", "file", "times"}:
        raise FaultSpecError("break_after: expected {bytes, file?, times?} or null")
    count = value.get("bytes")
    times = value.get("times")
    name = value.get("file")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise FaultSpecError("break_after.bytes: expected an integer >= 0")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise FaultSpecError("break_after.times: expected an integer >= 1 or null")
    if name is not None and (not isinstance(name, str) or not name):
        raise FaultSpecError("break_after.file: expected a file name or null")
    return BreakAfter(count, name, times)
