"""docs/testing.md quotes conftests and test fixtures to show how a test picks a rig: each quote
stands, as written, in the tests, so that the page cannot describe a rig that has changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.docs import REPO_ROOT, Block, blocks

PAGE = REPO_ROOT / "docs" / "testing.md"
QUOTES = [block for block in blocks(PAGE) if block.language == "python"]
SOURCES = {path: path.read_text() for path in sorted((REPO_ROOT / "tests").rglob("*.py"))}


def test_the_page_quotes_the_tests() -> None:
    assert len(QUOTES) >= 3


@pytest.mark.parametrize("quote", QUOTES, ids=lambda block: block.id)
def test_the_quote_stands_in_the_tests(quote: Block) -> None:
    quoting: list[Path] = [path for path, text in SOURCES.items() if quote.code in text]
    assert quoting, f"docs/testing.md line {quote.line}: no test file holds\n{quote.code}"
