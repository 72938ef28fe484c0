"""The examples of the pages below run as written, in order, each block on its own
(tests/docs.py), against an emulated switch started as the README starts it: a
``smartupgrade-sim`` subprocess whose default ports in the examples (NETCONF 8830, HOUP faults
9080, metrics 9464) are replaced by the ones it got. docs/sdk.md has its own test
(tests/integration/client/test_docs_examples.py), docs/pytest.md and docs/ansible.md theirs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs import REPO_ROOT, Block, blocks, run_block, working_directory
from tests.integration.houp.conftest import SMALL_CATALOGUE_FILE
from tests.interop.clients import running_sim

# page -> whether its examples need the emulator
PAGES = {
    "README.md": True,
    "docs/server.md": True,
    "docs/interop.md": True,
    "docs/houp.md": False,
    "docs/device.md": False,
    "docs/yang.md": False,
}
EXAMPLES = [
    pytest.param(page, block, id=f"{page}:{block.line}")
    for page in PAGES
    for block in blocks(REPO_ROOT / page)
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def replacements(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The emulator the pages' examples reach, and the ports to write for its defaults."""
    ports = {"9080": free_port(), "9464": free_port()}
    with running_sim(
        tmp_path_factory.mktemp("docs-sim") / "data",
        "S5732-H",
        "--reboot-seconds=1",
        # small images: the examples upgrade the switch twice
        f"--catalogue={SMALL_CATALOGUE_FILE}",
        f"--houp-admin-port={ports['9080']}",
        f"--metrics-port={ports['9464']}",
    ) as sim:
        yield {"8830": str(sim.server.port), **{old: str(new) for old, new in ports.items()}}


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One working directory per page: its examples share the files they write."""
    return {
        page: working_directory(tmp_path_factory.mktemp("docs") / page.replace("/", "-"))
        for page in PAGES
    }


def test_every_page_has_examples_that_run() -> None:
    for page in PAGES:
        assert [block for block in blocks(REPO_ROOT / page) if block.not_run is None], page


@pytest.mark.parametrize(("page", "block"), EXAMPLES)
def test_example_runs(
    page: str, block: Block, request: pytest.FixtureRequest, directories: dict[str, Path]
) -> None:
    if block.not_run is not None:
        pytest.skip(block.not_run)
    ports: dict[str, str] = request.getfixturevalue("replacements") if PAGES[page] else {}
    run_block(block, directories[page], ports, REPO_ROOT / page)
