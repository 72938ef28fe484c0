"""The Python examples of docs/sdk.md, run against a real switch (its port for 8830)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.client.conftest import Sim

SDK_DOC = Path(__file__).resolve().parents[3] / "docs" / "sdk.md"
# A fence "```python skip: reason" marks an example of what the server does not do yet.
FENCE = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
EXAMPLES = [
    pytest.param(
        match["code"],
        id=f"line-{SDK_DOC.read_text()[: match.start()].count(chr(10)) + 1}",
        marks=[pytest.mark.skip(reason=match["info"].strip())] if match["info"].strip() else [],
    )
    for match in FENCE.finditer(SDK_DOC.read_text())
]


def test_the_document_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str, sim: Sim) -> None:
    exec(compile(code.replace("8830", str(sim.port)), str(SDK_DOC), "exec"), {})
