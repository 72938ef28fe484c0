"""HOUP emulator: the upgrade server a smart-upgrade switch talks to (see docs/houp.md)."""

from .catalogue import Catalogue, CatalogueError, Offer, Package, UnsupportedModelError
from .doors import DEFAULT_DOOR, HoupDoor
from .faults import ANY_FILE, BreakAfter, Faults, FaultSpecError, Settings
from .openpgp import SignatureVerificationError, verify_detached_signature
from .server import (
    DEFAULT_HOST_NAME,
    LIMIT_HEADER,
    SERVER_SPEC_UP_LIMIT,
    FileInfo,
    HoupServer,
    RequestRecord,
    Stats,
)

__all__ = [
    "ANY_FILE",
    "DEFAULT_DOOR",
    "DEFAULT_HOST_NAME",
    "LIMIT_HEADER",
    "SERVER_SPEC_UP_LIMIT",
    "BreakAfter",
    "Catalogue",
    "CatalogueError",
    "FaultSpecError",
    "Faults",
    "FileInfo",
    "HoupDoor",
    "HoupServer",
    "Offer",
    "Package",
    "RequestRecord",
    "Settings",
    "SignatureVerificationError",
    "Stats",
    "UnsupportedModelError",
    "verify_detached_signature",
]
