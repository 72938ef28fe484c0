"""What the switch's terminal does with each key: characters in, echo and events out. No I/O.

Automation tools wait to see each character echoed before they send Enter (scrapli) or fail
without the echo (netmiko), so every printable character is echoed as it arrives. Enter is
``\\r``, ``\\n`` or ``\\r\\n`` (one line, not two); NUL bytes are ignored, as are cursor keys and
other escape sequences (there is no history to move through).
"""

from __future__ import annotations

from dataclasses import dataclass

# VRP accepts command lines of up to 510 characters; further keys are refused with a bell.
MAX_LINE = 510

CTRL_C = "\x03"
CTRL_Z = "\x1a"
_BACKSPACES = ("\x08", "\x7f")
_BELL = "\x07"
_ESCAPE = "\x1b"
_TAB = "\t"


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


class LineEditor:
    def __init__(self) -> None:
        self.buffer = ""
        self._after_cr = False
        # None: not in an escape sequence; "": just after ESC; otherwise the bytes after ESC
        self._escape: str | None = None

    def feed(self, char: str) -> tuple[str, Key | None]:
        """One character: what to echo, and the event it completes, if any."""
        after_cr, self._after_cr = self._after_cr, False
        if self._escape is not None:
            self._escape_char(char)
            return "", None
        if char == "\n" and after_cr:
            return "", None
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
            self._escape = ""
            return "", None
        if not char.isprintable():
            return "", None
        if len(self.buffer) >= MAX_LINE:
            return _BELL, None
        self.buffer += char
        return char, None

    def replace(self, line: str) -> str:
        """Set the line being edited (after Tab completion); returns the echo that shows it."""
        common = 0
        while common < min(len(line), len(self.buffer)) and line[common] == self.buffer[common]:
            common += 1
        erase = len(self.buffer) - common
        self.buffer = line
        return "\b \b" * erase + line[common:]

    def _escape_char(self, char: str) -> None:
        # ESC x, or a CSI/SS3 sequence (ESC [ ... final, ESC O final) such as a cursor key
        sequence = self._escape = (self._escape or "") + char
        if (len(sequence) == 1 and char not in "[O") or (
            len(sequence) > 1 and "\x40" <= char <= "\x7e"
        ):
            self._escape = None
