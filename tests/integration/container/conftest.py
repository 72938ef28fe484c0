"""The image ``tools/container/build.sh`` builds (once per test session) and containers of it
run with podman as docs/container.md runs them, removed with their volumes after the test."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.sim import READY
from tests.support.waiting import blocking_until

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD = REPO_ROOT / "tools" / "container" / "build.sh"
TAG = "localhost/smartupgrade-sim:test"
# podman as docs/container.md runs it on a machine whose containers may not raise their open-file
# limit: runc, the ulimits dropped (containers.conf) and the host's limit kept
PODMAN_ENVIRONMENT = {
    **os.environ,
    "CONTAINERS_CONF": str(REPO_ROOT / "tools" / "container" / "containers.conf"),
}
PODMAN = ("podman", "--runtime", "runc")
# a cold build (the Debian base with mmdebstrap, then the wheels) takes about a minute
BUILD_TIMEOUT = 900.0


def podman(*arguments: str, timeout: float = CLIENT_TIMEOUT) -> str:
    done = subprocess.run(
        [*PODMAN, *arguments],
        env=PODMAN_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(arguments)} exited {done.returncode}:\n{done.stderr}"
        )
    return done.stdout


@pytest.fixture(scope="session")
def image() -> str:
    done = subprocess.run(
        [str(BUILD), TAG],
        env=PODMAN_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return TAG


@dataclass
class Container:
    name: str
    volume: str

    def logs(self) -> str:
        done = subprocess.run(
            [*PODMAN, "logs", self.name],
            env=PODMAN_ENVIRONMENT,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
        return done.stdout + done.stderr

    def port(self, container_port: int) -> int:
        """The host port (on 127.0.0.1) published for ``container_port``."""
        published = podman("port", self.name, f"{container_port}/tcp").strip()
        return int(published.rsplit(":", 1)[1])

    def state(self) -> dict[str, object]:
        state: dict[str, object] = json.loads(podman("inspect", self.name))[0]["State"]
        return state


@dataclass
class Containers:
    """Runs containers of the image, on the volume of the test unless given one of their own;
    removes them and their volumes at the end."""

    image: str
    volume: str = field(default_factory=lambda: f"smartupgrade-test-{secrets.token_hex(4)}")
    started: list[str] = field(default_factory=list)
    volumes: set[str] = field(default_factory=set)

    def run(
        self,
        *arguments: str,
        environment: dict[str, str] | None = None,
        ports: Sequence[int] = (8830,),
        mounts: Sequence[str] = (),
        host_network: bool = False,
        own_volume: bool = False,
    ) -> Container:
        """``podman run -d`` with a volume on /data and ``ports`` published on 127.0.0.1 ports
        the OS picks (or, with ``host_network``, on the host's network, where the image's user
        may bind a switch's ports below 1024); returns once the banner has ended."""
        name = f"{self.volume}-{len(self.started)}"
        volume = name if own_volume else self.volume
        options = [f"--name={name}", "--ulimit=host", f"--volume={volume}:/data"]
        if host_network:
            # uid 10001 in the image: the switches' ports 830, 22 and 443
            options += ["--network=host", "--cap-add=NET_BIND_SERVICE"]
        else:
            options += [f"--publish=127.0.0.1::{port}" for port in ports]
        options += [f"--env={key}={value}" for key, value in (environment or {}).items()]
        options += [f"--volume={mount}" for mount in mounts]
        self.started.append(name)
        self.volumes.add(volume)
        podman("run", "--detach", *options, self.image, *arguments)
        container = Container(name, volume)
        blocking_until(
            lambda: READY in container.logs(),
            f"banner from {name}:\n{container.logs()}",
        )
        return container

    def remove(self) -> None:
        for name in self.started:
            subprocess.run(
                [*PODMAN, "rm", "--force", "--time=10", name],
                env=PODMAN_ENVIRONMENT,
                capture_output=True,
                timeout=CLIENT_TIMEOUT,
                check=False,
            )
        for volume in self.volumes:
            subprocess.run(
                [*PODMAN, "volume", "rm", "--force", volume],
                env=PODMAN_ENVIRONMENT,
                capture_output=True,
                timeout=CLIENT_TIMEOUT,
                check=False,
            )


@pytest.fixture
def containers(image: str) -> Iterator[Containers]:
    started = Containers(image)
    yield started
    started.remove()
