"""The terminal's key handling: echo, Enter in its three forms, NUL, backspace, Ctrl+C."""

from __future__ import annotations

from smartupgrade_server.vrp.editor import (
    MAX_LINE,
    Complete,
    Enter,
    Help,
    Interrupt,
    Key,
    LineEditor,
    ReturnKey,
)


def type_keys(editor: LineEditor, keys: str) -> tuple[str, list[Key]]:
    """All the keys at once, as they arrive in one read."""
    echo, events, position = "", [], 0
    while position < len(keys):
        shown, event, position = editor.feed(keys, position)
        echo += shown
        if event is not None:
            events.append(event)
    return echo, events


def one_key(editor: LineEditor, char: str) -> tuple[str, Key | None]:
    shown, event, used = editor.feed(char)
    assert used == 1
    return shown, event


def test_each_printable_character_is_echoed_as_it_arrives() -> None:
    editor = LineEditor()
    assert [one_key(editor, c) for c in "dis"] == [("d", None), ("i", None), ("s", None)]
    assert editor.buffer == "dis"


def test_enter_is_cr_lf_or_cr_lf_and_each_ends_one_line() -> None:
    echo, events = type_keys(LineEditor(), "a\rb\nc\r\nd\r\r")
    assert events == [Enter("a"), Enter("b"), Enter("c"), Enter("d"), Enter("")]
    assert echo == "a\r\nb\r\nc\r\nd\r\n\r\n"


def test_lf_after_cr_is_swallowed_even_when_it_arrives_later() -> None:
    editor = LineEditor()
    type_keys(editor, "x\r")
    assert one_key(editor, "\n") == ("", None)
    assert type_keys(editor, "\n")[1] == [Enter("")]


def test_nul_bytes_and_other_control_characters_are_ignored() -> None:
    echo, events = type_keys(LineEditor(), "d\x00i\x01s\x00\r")
    assert (echo, events) == ("dis\r\n", [Enter("dis")])


def test_backspace_and_delete_erase_on_screen() -> None:
    editor = LineEditor()
    echo, events = type_keys(editor, "\x7fdiz\x08s\x7f\x7fis\r")
    assert echo == "diz\b \bs\b \b\b \bis\r\n"
    assert events == [Enter("dis")]


def test_ctrl_c_drops_the_line() -> None:
    echo, events = type_keys(LineEditor(), "dis\x03ver\r")
    assert echo == "dis^C\r\nver\r\n"
    assert events == [Interrupt(), Enter("ver")]


def test_ctrl_z_returns_to_the_user_view() -> None:
    assert type_keys(LineEditor(), "sma\x1a") == ("sma^Z", [ReturnKey()])


def test_cursor_keys_and_escape_sequences_are_ignored() -> None:
    echo, events = type_keys(LineEditor(), "a\x1b[A\x1b[1;5Cb\x1bOPc\x1bxd\r")
    assert (echo, events) == ("abcd\r\n", [Enter("abcd")])


def test_question_mark_asks_for_help_and_tab_for_completion() -> None:
    echo, events = type_keys(LineEditor(), "dis ?sm\t")
    assert echo == "dis ?\r\nsm"
    assert events == [Help("dis "), Complete("dis sm")]


def test_completion_replaces_what_differs() -> None:
    editor = LineEditor()
    type_keys(editor, "dis sm")
    assert editor.replace("dis smart-upgrade ") == "art-upgrade "
    assert editor.buffer == "dis smart-upgrade "


def test_line_length_is_limited_with_a_bell() -> None:
    editor = LineEditor()
    type_keys(editor, "x" * MAX_LINE)
    assert one_key(editor, "y") == ("\x07", None)
    assert editor.buffer == "x" * MAX_LINE


def test_a_pasted_megabyte_keeps_the_first_max_line_characters_and_rings_once() -> None:
    line = "a" * MAX_LINE
    assert LineEditor().feed("a" * 2**20 + "\r") == (line + "\x07\r\n", Enter(line), 2**20 + 1)


def test_a_control_character_ends_an_escape_sequence_and_counts_as_a_key() -> None:
    # an unfinished cursor key must not swallow the Enter that follows it
    echo, events = type_keys(LineEditor(), "ab\x1b[12\rcd\x1b\x03ef\x1bO\rgh\r")
    assert events == [Enter("ab"), Interrupt(), Enter("ef"), Enter("gh")]
    assert echo == "ab\r\ncd^C\r\nef\r\ngh\r\n"


def test_a_long_escape_sequence_costs_no_more_than_its_length() -> None:
    editor = LineEditor()
    echo, event, used = editor.feed("\x1b[" + "9" * 2**20 + "Ax")
    assert (echo, event, used) == ("x", None, 2**20 + 4)


def test_a_completion_beyond_the_line_limit_rings_instead() -> None:
    editor = LineEditor()
    type_keys(editor, "x" * (MAX_LINE - 2))
    assert editor.replace("x" * (MAX_LINE - 2) + "yyy") == "\x07"
    assert editor.buffer == "x" * (MAX_LINE - 2)
