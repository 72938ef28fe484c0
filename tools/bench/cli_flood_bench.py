"""The VRP command line under a flood of keys, while a NETCONF session of the same switch is
watched: what one terminal costs the switch, and whether the others stay answered.

    .venv/bin/python -m tools.bench.cli_flood_bench
    .venv/bin/python -m tools.bench.cli_flood_bench --typed-mb 1 --line-kb 100 --helps 2000

The switch is ``python -m smartupgrade_server`` in its own process (its RSS is read with psutil).
A watchdog NETCONF session sends ``<get>`` in a loop all along; its latencies while the command
line is flooded are printed against its latencies with the switch idle, measured in the same run
(the peer of this benchmark). Three floods, one after another, each on a new SSH shell:

* ``typed``: ``x`` + Enter repeated (``--typed-mb`` MB) by a client that never reads; the
  server's RSS and the watchdog are sampled for ``--typed-seconds``, then the client hangs up;
* ``line``: one pasted line of ``--line-kb`` KB, then Enter and ``display esn``: the time until
  the ESN is printed;
* ``helps``: ``?`` typed ``--helps`` times, then ``display esn``: the time until the ESN.

Nothing is asserted; the process and its temporary directory are always removed.
"""

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import psutil

from tools.bench.client import NetconfClient, NetconfClientError, Target
from tools.bench.peers import (
    default_ours_command,
    interrupted_by_sigterm,
    ours,
    write_client_key,
)

USERNAME = "bench"
_CLI_PORT = "VRP command line over SSH on 127.0.0.1:"
_ESN = b"ESN of slot 0"
_TIMEOUT = 600.0


@dataclass
class Watchdog:
    """A NETCONF session that sends <get> until stopped, recording each latency (s)."""

    target: Target
    key: paramiko.PKey
    latencies: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                with NetconfClient.connect(self.target, self.key, _TIMEOUT) as client:
                    while not self._stop.is_set():
                        started = time.monotonic()
                        client.rpc("<get/>")
                        self.latencies.append((started, time.monotonic() - started))
                        time.sleep(0.02)
            except (OSError, paramiko.SSHException, NetconfClientError) as error:
                # a lost session counts as one answer that took until now
                self.latencies.append((started, time.monotonic() - started))
                self.errors.append(str(error))

    def between(self, start: float, end: float) -> list[float]:
        return [latency for at, latency in self.latencies if start <= at <= end]

    def stop(self) -> None:
        self._stop.set()


def cli_port(log: Path) -> int:
    for line in log.read_text(errors="replace").splitlines():
        if _CLI_PORT in line:
            return int(line.split(_CLI_PORT, 1)[1].split(":", 1)[0])
    raise RuntimeError("the switch announced no command line port")


@contextmanager
def shell(port: int, key: paramiko.PKey) -> Iterator[paramiko.Channel]:
    transport = paramiko.Transport(("127.0.0.1", port))
    # a flooded switch may take its time to answer
    transport.banner_timeout = transport.auth_timeout = transport.handshake_timeout = _TIMEOUT
    try:
        transport.connect(username=USERNAME, pkey=key)
        channel = transport.open_session()
        channel.get_pty("vt100")
        channel.invoke_shell()
        channel.settimeout(_TIMEOUT)
        read_until(channel, b">")
        yield channel
    finally:
        transport.close()


def send(channel: paramiko.Channel, keys: bytes) -> None:
    """Send until done or until the client hangs up (which ends a flood)."""
    with contextlib.suppress(OSError):
        channel.sendall(keys)


def read_until(channel: paramiko.Channel, marker: bytes) -> int:
    """Read and drop output until ``marker``; the bytes read."""
    tail, total = b"", 0
    while marker not in tail:
        data = channel.recv(65536)
        if not data:
            raise RuntimeError("the shell ended")
        total += len(data)
        tail = (tail + data)[-4096:]
    return total


def timed(channel: paramiko.Channel, keys: bytes) -> tuple[float, int]:
    """Send ``keys`` then ``display esn`` while reading; seconds until the ESN, bytes read."""
    started = time.monotonic()
    sender = threading.Thread(target=channel.sendall, args=(keys + b"\rdisplay esn\r",))
    sender.start()
    received = read_until(channel, _ESN)
    sender.join()
    return time.monotonic() - started, received


def percentile(latencies: list[float], fraction: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def describe(latencies: list[float]) -> str:
    if not latencies:
        return "no answer"
    return (
        f"{len(latencies)} gets, median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typed-mb", type=float, default=4.0)
    parser.add_argument("--typed-seconds", type=float, default=10.0)
    parser.add_argument("--line-kb", type=int, default=1024)
    parser.add_argument("--helps", type=int, default=20_000)
    arguments = parser.parse_args()
    with interrupted_by_sigterm(), tempfile.TemporaryDirectory() as temporary:
        work_dir = Path(temporary)
        key_file = write_client_key(work_dir)
        key = paramiko.Ed25519Key.from_private_key_file(str(key_file))
        with ours(work_dir, key_file, USERNAME, default_ours_command()) as target:
            log = work_dir / "ours.log"
            server = next(
                child
                for child in psutil.Process().children(recursive=True)
                if "smartupgrade_server" in " ".join(child.cmdline())
            )
            port = cli_port(log)
            watchdog = Watchdog(target, key)
            watcher = threading.Thread(target=watchdog.run, daemon=True)
            watcher.start()
            time.sleep(3)
            idle_end = time.monotonic()
            idle = watchdog.between(0, idle_end)
            print(f"idle: RSS {server.memory_info().rss / 2**20:.0f} MiB; {describe(idle)}")

            with shell(port, key) as channel:
                keys = b"x\r" * int(arguments.typed_mb * 2**20 / 2)
                start = time.monotonic()
                sender = threading.Thread(target=send, args=(channel, keys), daemon=True)
                sender.start()
                peak = 0
                while time.monotonic() - start < arguments.typed_seconds:
                    peak = max(peak, server.memory_info().rss)
                    time.sleep(0.1)
                end = time.monotonic()
                sent = "all sent" if not sender.is_alive() else "client blocked (backpressure)"
            print(
                f"typed {arguments.typed_mb:g} MB of x+Enter without reading ({sent}): peak RSS "
                f"{peak / 2**20:.0f} MiB; watchdog {describe(watchdog.between(start, end))}"
            )
            for name, keys in (
                (f"pasted a {arguments.line_kb} KB line", b"a" * (arguments.line_kb * 1024)),
                (f"typed ? {arguments.helps} times", b"?" * arguments.helps),
            ):
                with shell(port, key) as channel:
                    start = time.monotonic()
                    seconds, received = timed(channel, keys)
                    end = time.monotonic()
                print(
                    f"{name}: {seconds:.2f} s to the next command's output ({received} bytes "
                    f"read); watchdog {describe(watchdog.between(start, end))}"
                )
            watchdog.stop()
            watcher.join(_TIMEOUT)
            if watchdog.errors:
                print(f"watchdog sessions lost: {len(watchdog.errors)} ({watchdog.errors[0]})")
            flooded = watchdog.between(idle_end, time.monotonic())
            if flooded:
                ratio = percentile(flooded, 0.99) / percentile(idle, 0.99)
                print(f"watchdog p99 under the floods / idle: {ratio:.1f}x")
            else:
                print("watchdog: no answer under the floods")


if __name__ == "__main__":
    main()
