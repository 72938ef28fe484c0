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
    echo, events = "", []
    for char in keys:
        shown, event = editor.feed(char)
        echo += shown
        if event is not None:
            events.append(event)
    return echo, events


def test_each_printable_character_is_echoed_as_it_arrives() -> None:
    editor = LineEditor()
    assert [editor.feed(c) for c in "dis"] == [("d", None), ("i", None), ("s", None)]
    assert editor.buffer == "dis"


def test_enter_is_cr_lf_or_cr_lf_and_each_ends_one_line() -> None:
    echo, events = type_keys(LineEditor(), "a\rb\nc\r\nd\r\r")
    assert events == [Enter("a"), Enter("b"), Enter("c"), Enter("d"), Enter("")]
    assert echo == "a\r\nb\r\nc\r\nd\r\n\r\n"


def test_lf_after_cr_is_swallowed_even_when_it_arrives_later() -> None:
    editor = LineEditor()
    type_keys(editor, "x\r")
    assert editor.feed("\n") == ("", None)
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
    assert editor.feed("y") == ("\x07", None)
    assert editor.buffer == "x" * MAX_LINE
