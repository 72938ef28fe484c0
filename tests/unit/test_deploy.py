"""deploy/: the Kubernetes manifests validate against Kubernetes' schemas (kubernetes-validate,
offline, strict), and they and the containerlab topology tell the same story as the sim's own
parsers: every command parses as smartupgrade-sim parses it, every shard has its share, the
shards reach the HOUP where it listens, and the inventory job merges every shard."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from smartupgrade_server.__main__ import subcommands
from smartupgrade_server.fleet.command import fleet_spec
from smartupgrade_server.fleet.spec import FleetSpec

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
CONTAINERLAB = DEPLOY / "containerlab" / "fleet.clab.yml"
# the oldest Kubernetes the manifests are for: the pod-index label of StatefulSets came in 1.28
KUBERNETES_VERSIONS = ("1.28.0", kubernetes_validate.latest_version())


def built_image() -> str:
    """The image tools/container/build.sh builds when given no tag: the one the manifests run."""
    build = (DEPLOY.parent / "tools" / "container" / "build.sh").read_text(encoding="utf-8")
    found = re.search(r"tag=\$\{1:-(\S+)\}", build)
    assert found is not None
    return found[1]


IMAGE = built_image()
SUBCOMMANDS = subcommands()
_VARIABLE = re.compile(r"\$\((\w+)\)")


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            yield path, document


def resources() -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in manifests()}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_strictly(version: str) -> None:
    validated = 0
    for path, document in manifests():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{path.name}: {error}") from None
        validated += 1
    assert validated == 7


def container(resource: Mapping[str, Any]) -> dict[str, Any]:
    (only,) = resource["spec"]["template"]["spec"]["containers"]
    return dict(only)


def expanded(args: list[str], variables: Mapping[str, str]) -> list[str]:
    """``$(NAME)`` replaced as Kubernetes does from the container's environment."""
    return [_VARIABLE.sub(lambda match: variables[match.group(1)], arg) for arg in args]


def shard_specs(statefulset: Mapping[str, Any]) -> list[FleetSpec]:
    """The fleet each pod of the StatefulSet runs, as the sim reads its arguments."""
    shard = container(statefulset)
    values = {env["name"]: env["value"] for env in shard["env"] if "value" in env}
    specs = []
    for index in range(statefulset["spec"]["replicas"]):
        pod = {"SHARD_INDEX": str(index), "POD_NAME": f"fleet-shard-{index}", **values}
        words = expanded(shard["args"], pod)
        assert words[0] == "fleet"
        specs.append(fleet_spec(SUBCOMMANDS["fleet"].parse_arguments(words[1:])))
    return specs


def test_the_shards_share_out_one_fleet_and_reach_the_houp_where_it_listens() -> None:
    found = resources()
    statefulset = found[("StatefulSet", "fleet-shard")]
    specs = shard_specs(statefulset)
    names = [switch.name for spec in specs for switch in spec.switches]
    assert len(names) == len(set(names)) == 15000
    assert [spec.switches[0].address for spec in specs] == [
        "fleet-shard-0.fleet-shards",
        "fleet-shard-1.fleet-shards",
        "fleet-shard-2.fleet-shards",
    ]
    assert statefulset["spec"]["serviceName"] == "fleet-shards"
    assert found[("Service", "fleet-shards")]["spec"]["clusterIP"] == "None"

    houp = container(found[("Deployment", "fleet-houp")])
    houp_arguments = SUBCOMMANDS["houp"].parse_arguments(houp["args"][1:])
    service = found[("Service", "fleet-houp")]
    ports = {port["name"]: port["port"] for port in service["spec"]["ports"]}
    assert ports == {"https": houp_arguments.port, "admin": houp_arguments.admin_port}
    assert {spec.houp_url for spec in specs} == {f"http://fleet-houp:{ports['admin']}"}
    # each shard's admin API is where the headless Service and the inventory job look for it
    (admin,) = found[("Service", "fleet-shards")]["spec"]["ports"]
    assert {spec.admin_port for spec in specs} == {admin["port"]}

    job = container(found[("Job", "fleet-inventory")])
    assert job["args"][0] == "fleet-inventory"
    merge = SUBCOMMANDS["fleet-inventory"].parse_arguments(job["args"][1:])
    assert merge.shards == [
        f"http://{spec.switches[0].address}:{spec.admin_port}" for spec in specs
    ]
    for _, document in manifests():
        spec = document.get("spec", {}).get("template", {}).get("spec", {})
        for each in spec.get("containers", []):
            assert each["image"] == IMAGE


def test_the_containerlab_lab_is_the_same_fleet() -> None:
    topology = yaml.safe_load(CONTAINERLAB.read_text(encoding="utf-8"))
    assert topology["topology"]["kinds"]["linux"]["image"] == IMAGE
    nodes = topology["topology"]["nodes"]
    commands = {name: shlex.split(node["cmd"]) for name, node in nodes.items()}
    houp = SUBCOMMANDS["houp"].parse_arguments(commands["houp"][1:])
    shards = [name for name in nodes if name.startswith("shard-")]
    specs = [fleet_spec(SUBCOMMANDS["fleet"].parse_arguments(commands[s][1:])) for s in shards]
    names = [switch.name for spec in specs for switch in spec.switches]
    assert len(names) == len(set(names)) == 9000
    for shard, spec in zip(shards, specs, strict=True):
        assert spec.switches[0].address == nodes[shard]["mgmt-ipv4"]
        assert spec.houp_url == f"http://{nodes['houp']['mgmt-ipv4']}:{houp.admin_port}"
    merge = SUBCOMMANDS["fleet-inventory"].parse_arguments(commands["inventory"][1:])
    assert merge.shards == [
        f"http://{nodes[s]['mgmt-ipv4']}:{spec.admin_port}"
        for s, spec in zip(shards, specs, strict=True)
    ]
