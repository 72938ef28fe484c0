"""docs/fleet.md says what exists: its fleet file parses into the fleet it describes (and, with
the groups made to fail added, into the failures it describes), its catalogue offers every
switch packages it takes, its command lines parse, and its options table lists every option of
the command. tests/integration/test_docs_run.py runs its examples on that fleet."""

import inspect
import re
import shlex
from pathlib import Path

import pytest
import yaml

from smartupgrade_server.device.products import package_fits, supports_smart_upgrade
from smartupgrade_server.fleet.command import parse_arguments
from smartupgrade_server.fleet.spec import parse_fleet
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.sim.options import add_common_options

DOC = Path(__file__).resolve().parents[3] / "docs" / "fleet.md"
TEXT = DOC.read_text(encoding="utf-8")
FLEET_COMMAND = "smartupgrade-sim fleet"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.DOTALL)


def _example(first_line: str) -> str:
    (example,) = (block for block in _blocks("yaml") if block.startswith(first_line))
    return example


def test_the_catalogue_example_offers_every_smart_upgrade_switch_packages_it_takes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(_example("# catalogue.yaml"), encoding="utf-8")
    catalogue = Catalogue.load(path)
    spec = parse_fleet(yaml.safe_load(_example("# fleet-file.yaml")), tmp_path, {})
    for switch in spec.switches:
        if supports_smart_upgrade(switch.model):
            offer = catalogue.lookup(switch.model, switch.software, switch.patch)
            assert offer is not None, switch
            assert offer.software_package.size == 4 * 1024**2
            packages = [offer.software_package, offer.patch_package]
            for package in packages:
                assert package is None or package_fits(switch.model, package.name), switch


def test_the_fleet_file_example_is_the_fleet_it_describes() -> None:
    example = _example("# fleet-file.yaml")
    spec = parse_fleet(yaml.safe_load(example), DOC.parent, {})
    assert [s.name for s in spec.switches] == ["campus-1", "campus-2", "branch-1", "lab-1"]
    assert spec.switches[0].netconf_port == 8830
    assert spec.switches[0].cli_port == 18830
    assert [s.model for s in spec.switches] == ["S5732-H", "S6730-H", "S2720-EI", "S5732-H"]
    assert all(supports_smart_upgrade(s.model) for s in spec.switches)
    assert [s.patch for s in spec.switches if s.group == "branch"] == [None]
    assert [s.houp_door for s in spec.switches] == [None, None, None, "lab"]
    assert spec.catalogue == DOC.parent / "catalogue.yaml"


def test_the_groups_made_to_fail_add_to_the_fleet_file() -> None:
    (failing,) = (block for block in _blocks("yaml") if block.startswith("  - name: no-smart"))
    spec = parse_fleet(yaml.safe_load(_example("# fleet-file.yaml") + failing), DOC.parent, {})
    added = {s.group: s for s in spec.switches[4:]}
    assert list(added) == ["no-smart-upgrade", "bad-signature", "small-flash"]
    assert not supports_smart_upgrade(added["no-smart-upgrade"].model)
    assert added["bad-signature"].houp_door == "bad-signature"
    assert added["small-flash"].flash_capacity < 4 * 1024**2


@pytest.mark.parametrize(
    "line",
    [line for block in _blocks("sh") for line in block.splitlines() if f"{FLEET_COMMAND} " in line],
)
def test_every_command_line_parses(line: str) -> None:
    words = shlex.split(line.split("#", maxsplit=1)[0])
    parse_arguments(words[words.index("fleet") + 1 :])


def test_the_options_table_lists_every_option() -> None:
    table = TEXT.split("## Options")[1].split("\n## ")[0]
    documented = set(re.findall(r"`(--[a-z-]+|-v)", table))
    # the fleet's own options, and those it shares with smartupgrade-sim
    source = Path(parse_arguments.__code__.co_filename).read_text(encoding="utf-8")
    source += inspect.getsource(add_common_options)
    offered = set(re.findall(r'add_argument\(\s*"(--[a-z-]+|-v)"', source))
    assert documented == offered


def test_the_call_home_example_is_a_fleet_file() -> None:
    spec = parse_fleet(yaml.safe_load(_example("# every switch dials")), Path("/fleet"), {})
    assert spec.call_home == ("ssh://192.0.2.10:4334",)
    assert spec.tls_client_ca == Path("/fleet/controller-ca.pem")
    assert [switch.tls_port for switch in spec.switches[:2]] == [16513, 16514]
