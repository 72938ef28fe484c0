"""What a running emulator tells Prometheus and a container orchestrator: ``GET /metrics`` in
Prometheus' text format, ``GET /health`` as JSON (200 while it serves, 503 once it cannot).

Everything is read when it is scraped, from the counters the servers keep anyway (RFC 6022's,
the login guard's, the HOUP's statistics); only the switches' upgrade statuses are counted here,
from the device's events. Counters start again from zero when a switch reboots (its servers
are new), which Prometheus' rate() takes as a counter reset.

The metrics and their labels are listed in docs/server.md (Metrics and health).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from smartupgrade_server.device.events import UpgradeStatusChanged
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class SwitchView:
    """One switch as the metrics see it: its name, the switch while it exists (None while a
    fleet's switch is stopped), and whether it serves."""

    name: str
    switch: EmulatedSwitch | None
    up: bool


class EmulatorMetrics(Collector):
    """The collector of one emulator process: a switch and its HOUP, a fleet, or a fleet's
    worker process (its switches, without the HOUP, which another process runs)."""

    def __init__(
        self, houp: HoupServer | None, switches: Callable[[], Iterable[SwitchView]]
    ) -> None:
        self._houp = houp
        self._switches = switches
        self._status_changes: Counter[tuple[str, str]] = Counter()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def watch(self, name: str, switch: EmulatedSwitch) -> None:
        """Count ``switch``'s upgrade statuses under ``name`` (once per started switch)."""
        if switch.smart_upgrade:
            switch.device.subscribe(lambda event: self._device_event(name, event))

    def _device_event(self, name: str, event: object) -> None:
        if isinstance(event, UpgradeStatusChanged):
            self._status_changes[name, str(event.upgrade_status)] += 1

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "smartupgrade_switch_up", "1 while the switch serves", labels=["switch"]
        )
        sessions = GaugeMetricFamily(
            "smartupgrade_netconf_sessions", "NETCONF sessions open", labels=["switch"]
        )
        started = CounterMetricFamily(
            "smartupgrade_netconf_sessions", "NETCONF sessions started", labels=["switch"]
        )
        rpcs = CounterMetricFamily(
            "smartupgrade_netconf_rpcs",
            "NETCONF operations answered, by error-tag ('' without error)",
            labels=["switch", "operation", "error_tag"],
        )
        bad = CounterMetricFamily(
            "smartupgrade_netconf_bad_rpcs",
            "messages refused before any operation",
            labels=["switch"],
        )
        failures = CounterMetricFamily(
            "smartupgrade_login_failures", "passwords refused", labels=["switch", "service"]
        )
        limits = CounterMetricFamily(
            "smartupgrade_login_attempt_limit",
            "SSH connections ended at their limit of login attempts",
            labels=["switch", "service"],
        )
        certificates = CounterMetricFamily(
            "smartupgrade_login_certificate_refusals",
            "NETCONF over TLS clients refused for their certificate",
            labels=["switch", "service"],
        )
        for view in self._switches():
            up.add_metric([view.name], 1 if view.up else 0)
            if view.switch is None:
                continue
            counters = view.switch.server.counters
            sessions.add_metric([view.name], len(counters.sessions))
            started.add_metric([view.name], counters.in_sessions)
            bad.add_metric([view.name], counters.in_bad_rpcs)
            for (operation, tag), count in sorted(counters.rpc_outcomes.items()):
                rpcs.add_metric([view.name, operation, tag], count)
            logins = view.switch.server.logins.counters
            for service, count in sorted(logins.failed_passwords.items()):
                failures.add_metric([view.name, str(service)], count)
            for service, count in sorted(logins.attempt_limits.items()):
                limits.add_metric([view.name, str(service)], count)
            for service, count in sorted(logins.refused_certificates.items()):
                certificates.add_metric([view.name, str(service)], count)
        statuses = CounterMetricFamily(
            "smartupgrade_upgrade_status_changes",
            "upgrade status changes, by the status reached",
            labels=["switch", "status"],
        )
        for (name, status), count in sorted(self._status_changes.items()):
            statuses.add_metric([name, status], count)
        yield from (up, sessions, started, rpcs, bad, statuses, failures, limits, certificates)
        yield from self._houp_metrics()

    def _houp_metrics(self) -> Iterator[Metric]:
        if self._houp is None:
            return
        sent = CounterMetricFamily(
            "smartupgrade_houp_bytes_sent", "HOUP body bytes sent", labels=["door"]
        )
        for door, files in sorted(self._houp.stats.bytes_sent_by_door.items()):
            sent.add_metric([door], sum(files.values()))
        requests = CounterMetricFamily(
            "smartupgrade_houp_requests", "HOUP HTTPS requests answered", labels=["door", "status"]
        )
        answered = Counter(
            (record.door, str(record.status)) for record in self._houp.stats.requests
        )
        for (door, status), count in sorted(answered.items()):
            requests.add_metric([door, status], count)
        yield sent
        yield requests

    def text(self) -> bytes:
        """The exposition, as ``GET /metrics`` serves it."""
        return generate_latest(self.registry)


def merge_expositions(texts: Iterable[str]) -> bytes:
    """One exposition of the metrics of several processes (a fleet's workers and its HOUP):
    the samples of each metric together under its one HELP and TYPE."""
    families: dict[str, Metric] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            merged = families.setdefault(family.name, family)
            if merged is not family:
                merged.samples.extend(family.samples)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(families.values())))
    return generate_latest(registry)


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def add_routes(
    app: web.Application,
    metrics: Callable[[], Awaitable[bytes]],
    health: Callable[[], Awaitable[dict[str, Any]]],
) -> None:
    """``GET /metrics`` (the exposition ``metrics()`` gives) and ``GET /health`` on ``app``;
    ``health()`` says ``ok`` (200) or anything else (503), with details."""

    async def metrics_page(_: web.Request) -> web.Response:
        return web.Response(body=await metrics(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})

    async def health_page(_: web.Request) -> web.Response:
        answer = await health()
        return web.json_response(answer, status=200 if answer.get("status") == "ok" else 503)

    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/health", health_page)


class MetricsServer:
    """``/metrics`` and ``/health`` over plain HTTP on a port of their own (a single switch;
    a fleet serves them on its admin API)."""

    def __init__(self, runner: web.AppRunner, port: int) -> None:
        self._runner = runner
        self.port = port

    @classmethod
    async def start(
        cls,
        metrics: EmulatorMetrics,
        health: Callable[[], dict[str, Any]],
        host: str,
        port: int,
    ) -> Self:
        async def exposition() -> bytes:
            return metrics.text()

        async def answer() -> dict[str, Any]:
            return health()

        app = web.Application()
        add_routes(app, exposition, answer)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        return cls(runner, site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def close(self) -> None:
        await self._runner.cleanup()
