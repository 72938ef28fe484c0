"""Shared test fixtures."""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = REPO_ROOT.parent / "shared" / "seed" / "smart-upgrade-commands.txt"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
