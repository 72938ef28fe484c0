"""Random keystrokes against the line editor and the shell, without sockets: nothing raises, a
line never outgrows the limit, the way input is cut into pieces changes nothing, and the shell
answers a command after any sequence (tests/support/keystrokes.py: FUZZ_EXAMPLES for more)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given
from hypothesis import strategies as st

from smartupgrade_server.vrp.editor import BELL, CTRL_C, CTRL_Z, MAX_LINE, Enter, Key, LineEditor
from tests.support.defaults import ESN
from tests.support.keystrokes import KEYSTROKES, fuzz_settings
from tests.support.terminal import CommandLineRig

# far beyond what any example takes (milliseconds): a shell that stops answering fails
_ANSWER_TIMEOUT = 30.0


def edit(pieces: list[str]) -> tuple[str, list[Key], str]:
    """Each piece fed as it arrived: the echo, the events, the line left being edited."""
    editor = LineEditor()
    echo, events = [], []
    for piece in pieces:
        position = 0
        while position < len(piece):
            shown, event, after = editor.feed(piece, position)
            assert after > position or (after == position == len(piece))
            position = after
            echo.append(shown)
            if event is not None:
                events.append(event)
            assert len(editor.buffer) <= MAX_LINE
    return "".join(echo), events, editor.buffer


@fuzz_settings(2000)
@given(keys=KEYSTROKES, cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_the_editor_does_the_same_whatever_pieces_the_keys_come_in(
    keys: list[str], cuts: list[int]
) -> None:
    text = "".join(keys)
    bounds = sorted({cut % (len(text) + 1) for cut in cuts})
    pieces = [text[a:b] for a, b in itertools.pairwise([0, *bounds, len(text)])]
    whole_echo, whole_events, whole_line = edit([text])
    echo, events, line = edit(pieces)
    assert events == whole_events
    assert line == whole_line
    # the bell rings once per run of refused keys in a piece: only the number of bells differs
    assert echo.replace(BELL, "") == whole_echo.replace(BELL, "")
    assert all(len(event.line) <= MAX_LINE for event in events if isinstance(event, Enter))


_session_ids = itertools.count(100)


@fuzz_settings(300)
@given(keys=KEYSTROKES)
async def test_the_shell_answers_after_any_keystrokes(rig: CommandLineRig, keys: list[str]) -> None:
    terminal = await rig.terminal(session_id=next(_session_ids))
    shell = terminal.shell
    for piece in keys:
        shell.feed(piece)
    await asyncio.wait_for(shell.wait_idle(), _ANSWER_TIMEOUT)
    if not terminal.task.done():
        # whatever view or question it was left in: back to the prompt, then a command
        for key in (CTRL_C, CTRL_Z):
            shell.feed(key)
            await asyncio.wait_for(shell.wait_idle(), _ANSWER_TIMEOUT)
        shell.feed("display esn\r")
        await asyncio.wait_for(shell.wait_idle(), _ANSWER_TIMEOUT)
        assert f"ESN of slot 0: {ESN}" in terminal.new()
    shell.end_of_input()
    await asyncio.wait_for(terminal.task, _ANSWER_TIMEOUT)
    # the shell ended by itself (quit in the user view) or at the end of input, never by an
    # exception
    assert terminal.task.exception() is None
    rig.terminals.remove(terminal)
