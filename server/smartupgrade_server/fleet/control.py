"""What the admin API, the banner and the inventories ask of a fleet, whether its switches run
in this process (:class:`~smartupgrade_server.fleet.fleet.LocalSwitches`) or in worker processes
(:class:`~smartupgrade_server.fleet.workers.WorkerPool`): every switch as the admin API's JSON,
actions on one switch or all of them, the metrics and the health."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from smartupgrade_server.fleet.inventory import Login
from smartupgrade_server.fleet.member import SwitchState
from smartupgrade_server.fleet.spec import FleetSpec


class SwitchUnavailableError(RuntimeError):
    """The process that runs a switch is not running: a worker that died, starting again."""


class SwitchAction(StrEnum):
    START = "start"
    STOP = "stop"
    RESET = "reset"
    CRASH = "crash"


# what the admin API does to every switch at once; a crash is injected one switch at a time
FLEET_ACTIONS = (SwitchAction.START, SwitchAction.STOP, SwitchAction.RESET)


class FleetControl(Protocol):
    @property
    def spec(self) -> FleetSpec: ...

    async def switches(self) -> list[dict[str, Any]]:
        """Every switch, in fleet order, as ``GET /switches`` shows it (docs/fleet.md)."""
        ...

    async def switch(self, name: str) -> dict[str, Any] | None:
        """One switch; None when the fleet has no switch of that name."""
        ...

    async def act(self, name: str, action: SwitchAction) -> dict[str, Any] | None:
        """Do ``action`` to one switch and show it; None when there is no such switch."""
        ...

    async def act_on_all(self, action: SwitchAction) -> None: ...

    async def login(self) -> Login: ...

    def workers_json(self) -> list[dict[str, Any]]:
        """The processes that run the switches, as ``GET /workers`` shows them."""
        ...

    async def exposition(self) -> bytes:
        """The fleet's metrics, its HOUP's included, as ``GET /metrics`` serves them."""
        ...


def fleet_health(switches: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``GET /health``: ok while a switch serves, starts or reboots; a fleet of stopped or
    failed switches is down."""
    states = Counter(str(switch["state"]) for switch in switches)
    alive = {SwitchState.RUNNING, SwitchState.STARTING, SwitchState.REBOOTING}
    status = "ok" if any(SwitchState(state) in alive for state in states) else "down"
    return {"status": status, "switches": dict(sorted(states.items()))}
