"""Shared test fixtures."""

from pathlib import Path

import pytest

from smartupgrade_server.transport.credentials import SshCredentials

# pytester: tests of the pytest plugin (tests/integration/test_pytest_plugin.py)
pytest_plugins = ["pytester"]
REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = REPO_ROOT.parent / "shared" / "seed" / "smart-upgrade-commands.txt"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def host_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The factory users and host keys, made once; tests/credentials.py copies them into a
    switch's data directory."""
    directory = tmp_path_factory.mktemp("host-keys")
    SshCredentials.load_or_create(directory)
    return directory
