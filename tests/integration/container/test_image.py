"""The image built by ``tools/container/build.sh`` serves a switch that plain ncclient on the host
upgrades; it stops on SIGTERM, keeps its data in its volume, takes options from arguments and
environment variables, and runs a fleet."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

from lxml import etree
from ncclient import manager
from ncclient.operations.errors import OperationError
from ncclient.transport.errors import TransportError
from ncclient.xml_ import to_ele

from smartupgrade_model.model import NAMESPACE as SU
from tests.integration.container.conftest import PODMAN, PODMAN_ENVIRONMENT, Containers, podman
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.houp import SMALL_CATALOGUE
from tests.support.users import Server
from tests.support.waiting import blocking_until

PASSWORD = "ci-secret"
# a SIGKILL after podman's 10 s would end the container with 137
EXITED_CLEANLY = 0


def connect(port: int) -> manager.Manager:
    return Server("127.0.0.1", port, "admin", PASSWORD).ncclient(timeout=CLIENT_TIMEOUT)


def local_information(port: int) -> dict[str, str] | None:
    """The switch's local information, or None while it does not accept a session."""
    try:
        with connect(port) as session:
            reply = session.get(
                filter=(
                    "subtree",
                    f'<smart-upgrade xmlns="{SU}"><local-information/></smart-upgrade>',
                )
            )
    except (TransportError, OperationError, OSError):
        return None
    found = reply.data_ele.find(f"{{{SU}}}smart-upgrade/{{{SU}}}local-information")
    assert found is not None
    return {etree.QName(leaf).localname: leaf.text or "" for leaf in found}


def test_ncclient_on_the_host_upgrades_the_switch_in_the_container(
    containers: Containers, tmp_path: Path
) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(SMALL_CATALOGUE)
    catalogue.chmod(0o644)
    sim = containers.run(
        # an option as an argument, the others from the environment
        "--reboot-seconds=1",
        environment={
            "SMARTUPGRADE_SIM_ADMIN_PASSWORD": PASSWORD,
            "SMARTUPGRADE_SIM_CATALOGUE": "/catalogue.yaml",
            "SMARTUPGRADE_SIM_ESN": "2102351XFR10P0000042",
        },
        ports=(8830, 9080, 9464),
        mounts=(f"{catalogue}:/catalogue.yaml:ro",),
    )
    banner = sim.logs()
    assert "NETCONF over SSH on 0.0.0.0:8830 (subsystem netconf)" in banner
    assert "credentials: the users of /data/users.yaml" in banner
    port = sim.port(8830)
    faults_url = f"http://127.0.0.1:{sim.port(9080)}/faults"
    with urllib.request.urlopen(faults_url, timeout=CLIENT_TIMEOUT) as answer:
        assert json.load(answer)["expired_certificate"] is False
    health_url = f"http://127.0.0.1:{sim.port(9464)}/health"
    with urllib.request.urlopen(health_url, timeout=CLIENT_TIMEOUT) as answer:
        assert json.load(answer) == {"status": "ok", "switch": "up"}

    session = connect(port)
    session.edit_config(
        target="running",
        config=f'<config><smart-upgrade xmlns="{SU}"><ssl-policy>houp</ssl-policy>'
        "<enabled>true</enabled></smart-upgrade></config>",
    )
    checked = session.dispatch(to_ele(f'<refresh xmlns="{SU}"/>'))
    assert to_ele(checked.xml).findtext(f".//{{{SU}}}check-result") == "need-update"
    session.dispatch(to_ele(f'<right-now xmlns="{SU}"/>'))
    # the switch downloads, verifies and reboots: the session ends under us
    blocking_until(lambda: not session.connected, "end of the session at the reboot")

    def upgraded() -> dict[str, str] | None:
        info = local_information(port)
        return info if info and info["software-version"] == "V200R024C00" else None

    assert blocking_until(upgraded, "switch running V200R024C00")["esn"] == "2102351XFR10P0000042"

    podman("stop", sim.name)
    assert sim.state()["ExitCode"] == EXITED_CLEANLY

    # the volume keeps the switch's software and users (admin's password, without the variable)
    again = containers.run(ports=(8830,))
    info = blocking_until(lambda: local_information(again.port(8830)), "session after the restart")
    assert info["software-version"] == "V200R024C00"


def test_the_image_refuses_the_factory_password_beyond_the_loopback(
    containers: Containers,
) -> None:
    done = subprocess.run(
        [
            *PODMAN,
            "run",
            "--rm",
            "--ulimit=host",
            f"--volume={containers.volume}:/data",
            containers.image,
        ],
        env=PODMAN_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "refusing to listen on '0.0.0.0'" in done.stderr
    assert "SMARTUPGRADE_SIM_ADMIN_PASSWORD" in done.stderr


def test_the_image_runs_a_fleet(containers: Containers) -> None:
    fleet = containers.run(
        "fleet",
        "--count=2",
        environment={"SMARTUPGRADE_SIM_ADMIN_PASSWORD": PASSWORD},
        ports=(8830, 8831, 9081),
    )
    admin = f"http://127.0.0.1:{fleet.port(9081)}/switches"
    with urllib.request.urlopen(admin, timeout=CLIENT_TIMEOUT) as answer:
        switches = json.load(answer)
    assert [(s["name"], s["state"], s["netconf_port"]) for s in switches] == [
        ("sw-1", "running", 8830),
        ("sw-2", "running", 8831),
    ]
    esns = [local_information(fleet.port(port)) for port in (8830, 8831)]
    assert [info and info["esn"] for info in esns] == [s["esn"] for s in switches]
    podman("stop", fleet.name)
    assert fleet.state()["ExitCode"] == EXITED_CLEANLY
