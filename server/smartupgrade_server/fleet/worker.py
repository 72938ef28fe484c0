"""A worker process of a fleet (``--workers``, docs/fleet.md): it runs its share of the fleet's
switches and nothing else, reaching the HOUP that the fleet's first process runs.

    python -c ENTRY      (started by fleet/workers.py, never by hand)

The order comes in pickled on stdin, from the process that started this one; once every switch
of the share has started, one line of JSON on stdout says where this worker's own admin API
listens (on the loopback, for that process alone). The worker stops on SIGTERM or SIGINT, and
when its stdin reaches its end: the process that started it is gone.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from smartupgrade_server.device.clock import Clock, ScaledClock, WallClock
from smartupgrade_server.fleet.admin import FleetAdmin
from smartupgrade_server.fleet.fleet import LocalSwitches
from smartupgrade_server.fleet.member import HoupAccess
from smartupgrade_server.fleet.spec import FleetSpec
from smartupgrade_server.sim.options import LogSettings, configure_logging

# where a worker's admin API listens: the process that started it is on the same machine
WORKER_ADMIN_HOST = "127.0.0.1"
# what a worker's interpreter runs: main(), after the warnings smartupgrade-sim quiets (they come
# with the import of asyncssh, which this module's imports bring)
ENTRY = (
    "from smartupgrade_server.__main__ import quiet_third_party_warnings\n"
    "quiet_third_party_warnings()\n"
    "from smartupgrade_server.fleet.worker import main\n"
    "raise SystemExit(main())\n"
)


@dataclass(frozen=True)
class WorkerOrder:
    index: int
    spec: FleetSpec
    data_dir: Path
    houp: HoupAccess
    # the switches of the fleet this worker runs, by their index in spec.switches
    indices: range
    # the ports switches had in an earlier run of this worker, by name (GET /switches' members)
    ports: dict[str, dict[str, int | None]]
    # the moment the fleet started, by the wall clock: every worker's simulated clock counts
    # from it, so that the fleet keeps one time
    started: datetime
    logs: LogSettings

    def clock(self) -> Clock:
        if self.spec.clock == "wall":
            return WallClock()
        factor = float(self.spec.clock)
        elapsed = datetime.now(self.started.tzinfo) - self.started
        return ScaledClock(factor, self.started + elapsed * factor)


@dataclass(frozen=True)
class WorkerReady:
    """The line a worker writes on stdout once its switches have started."""

    admin_port: int
    ready_seconds: float

    def to_line(self) -> bytes:
        return (
            json.dumps(
                {"admin_port": self.admin_port, "ready_seconds": self.ready_seconds}
            ).encode()
            + b"\n"
        )

    @classmethod
    def from_line(cls, line: bytes) -> WorkerReady:
        fields = json.loads(line)
        return cls(int(fields["admin_port"]), float(fields["ready_seconds"]))


class _EndOfInput(asyncio.Protocol):
    def __init__(self, ended: asyncio.Event) -> None:
        self._ended = ended

    def eof_received(self) -> bool:
        self._ended.set()
        return False

    def connection_lost(self, _error: Exception | None) -> None:
        self._ended.set()


async def serve(order: WorkerOrder) -> int:
    began = time.perf_counter()
    switches = await LocalSwitches.launch(
        order.spec,
        order.data_dir,
        order.houp,
        order.clock(),
        indices=order.indices,
        ports=order.ports,
    )
    try:
        admin = await FleetAdmin.start(switches, WORKER_ADMIN_HOST, 0)
        try:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await loop.connect_read_pipe(lambda: _EndOfInput(stop), sys.stdin)
            ready = WorkerReady(admin.port, time.perf_counter() - began)
            sys.stdout.buffer.write(ready.to_line())
            sys.stdout.flush()
            await stop.wait()
        finally:
            await admin.close()
    finally:
        await switches.close()
    return 0


def main() -> int:
    order = pickle.load(sys.stdin.buffer)
    if not isinstance(order, WorkerOrder):
        raise SystemExit("a fleet worker is started by smartupgrade-sim fleet --workers")
    configure_logging(order.logs, origin=f"worker {order.index}")
    return asyncio.run(serve(order))
