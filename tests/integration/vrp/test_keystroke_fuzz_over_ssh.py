"""Random keystrokes over real SSH (paramiko), in the pieces they were drawn as: the switch's
command line answers a command afterwards, in that session or, after ``quit``, in a new one
(tests/support/keystrokes.py: FUZZ_EXAMPLES for more)."""

from __future__ import annotations

from hypothesis import given

from smartupgrade_server.vrp.editor import CTRL_C, CTRL_Z
from tests.integration.vrp.test_floods import read_until, shell
from tests.support.defaults import IDENTITY
from tests.support.keystrokes import KEYSTROKES, fuzz_settings
from tests.support.switch import SwitchRig


@fuzz_settings(25)
@given(keys=KEYSTROKES)
def test_the_command_line_answers_after_any_keystrokes(sim: SwitchRig, keys: list[str]) -> None:
    esn = f"ESN of slot 0: {IDENTITY.esn}".encode()
    with shell(sim) as channel:
        for piece in keys:
            # lone surrogates become bytes that are not UTF-8, as a broken client sends them
            channel.sendall(piece.encode("utf-8", "surrogatepass"))
        channel.sendall((CTRL_C + CTRL_Z + "display esn\r").encode())
        try:
            read_until(channel, esn)
            return
        except EOFError:
            # the keys ended the session (quit in the user view)
            pass
    with shell(sim) as channel:
        channel.sendall(b"display esn\r")
        read_until(channel, esn)
