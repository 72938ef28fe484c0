"""Catalogue files: the documented example loads, a malformed one gives a clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smartupgrade_server.houp.catalogue import Catalogue, CatalogueError, UnsupportedModelError
from smartupgrade_server.houp.server import HoupServer


def _documented_example(repo_root: Path) -> str:
    text = (repo_root / "docs" / "houp.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


async def test_documented_example_loads_from_a_file(
    repo_root: Path, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(_documented_example(repo_root))
    server = await HoupServer.start(data_dir, catalogue=path)
    try:
        offer = server.catalogue.lookup("S5732-H24UM2CC", "V200R020C00", "V200R020SPH")
        assert offer is not None
        assert offer.software_package.name == "S5732-H-V200R024C00.cc"
        assert offer.patch == "V200R020SPH001"
        assert server.catalogue.lookup("S5732-H", "V200R024C00", None) is None
        ap = server.catalogue.lookup("AirEngine 8760-X1-PRO", "V200R019C10", None)
        assert ap is not None and ap.patch_package is None
        with pytest.raises(UnsupportedModelError):
            server.catalogue.lookup("S5731S-L24T4S", "V200R020C00", None)
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("families: [", "not valid YAML"),
        ("unsupported_models: []", "top level: missing key(s) families"),
        ("families: {}", "families: expected a list"),
        ("families: [{family: S300, upgrades: [], colour: red}]", "unknown key(s) colour"),
        (
            "families: [{family: S300, upgrades: [{from: {software: V1}, to: {software: V2, "
            "software_package: {name: a.cc, size: -1}}}]}]",
            "families[0].upgrades[0].to.software_package.size: expected a positive integer",
        ),
        (
            "families: [{family: S300, upgrades: [{from: {software: V1}, to: {software: V2, "
            "patch: P, software_package: {name: a.cc, size: 1}}}]}]",
            "families[0].upgrades[0].to: patch and patch_package go together",
        ),
        (
            "families: [{family: S300, upgrades: [{from: {software: []}, to: {software: V2, "
            "software_package: {name: a.cc, size: 1}}}]}]",
            "families[0].upgrades[0].from.software: expected a glob pattern",
        ),
        (
            "families: [{family: S300, upgrades: [{from: {software: V1}, to: {software: V2, "
            "software_package: {name: ../a.cc, size: 1}}}]}]",
            "is not a plain package file name",
        ),
    ],
)
def test_malformed_catalogue_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=re.escape(message)):
        Catalogue.parse(text, "bad.yaml")


def test_missing_file_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read"):
        Catalogue.load(tmp_path / "absent.yaml")


def test_one_package_name_with_two_sizes_is_refused() -> None:
    text = """
families:
  - family: A
    upgrades:
      - from: {software: V1}
        to: {software: V2, software_package: {name: same.cc, size: 1}}
  - family: B
    upgrades:
      - from: {software: V1}
        to: {software: V2, software_package: {name: same.cc, size: 2}}
"""
    with pytest.raises(CatalogueError, match=r"same\.cc is given two different sizes"):
        Catalogue.parse(text)
