"""The Python examples of docs/sdk.md, run in order against the quick start's emulated switch:
a ``smartupgrade-sim`` subprocess with its HOUP (its NETCONF port for 8830)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.clients import Sim, running_sim

SDK_DOC = Path(__file__).resolve().parents[3] / "docs" / "sdk.md"
FENCE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
EXAMPLES = [
    pytest.param(
        match["code"], id=f"line-{SDK_DOC.read_text()[: match.start()].count(chr(10)) + 1}"
    )
    for match in FENCE.finditer(SDK_DOC.read_text())
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    # A short reboot keeps the right-now example quick; everything else is the sim's default.
    data_dir = tmp_path_factory.mktemp("docs-sim") / "data"
    with running_sim(data_dir, "S5732-H", "--reboot-seconds=1") as started:
        yield started


def test_the_document_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str, sim: Sim) -> None:
    exec(compile(code.replace("8830", str(sim.server.port)), str(SDK_DOC), "exec"), {})
