"""What a switch of the tests is and runs unless a test says otherwise: smartupgrade-sim's own
defaults (sim/options.py), a simulated clock's start, a short reboot and a small flash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.sim.options import (
    DEFAULT_AP_DEVICE_TYPE,
    DEFAULT_AP_SOFTWARE,
    DEFAULT_MODEL,
    DEFAULT_PATCH,
    DEFAULT_SOFTWARE,
    FACTORY_SSL_POLICY,
    ap_esn,
    esn,
)

MODEL = DEFAULT_MODEL
ESN = esn(1)
# the seed's AP example: a switch managing it shows every section of the seed's second display
AP_DEVICE = DEFAULT_AP_DEVICE_TYPE
AP_ESN = ap_esn(1)
# the SSL policy of the factory configuration, trusting the HOUP's CA
POLICY = FACTORY_SSL_POLICY
# a device name per model, as the seed's examples name them
_DEVICE_NAMES = {
    "S5732-H": "S5732-H24UM2CC",
    "S5735-L": "S5735-L24T4S-A",
    "S5731-L": "S5731-L24T4S-A",
}
IDENTITY = Identity(MODEL, _DEVICE_NAMES[MODEL], ESN)
FACTORY = FactoryState(DEFAULT_SOFTWARE, DEFAULT_PATCH)
# where a simulated clock starts: the seed's examples are of that day
START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone(timedelta(hours=8)))
REBOOT = timedelta(minutes=5)
# small, so that a full flash is cheap to reach; the images of the tests' catalogue fit
FLASH_CAPACITY = 16 * 1024 * 1024
# the emulator's 30 s is long for a test waiting on an unreachable HOUP
NETWORK_TIMEOUT = 2.0
# how long a blocking client, or a wait for another process, may take: generous, on a machine
# whose two cores every test shares
CLIENT_TIMEOUT = 60.0


def identity(model: str = MODEL, *, ap: str | None = None, esn: str = ESN) -> Identity:
    """A switch of ``model`` managing the AP ``ap`` (an AP device type, its ESN
    :data:`AP_ESN`), if any."""
    return Identity(model, _DEVICE_NAMES.get(model, model), esn, ap, None if ap is None else AP_ESN)


def factory(*, ap: bool = False) -> FactoryState:
    """The versions of a first start; a switch managing an AP also has the AP's."""
    return FactoryState(FACTORY.software, FACTORY.patch, DEFAULT_AP_SOFTWARE if ap else None)


# a switch managing the seed's AP example runs its versions on its first start
AP_FACTORY = factory(ap=True)
