"""A fleet spread over worker processes (``--workers N``, docs/fleet.md).

This process runs the HOUP, the admin API and the inventories; each worker
(fleet/worker.py) runs a share of the switches, consecutive in fleet order, and nothing else.
The workers share the data directory's layout (users, host keys, ``switches/NAME/``) and the
one HOUP. Whatever the admin API is asked goes to the worker of the switch, through that
worker's own admin API on the loopback. A worker that dies is reported and started again
with the same switches, on the same addresses and ports; until it is back, its switches show
as ``starting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import pickle
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import aiohttp
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smartupgrade_server.fleet.control import SwitchAction, SwitchUnavailableError
from smartupgrade_server.fleet.fleet import (
    RESERVED_FILES,
    files_per_switch,
    fleet_login,
    fleet_tls_certificate,
    fleet_web_certificate,
    load_credentials,
)
from smartupgrade_server.fleet.inventory import Login
from smartupgrade_server.fleet.member import HoupAccess, SwitchState, switch_json
from smartupgrade_server.fleet.spec import FleetSpec, FleetSpecError, shares
from smartupgrade_server.fleet.worker import ENTRY, WORKER_ADMIN_HOST, WorkerOrder, WorkerReady
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.metrics import EmulatorMetrics, SwitchView, merge_expositions
from smartupgrade_server.sim.options import LogSettings
from smartupgrade_server.transport.credentials import SshCredentials

logger = logging.getLogger(__name__)

# a worker that dies this many times in a row before its switches have started is given up
MAX_FAILED_STARTS = 5
# seconds before a worker is started again after its n-th death in a row: 0, 1, 2, 4, 8…
_BACKOFF_CAP_S = 30.0
# how long the workers have to stop their switches on SIGTERM before they are killed
STOP_TIMEOUT_S = 120.0


def default_workers() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def worker_count(spec: FleetSpec, requested: int | None, open_files: int) -> int:
    """How many workers run ``spec``: ``requested`` (default: the CPU count), at least as many
    as the limit of ``open_files`` per process needs, at most one per switch. FleetSpecError
    when ``requested`` is too few for that limit."""
    per_switch = files_per_switch(spec)
    per_worker = max(1, (open_files - RESERVED_FILES) // per_switch)
    needed = math.ceil(spec.count / per_worker)
    if requested is not None and requested < needed:
        raise FleetSpecError(
            f"workers {requested}: {spec.count} switches with {len(spec.services)} listening "
            f"sockets each need at least {needed} worker processes to stay within {open_files} "
            f"open files per process (ulimit -Hn; {per_switch} files a switch, "
            f"{RESERVED_FILES} for the process itself): give {needed} or more"
        )
    return min(spec.count, max(requested or default_workers(), needed))


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class WorkerState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    # it died and is being started again
    RESTARTING = "restarting"
    # it died too often before its switches started: given up
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass
class Worker:
    index: int
    indices: range
    state: WorkerState = WorkerState.STARTING
    pid: int | None = None
    admin_url: str | None = None
    restarts: int = 0
    last_exit: str | None = None
    ready_seconds: float = 0.0
    # the ports of its switches as the worker last showed them, by name: its next run takes
    # them again, and a switch shows on them while its worker is down
    ports: dict[str, dict[str, int | None]] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    first_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self, spec: FleetSpec) -> dict[str, Any]:
        return {
            "index": self.index,
            "pid": self.pid,
            "state": self.state.value,
            "switches": len(self.indices),
            "first": spec.switches[self.indices.start].name,
            "last": spec.switches[self.indices.stop - 1].name,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
        }


class WorkerPool:
    """Start with ``await WorkerPool.start(...)``; stop with ``close()``."""

    def __init__(
        self,
        spec: FleetSpec,
        data_dir: Path,
        houp: HoupAccess,
        workers: int,
        *,
        logs: LogSettings,
        houp_server: HoupServer | None,
    ) -> None:
        self._spec = spec
        # the HOUP's metrics, when it runs in this process, and the workers'; the workers
        # have the switches', and those of a worker the scrape did not reach are shown down
        self._metrics = EmulatorMetrics(houp_server, self._unreached_switches)
        self._metrics.registry.register(_WorkerMetrics(self))
        self._data_dir = data_dir
        self._houp = houp
        self._logs = logs
        self._started = datetime.now().astimezone()
        self.workers = [Worker(i, run) for i, run in enumerate(shares(spec.count, workers))]
        self._specs = {switch.name: switch for switch in spec.switches}
        self._worker_of = {
            switch.name: self.workers[worker.index]
            for worker in self.workers
            for switch in spec.switches[worker.indices.start : worker.indices.stop]
        }
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None
        self._credentials: SshCredentials | None = None
        self.ready_seconds = 0.0
        # the workers whose metrics the last scrape read
        self.reached: set[int] = set()

    @classmethod
    async def start(
        cls,
        spec: FleetSpec,
        data_dir: Path,
        houp: HoupAccess,
        workers: int,
        *,
        logs: LogSettings = LogSettings(),
        houp_server: HoupServer | None = None,
    ) -> Self:
        """Start every worker and wait until each has started its switches (or was given up).
        The fleet's users, host keys and web certificate are made here first, so that the
        workers only load them."""
        began = time.perf_counter()
        pool = cls(spec, data_dir, houp, workers, logs=logs, houp_server=houp_server)
        pool._credentials = await load_credentials(spec, data_dir)
        await asyncio.to_thread(fleet_web_certificate, spec, data_dir)
        await asyncio.to_thread(fleet_tls_certificate, spec, data_dir)
        pool._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        pool._tasks = [asyncio.create_task(pool._keep_running(w)) for w in pool.workers]
        try:
            await asyncio.gather(*(worker.first_ready.wait() for worker in pool.workers))
        except BaseException:
            await pool.close()
            raise
        pool.ready_seconds = time.perf_counter() - began
        return pool

    @property
    def spec(self) -> FleetSpec:
        return self._spec

    async def close(self) -> None:
        self._closing = True
        for worker in self.workers:
            _signal(worker.process, signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await asyncio.gather(*self._tasks, return_exceptions=True)
        except TimeoutError:
            for worker in self.workers:
                _signal(worker.process, signal.SIGKILL)
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    # --- the workers' lives -----------------------------------------------------------------

    async def _keep_running(self, worker: Worker) -> None:
        failed_starts = 0
        while not self._closing:
            ready = await self._run_once(worker)
            if self._closing:
                break
            failed_starts = 0 if ready else failed_starts + 1
            share = self._share_text(worker)
            if failed_starts >= MAX_FAILED_STARTS:
                worker.state = WorkerState.FAILED
                logger.error(
                    "worker %d (%s) %s before its switches started, %d times in a row: given up",
                    worker.index,
                    share,
                    worker.last_exit,
                    failed_starts,
                )
                worker.first_ready.set()
                return
            worker.state = WorkerState.RESTARTING
            worker.restarts += 1
            logger.warning(
                "worker %d (pid %s, %s) ended (%s); starting it again with its switches",
                worker.index,
                worker.pid,
                share,
                worker.last_exit,
            )
            await asyncio.sleep(
                min(_BACKOFF_CAP_S, 2.0 ** (failed_starts - 1)) if failed_starts else 0
            )
        worker.state = WorkerState.STOPPED

    async def _run_once(self, worker: Worker) -> bool:
        """Start the worker and wait until it ends; whether its switches had all started."""
        order = WorkerOrder(
            index=worker.index,
            spec=self._spec,
            data_dir=self._data_dir,
            houp=self._houp,
            indices=worker.indices,
            ports=worker.ports,
            started=self._started,
            logs=self._logs,
        )
        worker.state = WorkerState.STARTING if worker.restarts == 0 else WorkerState.RESTARTING
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ENTRY,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker.process, worker.pid = process, process.pid
        assert process.stdin is not None and process.stdout is not None
        # stdin stays open: its end tells the worker that this process is gone
        process.stdin.write(pickle.dumps(order))
        ready = False
        with contextlib.suppress(ConnectionError):
            await process.stdin.drain()
            line = await process.stdout.readline()
            if line:
                await self._came_up(worker, WorkerReady.from_line(line))
                ready = True
        code = await process.wait()
        worker.process = None
        worker.admin_url = None
        worker.last_exit = describe_exit(code)
        process.stdin.close()
        return ready

    async def _came_up(self, worker: Worker, ready: WorkerReady) -> None:
        worker.admin_url = f"http://{WORKER_ADMIN_HOST}:{ready.admin_port}"
        worker.ready_seconds = ready.ready_seconds
        switches = await self._request(worker, "GET", "/switches")
        worker.ports = {switch["name"]: _ports(switch) for switch in switches}
        worker.state = WorkerState.RUNNING
        if worker.restarts:
            running = sum(1 for s in switches if s["state"] == SwitchState.RUNNING)
            logger.warning(
                "worker %d is back (pid %s): %d of its %d switches running, in %.1f s",
                worker.index,
                worker.pid,
                running,
                len(switches),
                ready.ready_seconds,
            )
        worker.first_ready.set()

    def _share_text(self, worker: Worker) -> str:
        first = self._spec.switches[worker.indices.start].name
        last = self._spec.switches[worker.indices.stop - 1].name
        return f"switches {first}..{last}" if first != last else f"switch {first}"

    # --- FleetControl -----------------------------------------------------------------------

    async def switches(self) -> list[dict[str, Any]]:
        shown = await asyncio.gather(*(self._switches_of(worker) for worker in self.workers))
        return [switch for worker_switches in shown for switch in worker_switches]

    async def switch(self, name: str) -> dict[str, Any] | None:
        worker = self._worker_of.get(name)
        if worker is None:
            return None
        if worker.state is not WorkerState.RUNNING:
            return self._absent(worker, name)
        return self._shown(worker, await self._request(worker, "GET", f"/switches/{name}"))

    async def act(self, name: str, action: SwitchAction) -> dict[str, Any] | None:
        worker = self._worker_of.get(name)
        if worker is None:
            return None
        if worker.state is not WorkerState.RUNNING:
            raise SwitchUnavailableError(
                f"switch {name} runs in worker {worker.index}, which is {worker.state.value}"
                f" ({worker.last_exit}): try again once it is running (GET /workers)"
            )
        switch = await self._request(worker, "POST", f"/switches/{name}/{action}")
        return self._shown(worker, switch)

    async def act_on_all(self, action: SwitchAction) -> None:
        running = [w for w in self.workers if w.state is WorkerState.RUNNING]
        await asyncio.gather(*(self._request(w, "POST", f"/switches/{action}") for w in running))

    async def login(self) -> Login:
        assert self._credentials is not None
        return await asyncio.to_thread(fleet_login, self._credentials.users)

    def workers_json(self) -> list[dict[str, Any]]:
        return [worker.to_json(self._spec) for worker in self.workers]

    async def exposition(self) -> bytes:
        running = [w for w in self.workers if w.state is WorkerState.RUNNING]
        texts = await asyncio.gather(
            *(self._request(w, "GET", "/metrics", text=True) for w in running),
            return_exceptions=True,
        )
        scraped = {w.index: text for w, text in zip(running, texts, strict=True)}
        shown = [text for text in scraped.values() if isinstance(text, str)]
        # a worker that is down, or died meanwhile, cannot say: its switches are down
        self.reached = {index for index, text in scraped.items() if isinstance(text, str)}
        return merge_expositions([self._metrics.text().decode(), *shown])

    def _unreached_switches(self) -> list[SwitchView]:
        return [
            SwitchView(switch.name, None, up=False)
            for worker in self.workers
            if worker.index not in self.reached
            for switch in self._spec.switches[worker.indices.start : worker.indices.stop]
        ]

    # --- the workers' admin APIs ------------------------------------------------------------

    async def _switches_of(self, worker: Worker) -> list[dict[str, Any]]:
        share = self._spec.switches[worker.indices.start : worker.indices.stop]
        if worker.state is not WorkerState.RUNNING:
            return [self._absent(worker, switch.name) for switch in share]
        try:
            switches = await self._request(worker, "GET", "/switches")
        except SwitchUnavailableError:
            return [self._absent(worker, switch.name) for switch in share]
        return [self._shown(worker, switch) for switch in switches]

    def _shown(self, worker: Worker, switch: dict[str, Any]) -> dict[str, Any]:
        worker.ports[switch["name"]] = _ports(switch)
        return {**switch, "worker": worker.index}

    def _absent(self, worker: Worker, name: str) -> dict[str, Any]:
        """A switch whose worker is not running, as last seen, in the worker's state."""
        if worker.state is WorkerState.FAILED:
            state = SwitchState.FAILED
            reason = f"worker {worker.index} ended ({worker.last_exit}) too often: given up"
        elif worker.last_exit is None:
            state, reason = SwitchState.STARTING, f"worker {worker.index} is starting"
        else:
            state = SwitchState.STARTING
            reason = f"worker {worker.index} ended ({worker.last_exit}); starting it again"
        ports = worker.ports.get(name)
        shown = switch_json(
            self._specs[name],
            self._data_dir,
            state=state,
            reason=reason,
            ports=None if ports is None else _port_numbers(ports),
        )
        return {**shown, "worker": worker.index}

    async def _request(self, worker: Worker, method: str, path: str, *, text: bool = False) -> Any:
        """The JSON the worker answers (its text with ``text``)."""
        if worker.admin_url is None or self._http is None:
            raise SwitchUnavailableError(f"worker {worker.index} is {worker.state.value}")
        try:
            async with self._http.request(method, worker.admin_url + path) as response:
                return await (response.text() if text else response.json())
        except aiohttp.ClientError as error:
            raise SwitchUnavailableError(
                f"worker {worker.index} did not answer ({error}): it is probably restarting"
            ) from error


_PORT_KEYS = ("netconf_port", "cli_port", "web_port", "tls_port")


def _ports(switch: dict[str, Any]) -> dict[str, int | None]:
    return {key: switch.get(key) for key in _PORT_KEYS}


def _port_numbers(
    ports: dict[str, int | None],
) -> tuple[int, int | None, int | None, int | None]:
    netconf, cli, web, tls = (ports.get(key) for key in _PORT_KEYS)
    return netconf or 0, cli, web, tls


def _signal(process: asyncio.subprocess.Process | None, signum: signal.Signals) -> None:
    if process is not None and process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)


class _WorkerMetrics(Collector):
    """Each worker of a pool: whether the last scrape reached it, and its restarts."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "smartupgrade_fleet_worker_up",
            "1 when the fleet's scrape reached the worker process",
            labels=["worker"],
        )
        restarts = CounterMetricFamily(
            "smartupgrade_fleet_worker_restarts",
            "times the worker process was started again after it ended",
            labels=["worker"],
        )
        for worker in self._pool.workers:
            up.add_metric([str(worker.index)], 1 if worker.index in self._pool.reached else 0)
            restarts.add_metric([str(worker.index)], worker.restarts)
        yield up
        yield restarts
