"""The example at the top of docs/device.md, run against a real HOUP on the simulated clock."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

from smartupgrade_model.model import UpgradeStatus
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.houp.server import HoupServer

DEVICE_DOC = Path(__file__).resolve().parents[3] / "docs" / "device.md"
FENCE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


async def test_the_example_upgrades_a_switch(
    houp: HoupServer, clock: SimulatedClock, tmp_path: Path
) -> None:
    first = FENCE.search(DEVICE_DOC.read_text("utf-8"))
    assert first is not None
    # the example awaits at its top level: run it as the body of a coroutine
    source = "async def example():\n" + textwrap.indent(first["code"], "    ")
    namespace: dict[str, Any] = {
        "data_dir": tmp_path / "switch",
        "houp": houp,
        "clock": clock,
        "timedelta": timedelta,
        "UpgradeStatus": UpgradeStatus,
    }
    exec(compile(source, str(DEVICE_DOC), "exec"), namespace)
    await namespace["example"]()
