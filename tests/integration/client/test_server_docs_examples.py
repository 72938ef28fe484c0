"""The Python examples of the notification and access-control sections of docs/server.md,
run against a real switch (its port for 8830)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.client.conftest import Sim

SERVER_DOC = Path(__file__).resolve().parents[3] / "docs" / "server.md"
SECTIONS = (
    "Notifications (RFC 5277, RFC 6470)",
    "Subscriptions and YANG-push (RFC 8639, 8640, 8641)",
    "Access control (RFC 8341 NACM)",
    "User levels",
)
FENCE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def _section(title: str) -> str:
    text = SERVER_DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


EXAMPLES = [
    pytest.param(match["code"], id=f"{title}-{n}")
    for title in SECTIONS
    for n, match in enumerate(FENCE.finditer(_section(title)))
]


def test_the_sections_have_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str, sim: Sim) -> None:
    exec(compile(code.replace("8830", str(sim.port)), str(SERVER_DOC), "exec"), {})
