"""The pytest plugin: emulated switches for a controller's tests (docs/pytest.md).

Installed with the package as the ``pytest11`` entry point ``smartupgrade``; every test of an
environment that has the package can ask for:

- ``smartupgrade_switch``: a switch (S5732-H) with a HOUP of its own, on 127.0.0.1 and free
  ports, stopped after the test (:class:`~smartupgrade_server.testing.running.RunningSwitch`);
  ``@pytest.mark.smartupgrade_switch(model=..., software=..., ...)`` changes it;
- ``smartupgrade_fleet``: three switches in one process sharing a HOUP, with their inventories
  (:class:`~smartupgrade_server.testing.running.RunningFleet`);
  ``@pytest.mark.smartupgrade_fleet(count=..., models=..., groups=...)`` changes it;
- ``smartupgrade_houp``: fault injection into the switch's HOUP
  (:class:`~smartupgrade_server.testing.running.HoupFaults`);
- ``smartupgrade_clock``: a simulated clock; the switch and fleet of a test that asks for it run
  on it, and their time moves only when the test advances it.

The server is imported only when a test asks for a fixture, so that the plugin costs nothing to
a test run that does not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from smartupgrade_server.testing.running import (
        HoupFaults,
        LoopThread,
        RunningFleet,
        RunningSwitch,
        SimClock,
    )

_MARKERS = {
    "smartupgrade_switch": "smartupgrade_switch(model=, software=, patch=, esn=, catalogue=, "
    "flash_capacity=, reboot_seconds=, command_line=): the emulated switch of the test",
    "smartupgrade_fleet": "smartupgrade_fleet(count=, models=, groups=, catalogue=, "
    "reboot_seconds=): the emulated fleet of the test",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, description in _MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


@pytest.fixture(scope="session")
def _smartupgrade_credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from smartupgrade_server.testing.running import make_credentials

    return make_credentials(tmp_path_factory.mktemp("smartupgrade-credentials"))


@pytest.fixture
def _smartupgrade_loop() -> Iterator[LoopThread]:
    from smartupgrade_server.testing.running import LoopThread

    loop = LoopThread()
    yield loop
    loop.stop()


@pytest.fixture
def smartupgrade_clock(_smartupgrade_loop: LoopThread) -> SimClock:
    """The simulated clock of the test's switch and fleet: ``advance(timedelta(minutes=5))``
    (or ``await advance_async(...)`` in an asyncio test) fires what falls due on the way."""
    from smartupgrade_server.testing.running import SimClock

    return SimClock(_smartupgrade_loop)


def _clock_of(request: pytest.FixtureRequest) -> SimClock | None:
    if "smartupgrade_clock" not in request.fixturenames:
        return None
    clock: SimClock = request.getfixturevalue("smartupgrade_clock")
    return clock


@pytest.fixture
def smartupgrade_switch(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _smartupgrade_credentials: Path,
    _smartupgrade_loop: LoopThread,
) -> Iterator[RunningSwitch]:
    """An emulated switch and its HOUP on 127.0.0.1: ``host``, ``port``, ``username``,
    ``password``, ``host_keys``, ``known_hosts``, ``ncclient_args()``, ``connect()`` (the
    SDK), ``houp`` (fault injection)."""
    from smartupgrade_server.testing.running import SwitchOptions, start_switch, stop_switch

    marker = request.node.get_closest_marker("smartupgrade_switch")
    options = SwitchOptions(**(marker.kwargs if marker else {}))
    switch = start_switch(
        _smartupgrade_loop,
        tmp_path_factory.mktemp("smartupgrade-switch"),
        _smartupgrade_credentials,
        options,
        _clock_of(request),
    )
    yield switch
    stop_switch(_smartupgrade_loop, switch)


@pytest.fixture
def smartupgrade_houp(smartupgrade_switch: RunningSwitch) -> HoupFaults:
    """Fault injection into the HOUP of the test's switch: ``set(expired_certificate=True)``,
    ``set(unreachable=True)``, ``clear()``, ``stats()``."""
    return smartupgrade_switch.houp


@pytest.fixture
def smartupgrade_fleet(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _smartupgrade_credentials: Path,
    _smartupgrade_loop: LoopThread,
) -> Iterator[RunningFleet]:
    """Emulated switches in one process sharing one HOUP: ``switches`` (name, port, model,
    ESN), the login, ``inventory``/``ansible_inventory``/``nornir_hosts``, ``admin_url``,
    ``houp`` (fault injection, ``for_door(group)`` for a group's own)."""
    from smartupgrade_server.testing.running import FleetOptions, start_fleet, stop_fleet

    marker = request.node.get_closest_marker("smartupgrade_fleet")
    options = FleetOptions(**(marker.kwargs if marker else {}))
    fleet = start_fleet(
        _smartupgrade_loop,
        tmp_path_factory.mktemp("smartupgrade-fleet") / "fleet",
        _smartupgrade_credentials,
        options,
        _clock_of(request),
    )
    yield fleet
    stop_fleet(_smartupgrade_loop, fleet)
