"""A fleet on several machines simulated with podman: a HOUP container, three shard containers of
one fleet (``--shard I/3 --houp-url URL``) with their switches at addresses of their own on a
switch's ports, the inventory merged by a container (as deploy/kubernetes' Job does), and one
``smartupgrade fleet`` upgrade from this machine across every shard. The containers share the
host's network, as machines share one: each shard's switches are on their own loopback
addresses, NETCONF on 830."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from smartupgrade_client.cli.exit_codes import ExitCode
from tests.integration.container.conftest import Containers, podman
from tests.integration.fleet.test_fleet_upgrade import CATALOGUE
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import FLEET_ADMIN, HOUP_ADMIN, admin_request, smartupgrade_fleet

SHARDS = 3
SWITCHES = 6


def admin_url(pattern: re.Pattern[str], banner: str) -> str:
    found = pattern.search(banner)
    assert found is not None, banner
    return found.group(1)


def test_one_upgrade_across_three_shard_containers_through_a_houp_container(
    containers: Containers, tmp_path: Path, addresses: str
) -> None:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    houp = admin_url(
        HOUP_ADMIN,
        containers.run(
            *("houp", "--host=127.0.0.1", "--port=0", "--admin-port=0", "--data-dir=/data"),
            "--catalogue=/catalogue.yaml",
            mounts=(f"{tmp_path / 'catalogue.yaml'}:/catalogue.yaml:ro",),
            host_network=True,
            own_volume=True,
        ).logs(),
    )
    shards = [
        admin_url(
            FLEET_ADMIN,
            containers.run(
                *("fleet", f"--count={SWITCHES}", f"--shard={index}/{SHARDS}"),
                # the image listens on every address by default: here the admin API stays on
                # the loopback, where admin/admin may log in
                "--host=127.0.0.1",
                *(f"--addresses={addresses}", f"--houp-url={houp}", "--admin-port=0"),
                *("--workers=1", "--clock=60", "--reboot-seconds=5", "--data-dir=/data"),
                host_network=True,
                own_volume=True,
            ).logs(),
        )
        for index in range(SHARDS)
    ]
    merged = tmp_path / "inventory"
    merged.mkdir(mode=0o777)
    # the image's user writes there
    merged.chmod(0o777)
    podman(
        *("run", "--rm", "--network=host", f"--volume={merged}:/inventory"),
        containers.image,
        *("fleet-inventory", *shards, "--inventory-out=/inventory/fleet.yaml"),
        timeout=CLIENT_TIMEOUT,
    )
    inventory = merged / "fleet.yaml"
    first = addresses.split("/", maxsplit=1)[0].removesuffix(".1")
    document = yaml.safe_load(inventory.read_text())
    assert document["defaults"]["port"] == 830
    assert document["switches"] == [
        {"name": f"sw-{n}", "host": f"{first}.{n}"} for n in range(1, SWITCHES + 1)
    ]

    for command in (("ssl-policy", "houp"), ("enable",), ("--yes", "right-now")):
        run = smartupgrade_fleet(inventory, *command)
        assert run.code == ExitCode.OK, run.stderr
        assert sorted(run.rows) == [f"sw-{n}" for n in range(1, SWITCHES + 1)]
    software = {
        switch["name"]: (switch["software"], switch["address"])
        for shard in shards
        for switch in admin_request(f"{shard}/switches")
    }
    assert software == {f"sw-{n}": ("V200R024C00", f"{first}.{n}") for n in range(1, SWITCHES + 1)}
    assert admin_request(f"{houp}/stats")["bytes_sent"]["S5732-H-V200R024C00.cc"] == (
        SWITCHES * 524288
    )
