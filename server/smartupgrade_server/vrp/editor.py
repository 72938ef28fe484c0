"""What the switch's terminal does with each key: text in, echo and events out. No I/O.

Automation tools wait to see each character echoed before they send Enter (scrapli) or fail
without the echo (netmiko), so every printable character is echoed as it arrives. Enter is
``\\r``, ``\\n`` or ``\\r\\n`` (one line, not two); NUL bytes and other control characters are
ignored, as are cursor keys and other escape sequences (there is no history to move through).

A line holds at most ``MAX_LINE`` characters, as on the switch: "Each command can contain a
maximum of 510 characters" and a key typed when "the editing buffer is full" makes "an alarm"
(Huawei S-series configuration guide, Editing Command Lines:
https://support.huawei.com/enterprise/en/doc/EDOC1100127196/51044c5f/editing-command-lines).
Keys beyond it are dropped a run at a time, with one bell for the run, so that a pasted megabyte
costs what its first 510 characters cost; text is handled a run of characters at a time, never
slower than linearly in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

MAX_LINE = 510

CTRL_C = "\x03"
CTRL_Z = "\x1a"
BELL = "\x07"
_BACKSPACES = ("\x08", "\x7f")
_ESCAPE = "\x1b"
_TAB = "\t"
# characters that go into the line as they are (but for the rare ones str.isprintable refuses)
_PLAIN = re.compile(r"[^\x00-\x1f\x7f?]+")
# ECMA-48: a control sequence's parameter and intermediate bytes, then one final byte
_CSI_BODY = re.compile(r"[\x20-\x3f]*")
_CSI_FINAL = range(0x40, 0x7F)


@dataclass(frozen=True)
class Enter:
    line: str


@dataclass(frozen=True)
class Interrupt:
    """Ctrl+C at the prompt: the line typed so far is dropped."""


@dataclass(frozen=True)
class ReturnKey:
    """Ctrl+Z: back to the user view (the line typed so far is dropped)."""


@dataclass(frozen=True)
class Help:
    """``?``: list what may come next after ``line`` (the ``?`` itself is not part of it)."""

    line: str


@dataclass(frozen=True)
class Complete:
    """Tab: complete the last word of ``line``."""

    line: str


Key = Enter | Interrupt | ReturnKey | Help | Complete


class _Escape(Enum):
    """Where the editor is in an escape sequence."""

    STARTED = auto()  # just after ESC
    CONTROL = auto()  # ESC [ (CSI): parameters until a final byte
    SHIFT = auto()  # ESC O (SS3): one more character


class LineEditor:
    def __init__(self) -> None:
        self.buffer = ""
        self._after_cr = False
        self._escape: _Escape | None = None

    def feed(self, text: str, start: int = 0) -> tuple[str, Key | None, int]:
        """The keys of ``text`` from ``start`` up to the first that completes an event: what to
        echo, the event (None when the text ran out first) and where the next key is."""
        echo: list[str] = []
        position, end = start, len(text)
        while position < end:
            if self._after_cr:
                self._after_cr = False
                if text[position] == "\n":
                    position += 1
                    continue
            if self._escape is not None:
                position = self._escape_keys(text, position)
                continue
            plain = _PLAIN.match(text, position)
            if plain is not None:
                echo.append(self._type(plain.group()))
                position = plain.end()
                continue
            shown, key = self._control(text[position])
            echo.append(shown)
            position += 1
            if key is not None:
                return "".join(echo), key, position
        return "".join(echo), None, position

    def replace(self, line: str) -> str:
        """Set the line being edited (after Tab completion); returns the echo that shows it."""
        if len(line) > MAX_LINE:
            return BELL
        common = 0
        while common < min(len(line), len(self.buffer)) and line[common] == self.buffer[common]:
            common += 1
        erase = len(self.buffer) - common
        self.buffer = line
        return "\b \b" * erase + line[common:]

    def _type(self, run: str) -> str:
        if not run.isprintable():
            run = "".join(char for char in run if char.isprintable())
        room = MAX_LINE - len(self.buffer)
        accepted = run[:room]
        self.buffer += accepted
        return accepted + BELL if len(run) > room else accepted

    def _control(self, char: str) -> tuple[str, Key | None]:
        if char in ("\r", "\n"):
            self._after_cr = char == "\r"
            line, self.buffer = self.buffer, ""
            return "\r\n", Enter(line)
        if char == CTRL_C:
            self.buffer = ""
            return "^C\r\n", Interrupt()
        if char == CTRL_Z:
            self.buffer = ""
            return "^Z", ReturnKey()
        if char in _BACKSPACES:
            if not self.buffer:
                return "", None
            self.buffer = self.buffer[:-1]
            return "\b \b", None
        if char == "?":
            return "?\r\n", Help(self.buffer)
        if char == _TAB:
            return "", Complete(self.buffer)
        if char == _ESCAPE:
            self._escape = _Escape.STARTED
        return "", None

    def _escape_keys(self, text: str, position: int) -> int:
        """Skip what belongs to the escape sequence from ``position``; where the rest begins. A
        control character inside a sequence ends it and counts as a key (ECMA-48)."""
        char = text[position]
        if char < " " or char == "\x7f":
            self._escape = None
            return position
        match self._escape:
            case _Escape.STARTED:
                self._escape = {"[": _Escape.CONTROL, "O": _Escape.SHIFT}.get(char)
                return position + 1
            case _Escape.CONTROL:
                body = _CSI_BODY.match(text, position)
                position = body.end() if body is not None else position
                if position < len(text):
                    if ord(text[position]) in _CSI_FINAL:
                        position += 1
                    self._escape = None
                return position
            case _:
                self._escape = None
                return position + 1
