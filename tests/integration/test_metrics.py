"""The emulator's Prometheus endpoint and health, scraped over HTTP as Prometheus and an
orchestrator do: a single switch (``smartupgrade-sim`` as a process) and a fleet (its admin
API), after sessions, an rpc-error, a refused password, an upgrade and HOUP downloads."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import AuthenticationError
from ncclient.xml_ import to_ele
from prometheus_client.parser import text_string_to_metric_families

from smartupgrade_server.testing.running import RunningFleet
from tests.support.defaults import CLIENT_TIMEOUT, MODEL
from tests.support.houp import SMALL_CATALOGUE_FILE
from tests.support.sim import first_line, running_sim
from tests.support.users import Server
from tests.support.waiting import blocking_until

SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
_METRICS = re.compile(r"^Metrics for Prometheus on (http://\S+)/metrics")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of ``GET url/metrics``, by name and labels."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=CLIENT_TIMEOUT) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = answer.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def first_scrape(url: str, done: Callable[[Samples], bool]) -> Samples:
    """The first scrape of ``url`` that ``done`` accepts."""
    return blocking_until(
        lambda: samples if done(samples := scrape(url)) else None, f"scrape of {url} as expected"
    )


def health(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=CLIENT_TIMEOUT) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def connect(port: int, password: str = "admin") -> manager.Manager:
    return Server("127.0.0.1", port, "admin", password).ncclient(timeout=CLIENT_TIMEOUT)


@contextmanager
def running_sim_with_metrics(data_dir: Path) -> Iterator[tuple[int, str]]:
    """``smartupgrade-sim`` (small catalogue, one-second reboot): its NETCONF port and the
    base URL of its metrics."""
    with running_sim(
        data_dir, MODEL, f"--catalogue={SMALL_CATALOGUE_FILE}", "--reboot-seconds=1"
    ) as sim:
        # printed after the banner
        url = first_line(sim.process, sim.log, lambda line: (m := _METRICS.match(line)) and m[1])
        yield sim.server.port, url


def test_the_sim_counts_sessions_rpcs_logins_upgrades_and_houp_traffic(tmp_path: Path) -> None:
    with running_sim_with_metrics(tmp_path / "data") as (port, url):
        assert health(url) == (200, {"status": "ok", "switch": "up"})
        with pytest.raises(AuthenticationError):
            connect(port, password="wrong").close_session()
        session = connect(port)
        with pytest.raises(RPCError):
            # no SSL policy bound yet: the switch refuses
            session.edit_config(
                target="running",
                config=f'<config><smart-upgrade xmlns="{SU}"><enabled>true</enabled>'
                "</smart-upgrade></config>",
            )
        session.edit_config(
            target="running",
            config=f'<config><smart-upgrade xmlns="{SU}"><ssl-policy>houp</ssl-policy>'
            "<enabled>true</enabled></smart-upgrade></config>",
        )
        samples = scrape(url)
        switch = "S5732-H"
        assert value(samples, "smartupgrade_switch_up", switch=switch) == 1
        assert value(samples, "smartupgrade_netconf_sessions", switch=switch) == 1
        assert value(samples, "smartupgrade_netconf_sessions_total", switch=switch) == 1
        assert (
            value(
                samples,
                "smartupgrade_netconf_rpcs_total",
                switch=switch,
                operation="edit-config",
                error_tag="operation-failed",
            )
            == 1
        )
        assert (
            value(
                samples,
                "smartupgrade_netconf_rpcs_total",
                switch=switch,
                operation="edit-config",
                error_tag="",
            )
            == 1
        )
        assert (
            value(samples, "smartupgrade_login_failures_total", switch=switch, service="netconf")
            == 1
        )

        session.dispatch(to_ele(f'<download xmlns="{SU}"/>'))
        samples = first_scrape(
            url,
            lambda found: (
                value(
                    found,
                    "smartupgrade_upgrade_status_changes_total",
                    switch=switch,
                    status="success",
                )
                > 0
            ),
        )
        assert (
            value(
                samples,
                "smartupgrade_upgrade_status_changes_total",
                switch=switch,
                status="running",
            )
            == 1
        )
        assert (
            value(
                samples,
                "smartupgrade_upgrade_status_changes_total",
                switch=switch,
                status="success",
            )
            == 1
        )
        sent = value(samples, "smartupgrade_houp_bytes_sent_total", door="default")
        # the software, the patch and their signatures
        assert sent > 300000 + 14910
        assert value(samples, "smartupgrade_houp_requests_total", door="default", status="200") >= 5
        session.close_session()


@pytest.mark.smartupgrade_fleet(
    groups=[
        {"name": "core", "count": 2},
        {"name": "lab", "count": 1, "houp_faults": {"expired_certificate": True}},
    ],
    catalogue=SMALL_CATALOGUE_FILE,
)
def test_the_fleet_serves_metrics_and_health_on_its_admin_api(
    smartupgrade_fleet: RunningFleet,
) -> None:
    url = smartupgrade_fleet.admin_url
    assert health(url) == (200, {"status": "ok", "switches": {"running": 3}})
    for switch in smartupgrade_fleet.switches:
        session = connect(switch.port)
        session.edit_config(
            target="running",
            config=f'<config><smart-upgrade xmlns="{SU}"><ssl-policy>houp</ssl-policy>'
            "<enabled>true</enabled></smart-upgrade></config>",
        )
        session.dispatch(to_ele(f'<download xmlns="{SU}"/>'))
        session.close_session()
    samples = first_scrape(
        url,
        lambda found: all(
            value(found, "smartupgrade_upgrade_status_changes_total", switch=name, status=status)
            for name, status in (
                ("core-1", "success"),
                ("core-2", "success"),
                ("lab-1", "cert-out-date"),
            )
        ),
    )
    assert {
        name: value(samples, "smartupgrade_switch_up", switch=name)
        for name in ("core-1", "core-2", "lab-1")
    } == {"core-1": 1, "core-2": 1, "lab-1": 1}
    assert value(samples, "smartupgrade_houp_bytes_sent_total", door="default") > 2 * 200000
    # the lab door's certificate has expired: the switch gives up at the TLS handshake
    assert value(samples, "smartupgrade_houp_bytes_sent_total", door="lab") == 0
    for name in ("core-1", "lab-1"):
        assert (
            value(
                samples,
                "smartupgrade_netconf_rpcs_total",
                switch=name,
                operation="download",
                error_tag="",
            )
            == 1
        )

    stop = urllib.request.Request(f"{url}/switches/stop", method="POST")
    urllib.request.urlopen(stop, timeout=CLIENT_TIMEOUT).close()
    assert value(scrape(url), "smartupgrade_switch_up", switch="lab-1") == 0
    assert health(url) == (503, {"status": "down", "switches": {"stopped": 3}})
