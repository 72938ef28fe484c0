"""A fleet on several machines simulated with podman: a HOUP container, three shard containers of
one fleet (``--shard I/3 --houp-url URL``) with their switches at addresses of their own on a
switch's ports, the inventory merged by a container (as deploy/kubernetes' Job does), and one
``smartupgrade fleet`` upgrade from this machine across every shard. The containers share the
host's network, as machines share one: each shard's switches are on their own loopback
addresses, NETCONF on 830."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from smartupgrade_client.cli.exit_codes import ExitCode
from tests.integration.container.conftest import PODMAN, PODMAN_ENVIRONMENT, READY, podman, until
from tests.integration.fleet.conftest import admin_request, free_addresses, smartupgrade_fleet
from tests.integration.fleet.test_fleet_upgrade import CATALOGUE
from tests.interop.clients import CLIENT_TIMEOUT

SHARDS = 3
SWITCHES = 6
_HOUP_ADMIN = re.compile(r"faults: (http://\S+?)/faults")
_FLEET_ADMIN = re.compile(r"^Fleet admin: (http://\S+?)/switches ", re.MULTILINE)


@dataclass
class Lab:
    """Containers on the host's network, each with a volume of its own; all removed at the
    end."""

    image: str
    prefix: str = field(default_factory=lambda: f"smartupgrade-shards-{secrets.token_hex(4)}")
    started: list[str] = field(default_factory=list)

    def run(self, name: str, *arguments: str, mounts: tuple[str, ...] = ()) -> str:
        """``podman run -d`` of the image; the banner it printed once it serves."""
        container = f"{self.prefix}-{name}"
        self.started.append(container)
        podman(
            "run",
            "--detach",
            f"--name={container}",
            "--network=host",
            "--ulimit=host",
            # uid 10001 in the image: the switches' ports 830, 22 and 443
            "--cap-add=NET_BIND_SERVICE",
            f"--volume={container}:/data",
            *(f"--volume={mount}" for mount in mounts),
            self.image,
            *arguments,
        )
        return until(
            lambda: logs if READY in (logs := self.logs(container)) else None,
            f"banner from {container}:\n{self.logs(container)}",
        )

    def logs(self, container: str) -> str:
        done = subprocess.run(
            [*PODMAN, "logs", container],
            env=PODMAN_ENVIRONMENT,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
        return done.stdout + done.stderr

    def remove(self) -> None:
        for container in self.started:
            for command in (("rm", "--force", "--time=10", container), ("volume", "rm", container)):
                subprocess.run(
                    [*PODMAN, *command],
                    env=PODMAN_ENVIRONMENT,
                    capture_output=True,
                    timeout=CLIENT_TIMEOUT,
                    check=False,
                )


@pytest.fixture
def lab(image: str) -> Iterator[Lab]:
    started = Lab(image)
    yield started
    started.remove()


@pytest.fixture
def addresses() -> str:
    return free_addresses()


def admin_url(pattern: re.Pattern[str], banner: str) -> str:
    found = pattern.search(banner)
    assert found is not None, banner
    return found.group(1)


def test_one_upgrade_across_three_shard_containers_through_a_houp_container(
    lab: Lab, tmp_path: Path, addresses: str
) -> None:
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    houp = admin_url(
        _HOUP_ADMIN,
        lab.run(
            "houp",
            *("houp", "--host=127.0.0.1", "--port=0", "--admin-port=0", "--data-dir=/data"),
            "--catalogue=/catalogue.yaml",
            mounts=(f"{tmp_path / 'catalogue.yaml'}:/catalogue.yaml:ro",),
        ),
    )
    shards = [
        admin_url(
            _FLEET_ADMIN,
            lab.run(
                f"shard-{index}",
                *("fleet", f"--count={SWITCHES}", f"--shard={index}/{SHARDS}"),
                # the image listens on every address by default: here the admin API stays on
                # the loopback, where admin/admin may log in
                "--host=127.0.0.1",
                *(f"--addresses={addresses}", f"--houp-url={houp}", "--admin-port=0"),
                *("--workers=1", "--clock=60", "--reboot-seconds=5", "--data-dir=/data"),
            ),
        )
        for index in range(SHARDS)
    ]
    merged = tmp_path / "inventory"
    merged.mkdir(mode=0o777)
    # the image's user writes there
    merged.chmod(0o777)
    podman(
        *("run", "--rm", "--network=host", f"--volume={merged}:/inventory"),
        lab.image,
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
