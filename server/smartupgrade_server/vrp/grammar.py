"""Command syntaxes and the VRP parser: a line in, the command and its arguments out. No I/O.

A syntax is a sequence of keywords and parameters. Keywords may be abbreviated to any prefix
that no other keyword possible at that place shares (``dis smart info``), as VRP allows. The
errors point at a column of the line, where the switch prints its ``^`` marker:

- a word that is no keyword possible there: ``Unrecognized command``;
- a parameter value out of its range, length or pattern: ``Wrong parameter``;
- a prefix of several keywords: ``Ambiguous command``;
- the line ends before any syntax is complete: ``Incomplete command``;
- words after a complete command: ``Too many parameters``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from smartupgrade_model.commands import CommandWord
from smartupgrade_model.model import LeafSpec
from smartupgrade_model.rules import rule_of


@dataclass(frozen=True)
class Param:
    """A parameter: ``name`` is what help shows (``INTEGER<1-65535>``); ``parse`` returns the
    value or raises ValueError whose message is the rule the value breaks, in words; ``rule``
    is the parameter's rule (what a refused value is told)."""

    key: str
    name: str
    help: str
    parse: Callable[[str], object]
    rule: str


Token = CommandWord | Param


class View(StrEnum):
    USER = "user"
    SYSTEM = "system"
    SSL_POLICY = "ssl-policy"


ALL_VIEWS = frozenset(View)


@dataclass(frozen=True)
class Syntax:
    tokens: tuple[Token, ...]
    action: str
    views: frozenset[View]
    level: int


class ErrorKind(StrEnum):
    UNRECOGNIZED = "Unrecognized command"
    WRONG_PARAMETER = "Wrong parameter"
    AMBIGUOUS = "Ambiguous command"
    INCOMPLETE = "Incomplete command"
    TOO_MANY = "Too many parameters"


@dataclass(frozen=True)
class ParseError(Exception):
    kind: ErrorKind
    column: int
    reason: str | None = None
    """For a wrong parameter: the rule the value breaks, in words."""

    def lines(self, prompt: str) -> list[str]:
        """The marker under the echoed line (which starts with the prompt), then the error and
        the rule the marked value breaks."""
        reason = "" if self.reason is None else f" {self.reason}"
        return [
            " " * (len(prompt) + self.column) + "^",
            f"Error: {self.kind} found at '^' position.{reason}",
        ]


@dataclass(frozen=True)
class Word:
    text: str
    column: int


@dataclass(frozen=True)
class Match:
    syntax: Syntax
    arguments: Mapping[str, object]
    # the column of each parameter's word, for errors about its value found later
    columns: Mapping[str, int] = field(default_factory=dict)


