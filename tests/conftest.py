"""What every directory's tests share: the session's users and host keys, the HOUP's keys, and a
HOUP on the test's event loop. The rigs themselves are in tests/support (docs/testing.md); a
directory's conftest chooses among them."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartupgrade_server.houp.server import HoupServer
from tests.support.houp import running_houp
from tests.support.sim import free_addresses
from tests.support.switch import Switches
from tests.support.users import Credentials

# pytester: tests of the pytest plugin (tests/integration/test_pytest_plugin.py)
pytest_plugins = ["pytester"]
REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = REPO_ROOT.parent / "shared" / "seed" / "smart-upgrade-commands.txt"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    """Users files and host keys, made once per session and set of accounts."""
    return Credentials(tmp_path_factory.mktemp("credentials"))


@pytest.fixture(scope="session")
def host_keys(credentials: Credentials) -> Path:
    """The factory user (``admin``/``admin``) and the host keys, to copy into a data
    directory."""
    return credentials.of()


@pytest.fixture(scope="session")
def houp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HOUPs' data: keys, certificates and signatures made once per session."""
    return tmp_path_factory.mktemp("houp-data")


@pytest.fixture
async def houp(houp_dir: Path) -> AsyncIterator[HoupServer]:
    """A HOUP of the small catalogue (tests/support/small-catalogue.yaml), on the test's loop."""
    async with running_houp(houp_dir) as server:
        yield server


@pytest.fixture
async def switches(
    houp: HoupServer, credentials: Credentials, tmp_path: Path
) -> AsyncIterator[Switches]:
    """Switch rigs on the test's loop, wired to ``houp`` (tests/support/switch.py)."""
    async with Switches(tmp_path, credentials, houp) as started:
        yield started


@pytest.fixture
async def switches_without_houp(
    credentials: Credentials, tmp_path: Path
) -> AsyncIterator[Switches]:
    """Switch rigs on the test's loop reaching no HOUP: their factory configuration is NACM's
    alone."""
    async with Switches(tmp_path, credentials, None) as started:
        yield started


@pytest.fixture
def addresses() -> str:
    """A free /24 of the loopback, for a fleet at addresses of its own (``--addresses``)."""
    return free_addresses()
