"""``smartupgrade-sim`` as a process: it starts without third-party warnings, and
``--log-format json`` makes every line of its stderr a JSON object."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.sim import running_sim


def test_a_start_writes_only_json_log_records_and_no_warnings(tmp_path: Path) -> None:
    options = ("--log-format=json", "--log-level=info")
    with running_sim(tmp_path / "data", "S5732-H", *options) as sim:
        session = sim.server.ncclient()
        session.get_config(source="running")
        session.close_session()
    lines = sim.log.read_text().splitlines()
    assert lines
    records = [json.loads(line) for line in lines]
    assert {record["level"] for record in records} <= {"INFO", "WARNING", "DEBUG"}
    assert any(record["logger"].startswith("smartupgrade_server") for record in records)
    assert not [record for record in records if "Warning" in record["message"]]