def split(line: str) -> list[Word]:
    return [Word(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


def available(syntaxes: Iterable[Syntax], view: View, level: int) -> list[Syntax]:
    """What a user of ``level`` can run in ``view``: commands above the user's level do not
    exist for that user, as on the switch."""
    return [s for s in syntaxes if view in s.views and s.level <= level]


def _keyword_candidates(syntaxes: Sequence[Syntax], index: int, text: str) -> list[Syntax]:
    lowered = text.lower()
    exact = [
        s for s in syntaxes if isinstance(t := s.tokens[index], CommandWord) and t.word == lowered
    ]
    if exact:
        return exact
    return [
        s
        for s in syntaxes
        if isinstance(t := s.tokens[index], CommandWord) and t.word.startswith(lowered)
    ]


def _words(syntaxes: Sequence[Syntax], index: int) -> set[str]:
    return {t.word for s in syntaxes if isinstance(t := s.tokens[index], CommandWord)}


def parse(syntaxes: Sequence[Syntax], words: Sequence[Word], end: int) -> Match:
    """The one syntax the words spell; ``end`` is the column just after the line's last word."""
    alive = list(syntaxes)
    arguments: dict[str, object] = {}
    columns: dict[str, int] = {}
    for index, word in enumerate(words):
        longer = [s for s in alive if len(s.tokens) > index]
        if not longer:
            raise ParseError(ErrorKind.TOO_MANY, word.column)
        by_keyword = _keyword_candidates(longer, index, word.text)
        if len(_words(by_keyword, index)) > 1:
            raise ParseError(ErrorKind.AMBIGUOUS, word.column)
        if by_keyword:
            alive = by_keyword
            continue
        with_param = [s for s in longer if isinstance(s.tokens[index], Param)]
        if not with_param:
            complete = [s for s in alive if len(s.tokens) == index]
            kind = ErrorKind.TOO_MANY if complete else ErrorKind.UNRECOGNIZED
            raise ParseError(kind, word.column)
        accepted: list[Syntax] = []
        reason = None
        for syntax in with_param:
            param = syntax.tokens[index]
            assert isinstance(param, Param)
            try:
                value = param.parse(word.text)
            except ValueError as refused:
                reason = str(refused) or param.rule
                continue
            arguments[param.key] = value
            columns[param.key] = word.column
            accepted.append(syntax)
        if not accepted:
            raise ParseError(ErrorKind.WRONG_PARAMETER, word.column, reason)
        alive = accepted
    complete = [s for s in alive if len(s.tokens) == len(words)]
    if not complete:
        raise ParseError(ErrorKind.INCOMPLETE, end + 1)
    return Match(complete[0], arguments, columns)


@dataclass(frozen=True)
class Choice:
    """One line of ``?`` help: a keyword or parameter, or ``<cr>`` when the command may end."""

    name: str
    help: str


CR = Choice("<cr>", "")


def choices(syntaxes: Sequence[Syntax], line: str) -> list[Choice]:
    """What may come next after ``line`` (``?`` right after a word: the keywords it begins)."""
    words = split(line)
    partial = None if not line or line[-1].isspace() else words.pop()
    alive = list(syntaxes)
    for index, word in enumerate(words):
        longer = [s for s in alive if len(s.tokens) > index]
        by_keyword = _keyword_candidates(longer, index, word.text)
        if len(_words(by_keyword, index)) == 1:
            alive = by_keyword
            continue
        alive = [s for s in longer if _accepts(s.tokens[index], word.text)]
    index = len(words)
    found: dict[str, Choice] = {}
    for syntax in alive:
        if len(syntax.tokens) == index and partial is None:
            found.setdefault(CR.name, CR)
            continue
        if len(syntax.tokens) <= index:
            continue
        token = syntax.tokens[index]
        if isinstance(token, CommandWord):
            if partial is None or token.word.startswith(partial.text.lower()):
                found.setdefault(token.word, Choice(token.word, token.help))
        elif partial is None:
            found.setdefault(token.name, Choice(token.name, token.help))
    return sorted(found.values(), key=lambda c: (c.name == CR.name, c.name))


def complete_word(syntaxes: Sequence[Syntax], line: str) -> str | None:
    """Tab: the line with its last word completed to the one keyword it begins, else None."""
    if not line or line[-1].isspace():
        return None
    # with a partial word, choices lists only the keywords it begins
    keywords = [c.name for c in choices(syntaxes, line) if c.name != CR.name]
    if len(keywords) != 1:
        return None
    start = split(line)[-1].column
    return line[:start] + keywords[0] + " "


def _accepts(token: Token, text: str) -> bool:
    if isinstance(token, CommandWord):
        return False
    try:
        token.parse(text)
    except ValueError:
        return False
    return True


# --- parameter types from the model ------------------------------------------------------------


def string_param(key: str, spec: LeafSpec, help: str) -> Param:
    """A string leaf: its length, pattern and rule from the module's LeafSpec."""
    ((low, high),) = spec.lengths
    patterns = [re.compile(p) for p in spec.patterns]
    rule = rule_of(spec)

    def parse(text: str) -> object:
        if not low <= len(text) <= high or not all(p.fullmatch(text) for p in patterns):
            raise ValueError(rule)
        return text

    return Param(key, f"STRING<{low}-{high}>", help, parse, rule)


def integer_param(key: str, ranges: Sequence[tuple[int, int]], help: str, rule: str) -> Param:
    ((low, high),) = ranges

    def parse(text: str) -> object:
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(rule)
        return int(text)

    return Param(key, f"INTEGER<{low}-{high}>", help, parse, rule)
