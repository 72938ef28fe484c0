"""Fleet mode: many emulated switches in one process (docs/fleet.md)."""

from smartupgrade_server.fleet.fleet import Fleet
from smartupgrade_server.fleet.member import FleetMember, SwitchState
from smartupgrade_server.fleet.spec import FleetSpec, FleetSpecError, GroupSpec, SwitchSpec

__all__ = [
    "Fleet",
    "FleetMember",
    "FleetSpec",
    "FleetSpecError",
    "GroupSpec",
    "SwitchSpec",
    "SwitchState",
]
