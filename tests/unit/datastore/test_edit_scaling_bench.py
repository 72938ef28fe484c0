"""The edit scaling benchmark runs, tiny: every step measured, one row per size."""

import pytest

from tools.bench import edit_scaling


def test_a_tiny_run_prints_a_row_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert edit_scaling.main(["--sizes", "200", "400", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| new entries | edit us/entry (ratio) | diff")
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| 200", "| 400"]
    assert lines[2].count("(1.00)") == 6
