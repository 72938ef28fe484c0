"""The examples of the pages below run as written, in order, each block on its own
(tests/support/docs.py), in one working directory per page holding the page's files; a page
that needs a switch gets a ``smartupgrade-sim`` of its own, started as the README starts it,
whose default ports in the examples (NETCONF 8830, command line 8022, web 8443, HOUP faults
9080, metrics 9464) are replaced by the ones it got, and whose data directory is the default one
of the examples' home (``~/.local/share/smartupgrade-sim``). A page that needs a fleet gets
``smartupgrade-sim fleet fleet-file.yaml --inventory-out fleet.yaml`` on the fleet file it
writes, started as it says, every port the OS's choice: the examples' HOUP admin (9080) and
fleet admin (9081) ports are replaced by the ones it got. docs/sdk.md has its own test
(tests/integration/client/test_docs_examples.py); the blocks a page marks ``not run`` name the
test that covers them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from smartupgrade_server.sim.command import (
    DEFAULT_CLI_PORT,
    DEFAULT_HOUP_ADMIN_PORT,
    DEFAULT_METRICS_PORT,
    DEFAULT_NETCONF_PORT,
    DEFAULT_WEB_PORT,
)
from tests.support.docs import (
    REPO_ROOT,
    Block,
    blocks,
    files,
    replaced,
    run_block,
    working_directory,
)
from tests.support.houp import SMALL_CATALOGUE_FILE
from tests.support.sim import FLEET_ANY_PORTS, running_fleet, running_sim
from tests.support.transport import free_port


class Needs(Enum):
    """What a page's examples run against."""

    NOTHING = "nothing"
    SWITCH = "switch"
    FLEET = "fleet"


# page -> what its examples run against
PAGES = {
    "README.md": Needs.SWITCH,
    "docs/server.md": Needs.SWITCH,
    "docs/interop.md": Needs.SWITCH,
    "docs/web.md": Needs.SWITCH,
    "docs/cli-vrp.md": Needs.SWITCH,
    "docs/cli.md": Needs.SWITCH,
    "docs/ansible.md": Needs.SWITCH,
    "docs/pytest.md": Needs.NOTHING,
    "docs/fleet.md": Needs.FLEET,
    "docs/container.md": Needs.NOTHING,
    "docs/architecture.md": Needs.NOTHING,
    "docs/testing.md": Needs.NOTHING,
    "docs/houp.md": Needs.NOTHING,
    "docs/device.md": Needs.NOTHING,
    "docs/yang.md": Needs.NOTHING,
}
EXAMPLES = [
    pytest.param(page, block, id=f"{page}:{block.line}")
    for page in PAGES
    for block in blocks(REPO_ROOT / page)
]
# the ports the examples write, smartupgrade-sim's defaults, and the flags that move them
_PORT_FLAGS = {
    str(DEFAULT_CLI_PORT): "--cli-port",
    str(DEFAULT_WEB_PORT): "--web-port",
    str(DEFAULT_HOUP_ADMIN_PORT): "--houp-admin-port",
    str(DEFAULT_METRICS_PORT): "--metrics-port",
}


@dataclass
class Page:
    """Where a page's examples run: its directory, its home, and its switch's (or fleet's)
    ports."""

    directory: Path
    home: Path
    replacements: dict[str, str]


class Pages:
    """One page at a time, in the order of the tests: the switch (or fleet) of the page before
    is stopped when the next page starts, so that each page begins on one of its own."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._current: tuple[str, Page] | None = None
        self._stack = ExitStack()

    def get(self, page: str) -> Page:
        if self._current is not None and self._current[0] == page:
            return self._current[1]
        self.close()
        self._stack = ExitStack()
        base = self._root / page.replace("/", "-")
        home = base / "home"
        directory = working_directory(base / "work")
        replacements: dict[str, str] = {}
        data_dir = home / ".local" / "share" / "smartupgrade-sim"
        data_dir.parent.mkdir(parents=True)
        if PAGES[page] is Needs.SWITCH:
            ports = {old: free_port() for old in _PORT_FLAGS}
            sim = self._stack.enter_context(
                running_sim(
                    data_dir,
                    "S5732-H",
                    "--reboot-seconds=1",
                    # small images: the examples upgrade the switch twice
                    f"--catalogue={SMALL_CATALOGUE_FILE}",
                    *(f"{_PORT_FLAGS[old]}={port}" for old, port in ports.items()),
                )
            )
            replacements = {str(DEFAULT_NETCONF_PORT): str(sim.server.port)}
            replacements.update({old: str(port) for old, port in ports.items()})
        for name, text in files(REPO_ROOT / page).items():
            (directory / name).write_text(replaced(text, replacements), encoding="utf-8")
        if PAGES[page] is Needs.FLEET:
            data_dir.mkdir()
            replacements = self._start_fleet(directory, data_dir / "fleet")
        self._current = (page, Page(directory, home, replacements))
        return self._current[1]

    def _start_fleet(self, directory: Path, data_dir: Path) -> dict[str, str]:
        """The page's fleet, as its page starts it (in one worker: a few switches), and the
        replacements of the examples' admin ports by its own."""
        fleet = self._stack.enter_context(
            running_fleet(
                data_dir,
                str(directory / "fleet-file.yaml"),
                f"--inventory-out={directory / 'fleet.yaml'}",
                "--workers=1",
                *FLEET_ANY_PORTS,
            )
        )
        return {
            old: str(urlsplit(url).port)
            for old, url in (
                (str(DEFAULT_HOUP_ADMIN_PORT), fleet.houp_admin_url),
                ("9081", fleet.admin_url),
            )
        }

    def close(self) -> None:
        self._stack.close()
        self._current = None


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    started = Pages(tmp_path_factory.mktemp("docs"))
    yield started
    started.close()


def test_every_page_with_examples_is_run_here() -> None:
    """A page with a python or sh block is listed above, or has a test of its own."""
    own_test = {"docs/sdk.md"}
    with_examples = {
        str(page.relative_to(REPO_ROOT))
        for page in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
        if blocks(page)
    }
    assert with_examples - own_test == set(PAGES)


def test_every_not_run_block_names_its_test() -> None:
    for page in PAGES:
        for block in blocks(REPO_ROOT / page):
            if block.not_run is not None:
                assert "tests/" in block.not_run, (page, block.line, block.not_run)


@pytest.mark.parametrize(("page", "block"), EXAMPLES)
def test_example_runs(page: str, block: Block, pages: Pages) -> None:
    if block.not_run is not None:
        pytest.skip(block.not_run)
    where = pages.get(page)
    run_block(
        block,
        where.directory,
        where.replacements,
        REPO_ROOT / page,
        # the examples' home: the sim's default data directory is there
        {"HOME": str(where.home), "XDG_DATA_HOME": str(where.home / ".local" / "share")},
    )
