"""A fleet on several machines, as processes on this one: ``smartupgrade-sim houp`` alone, three
shards of one fleet (``--shard I/3 --houp-url URL``) at their own addresses, ``smartupgrade-sim
fleet-inventory`` merging their inventories, and one ``smartupgrade fleet`` upgrade across every
shard through the one HOUP. (tests/integration/container runs the same with containers.)"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import yaml

from smartupgrade_client.cli.exit_codes import ExitCode
from tests.integration.fleet.test_fleet_upgrade import CATALOGUE
from tests.integration.test_metrics import health, scrape, value
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import (
    SMARTUPGRADE_SIM,
    FleetProcess,
    admin_request,
    port_offset,
    running_fleet,
    running_houp_process,
    smartupgrade_fleet,
)

SHARDS = 3
SWITCHES = 6


def test_one_upgrade_across_three_shards_through_one_houp(
    tmp_path: Path, data_dir: Path, addresses: str
) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE)
    with ExitStack() as stack:
        houp = stack.enter_context(running_houp_process(tmp_path / "houp", catalogue))
        shards: list[FleetProcess] = []
        for index in range(SHARDS):
            shard_dir = tmp_path / f"shard-{index}"
            shutil.copytree(data_dir, shard_dir)
            shards.append(
                stack.enter_context(
                    running_fleet(
                        shard_dir,
                        f"--count={SWITCHES}",
                        f"--shard={index}/{SHARDS}",
                        f"--addresses={addresses}",
                        f"--port-offset={port_offset()}",
                        f"--houp-url={houp}",
                        "--workers=1",
                        "--admin-port=0",
                        "--clock=60",
                        "--reboot-seconds=5",
                    )
                )
            )
        assert f"HOUP elsewhere: {houp}" in shards[0].banner
        # each shard runs its share of the one fleet
        shares = [list(shard.switches()) for shard in shards]
        assert shares == [["sw-1", "sw-2"], ["sw-3", "sw-4"], ["sw-5", "sw-6"]]

        inventory = tmp_path / "merged" / "fleet.yaml"
        done = subprocess.run(
            [
                str(SMARTUPGRADE_SIM),
                "fleet-inventory",
                *(shard.admin_url for shard in shards),
                f"--inventory-out={inventory}",
            ],
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Inventory of {SHARDS} shards, {SWITCHES} switches: ")
        merged = yaml.safe_load(inventory.read_text())
        first = addresses.split("/", maxsplit=1)[0].removesuffix(".1")
        assert merged["switches"] == [
            {"name": f"sw-{n}", "host": f"{first}.{n}"} for n in range(1, SWITCHES + 1)
        ]
        for command in (("ssl-policy", "houp"), ("enable",), ("--yes", "right-now")):
            run = smartupgrade_fleet(inventory, *command)
            assert run.code == ExitCode.OK, run.stderr
            assert len(run.rows) == SWITCHES
        software = {
            switch["name"]: switch["software"]
            for shard in shards
            for switch in admin_request(f"{shard.admin_url}/switches")
        }
        assert software == {f"sw-{n}": "V200R024C00" for n in range(1, SWITCHES + 1)}
        # every byte came from the one HOUP
        stats = admin_request(f"{houp}/stats")
        assert stats["bytes_sent"]["S5732-H-V200R024C00.cc"] == SWITCHES * 524288
        # and its admin port says so to Prometheus, as a sim's metrics port does
        samples = scrape(houp)
        sent = value(samples, "smartupgrade_houp_bytes_sent_total", door="default")
        assert sent == sum(stats["bytes_sent"].values())
        assert value(samples, "smartupgrade_houp_requests_total", door="default", status="200")
        assert health(houp) == (200, {"status": "ok", "houp": "up", "doors": 1})
