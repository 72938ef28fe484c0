"""What a switch is, and what it runs the first time it starts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """What the switch is. `ap_device_type` is the AP it manages, if any (AP-capable models),
    and `ap_esn` that AP's ESN."""

    model: str
    device_name: str
    esn: str
    ap_device_type: str | None = None
    ap_esn: str | None = None

    def __post_init__(self) -> None:
        # the switch sends the AP's ESN with the AP's version check, as its own with its own
        if (self.ap_device_type is None) != (self.ap_esn is None):
            raise ValueError("an AP has both a device type and an ESN")

    @property
    def title(self) -> str:
        """The switch in a few words, the model said once: the device name alone when it
        begins with the model (the default name is the model itself; ``S5732-H24UM2CC`` names
        an S5732-H), else the model, then the name."""
        if self.device_name.startswith(self.model):
            return self.device_name
        return f"{self.model} {self.device_name}"


@dataclass(frozen=True)
class FactoryState:
    """Versions the switch runs the first time it starts (later: what its data dir says)."""

    software: str
    patch: str | None = None
    ap_software: str | None = None
