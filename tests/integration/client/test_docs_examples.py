"""The examples of docs/sdk.md, run in order as a reader runs them (tests/support/docs.py)
against the quick start's emulated switch: a ``smartupgrade-sim`` subprocess with its HOUP (its
NETCONF port for 8830)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.docs import REPO_ROOT, Block, blocks, run_block, working_directory
from tests.support.sim import Sim, running_sim

SDK_DOC = REPO_ROOT / "docs" / "sdk.md"
EXAMPLES = blocks(SDK_DOC)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    # A short reboot keeps the right-now example quick; everything else is the sim's default.
    data_dir = tmp_path_factory.mktemp("docs-sim") / "data"
    with running_sim(data_dir, "S5732-H", "--reboot-seconds=1") as started:
        yield started


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return working_directory(tmp_path_factory.mktemp("sdk-docs") / "work")


def test_the_document_has_examples() -> None:
    assert len([block for block in EXAMPLES if block.not_run is None]) >= 10


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.id for block in EXAMPLES])
def test_example_runs(block: Block, sim: Sim, directory: Path) -> None:
    if block.not_run is not None:
        pytest.skip(block.not_run)
    run_block(block, directory, {"8830": str(sim.server.port)}, SDK_DOC)
