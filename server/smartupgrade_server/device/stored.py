"""What the switch keeps across a restart (saved by `persist.py` as `state.json`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartupgrade_model.model import (
    ScheduleInformation,
    UpgradeInformation,
    VersionInformation,
)


@dataclass(frozen=True)
class StartupFile:
    """A verified file set as next startup; `sha256` binds it to what was verified."""

    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class StoredState:
    software: str
    patch: str | None = None
    ap_software: str | None = None
    next_software: StartupFile | None = None
    next_patch: StartupFile | None = None
    next_ap: StartupFile | None = None
    version: VersionInformation = field(default_factory=VersionInformation)
    upgrade: UpgradeInformation = field(default_factory=UpgradeInformation)
    schedule: ScheduleInformation = field(default_factory=ScheduleInformation)
    ap_version: VersionInformation = field(default_factory=VersionInformation)
    """The AP's last version check (`version` is the switch's)."""
    ap_upgrade: UpgradeInformation = field(default_factory=UpgradeInformation)
    """The AP's current or last upgrade (`upgrade` is the switch's)."""
    operation_counter: int = 0
    upgrade_reboot: bool = False
    """The switch went down to complete an upgrade (not a reset during one)."""
