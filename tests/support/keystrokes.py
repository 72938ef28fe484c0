"""Random keystrokes for the command line's fuzz tests, and how many examples a run takes.

``FUZZ_EXAMPLES=20000 .venv/bin/pytest --timeout=0 tests/unit/vrp/test_keystroke_fuzz.py
tests/integration/vrp/test_keystroke_fuzz_over_ssh.py`` runs that many examples per fuzz test
instead of the few hundred to few thousand of a normal run (the variable ``harden-input``'s
framing and XML fuzz tests read too).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from smartupgrade_server.vrp.editor import CTRL_C, CTRL_Z, MAX_LINE
from tests.support.fuzz import examples

# keys that mean something to the terminal, escape sequences whole and cut short
_SPECIAL = [
    "\r", "\n", "\r\n", "?", "\t", CTRL_C, CTRL_Z, "\x00", "\x7f", "\x08", "\x1b", "\x1b[A",
    "\x1b[1;5C", "\x1bOP", "\x1b[", "\x1bO", "\x1b[" + "1;" * 40, "\x9b", "\u2028", "\ufeff",
    "\ud800", "é", "\U0001f600",
]  # fmt: skip
# pieces of the switch's commands, so that sequences reach views, prompts and errors; not
# right-now, which would reboot the switch under test
_WORDS = [
    "display ", "dis ", "esn", "version", "current-configuration", "cur ", "interface brief",
    "smart-upgrade ", "smart ", "information", "sys", "system-view", "quit", "return", "undo ",
    "ssl policy ", "houp", "enable", "url ", "10.1.1.1", "https-port ", "443", "ssl-policy ",
    "ap ", "schedule ", "download-at ", "2026-12-01 ", "23:59 ", "reboot-at ", "download",
    "verify-server ", "web-prompt ", "disable", "save", "y", "n", "screen-length 0 temporary",
    "screen-width 80", "| include ", "| begin ", "| exclude ", "(", "^s", ".*",
]  # fmt: skip

_RUN_LENGTHS = st.integers(0, MAX_LINE + 10)
_KEY = st.one_of(
    st.sampled_from(_SPECIAL),
    st.sampled_from(_WORDS),
    st.text(max_size=8),
    # long runs: pasted lines, held keys
    st.builds(
        str.__mul__,
        st.sampled_from(["a", "?", "\t", " ", "x\r", "\x7f"]),
        st.integers(0, MAX_LINE + 10),
    ),
)
# what one terminal receives, as the pieces the network delivers it in
KEYSTROKES = st.lists(_KEY, max_size=25)


def fuzz_settings(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            # one switch serves every example; each example opens its own session on it
            HealthCheck.function_scoped_fixture,
        ],
    )
