"""The switch emulator (docs/device.md): a Smart Upgrade state machine on an injected clock,
with a flash and an HTTPS client of the HOUP."""

from smartupgrade_model.model import ScheduleStep

from .clock import Clock, ScaledClock, SimulatedClock, TimerHandle, WallClock
from .events import (
    Booted,
    DownloadProgress,
    Event,
    Line,
    Observer,
    Rebooting,
    ScheduleEvent,
    UpgradeStatusChanged,
    VersionChecked,
)
from .flash import Flash, FlashFullError
from .messages import Level, Message
from .switch import (
    CHECK_INTERVAL,
    ConfigRejectedError,
    FactoryState,
    Identity,
    Operation,
    OperationRefusedError,
    Switch,
)

__all__ = [
    "CHECK_INTERVAL",
    "Booted",
    "Clock",
    "ConfigRejectedError",
    "DownloadProgress",
    "Event",
    "FactoryState",
    "Flash",
    "FlashFullError",
    "Identity",
    "Level",
    "Line",
    "Message",
    "Observer",
    "Operation",
    "OperationRefusedError",
    "Rebooting",
    "ScaledClock",
    "ScheduleEvent",
    "ScheduleStep",
    "SimulatedClock",
    "Switch",
    "TimerHandle",
    "UpgradeStatusChanged",
    "VersionChecked",
    "WallClock",
]
