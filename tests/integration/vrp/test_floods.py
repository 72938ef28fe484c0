"""The command line flooded over real SSH (paramiko) while a NETCONF session of the same switch
is watched: a client that types without reading, a pasted megabyte, 20,000 ``?``.

The bounds are generous (seconds where the switch answers in milliseconds, hundreds of MiB
where it grows by a few): they fail on the behaviour measured before backpressure (NETCONF
stalled for seconds, RSS up by 1.6 GiB for 4 MB typed, a megabyte line taking 100 s), not on a
slow machine. tools/bench/cli_flood_bench.py measures the figures.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import paramiko
import psutil

from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from smartupgrade_server.vrp.editor import MAX_LINE
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.switch import SwitchRig

# far beyond what NETCONF takes on this machine (a few ms), far below the stalls it replaces
WATCHDOG_BOUND = 5.0
ESN = b"ESN of slot 0"


@contextlib.contextmanager
def shell(sim: SwitchRig) -> Iterator[paramiko.Channel]:
    transport = paramiko.Transport(("127.0.0.1", sim.cli_port))
    try:
        transport.connect(username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD)
        channel = transport.open_session()
        channel.get_pty("vt100")
        channel.invoke_shell()
        channel.settimeout(60)
        read_until(channel, b"<HUAWEI>")
        yield channel
    finally:
        transport.close()


def read_until(channel: paramiko.Channel, marker: bytes) -> bytes:
    """What the shell printed up to ``marker``; EOFError if it ended first."""
    received = b""
    while marker not in received[-4096:]:
        data = channel.recv(65536)
        if not data:
            raise EOFError("the shell ended")
        received += data
    return received


def send(channel: paramiko.Channel, keys: bytes) -> None:
    with contextlib.suppress(OSError):  # the test hangs up on a blocked client
        channel.sendall(keys)


class Watchdog:
    """A NETCONF session of the same switch, asked for its state again and again."""

    def __init__(self, sim: SwitchRig) -> None:
        self._netconf = sim.ncclient(timeout=CLIENT_TIMEOUT)
        self.slowest = 0.0
        self.answers = 0

    def get(self) -> None:
        started = time.monotonic()
        self._netconf.get()
        self.slowest = max(self.slowest, time.monotonic() - started)
        self.answers += 1

    def close(self) -> None:
        self._netconf.close_session()


def test_a_client_that_types_without_reading_holds_only_its_own_session(sim: SwitchRig) -> None:
    process = psutil.Process()
    watchdog = Watchdog(sim)
    before = process.memory_info().rss
    peak = before
    with shell(sim) as channel:
        sender = threading.Thread(target=send, args=(channel, b"x\r" * (2 * 2**20)))
        sender.start()
        for _ in range(20):
            watchdog.get()
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.05)
        # the switch stopped reading: 4 MB cannot all have gone into its window and buffers
        blocked = sender.is_alive()
    sender.join(60)
    assert blocked
    assert watchdog.slowest < WATCHDOG_BOUND
    assert peak - before < 256 * 2**20
    # the switch goes on: a new terminal, a command
    with shell(sim) as channel:
        channel.sendall(b"display esn\r")
        read_until(channel, ESN)
    watchdog.close()


def test_a_pasted_megabyte_line_is_cut_at_the_line_limit(sim: SwitchRig) -> None:
    watchdog = Watchdog(sim)
    with shell(sim) as channel:
        sender = threading.Thread(
            target=send, args=(channel, b"a" * 2**20 + b"\r" + b"display esn\r")
        )
        sender.start()
        output = read_until(channel, ESN)
        watchdog.get()
        sender.join(60)
    echoed = output.split(b"\r\n", 1)[0]
    # the first MAX_LINE characters, then the switch's "alarm": a bell per piece of input
    # that arrived (an SSH packet of up to 32 KiB), not per key dropped
    assert echoed.rstrip(b"\x07") == b"a" * MAX_LINE
    assert 0 < echoed.count(b"\x07") <= 2**20 // 1024
    assert len(output) < 4 * MAX_LINE
    assert watchdog.slowest < WATCHDOG_BOUND
    watchdog.close()


def test_twenty_thousand_question_marks_are_each_answered(sim: SwitchRig) -> None:
    watchdog = Watchdog(sim)
    with shell(sim) as channel:
        sender = threading.Thread(target=send, args=(channel, b"?" * 20_000 + b"display esn\r"))
        sender.start()
        reader_output: list[bytes] = []
        reader = threading.Thread(target=lambda: reader_output.append(read_until(channel, ESN)))
        reader.start()
        while reader.is_alive():
            watchdog.get()
            time.sleep(0.05)
        sender.join(60)
    output = reader_output[0]
    # each ? lists the user view's commands and shows the prompt again
    assert output.count(b"<HUAWEI>") >= 20_000
    assert watchdog.answers > 0 and watchdog.slowest < WATCHDOG_BOUND
    watchdog.close()
