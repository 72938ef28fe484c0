"""The latency benchmark writes only its own section of docs/performance.md."""

from __future__ import annotations

from pathlib import Path

from tools.bench.sdk_latency import BEGIN, END, HEADING, write_section

OTHER = (
    "# Performance\n\n## NETCONF server\n\n<!-- other: begin -->\nnumbers\n<!-- other: end -->\n"
)


def test_a_missing_file_gets_the_section(tmp_path: Path) -> None:
    path = tmp_path / "performance.md"
    write_section(path, "first")
    assert path.read_text() == f"{HEADING}\n\n{BEGIN}\nfirst\n{END}\n"


def test_other_sections_are_kept_and_a_rerun_replaces_only_the_block(tmp_path: Path) -> None:
    path = tmp_path / "performance.md"
    path.write_text(OTHER)
    write_section(path, "first")
    write_section(path, "second")
    text = path.read_text()
    assert text.startswith(OTHER.rstrip())
    assert text.count(HEADING) == 1 and "first" not in text and "second" in text


def test_a_written_heading_keeps_its_place(tmp_path: Path) -> None:
    path = tmp_path / "performance.md"
    path.write_text(f"{HEADING}\n\n## Later\n")
    write_section(path, "body")
    assert path.read_text() == f"{HEADING}\n\n{BEGIN}\nbody\n{END}\n\n## Later\n"
