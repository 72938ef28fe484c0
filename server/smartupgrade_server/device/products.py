"""Which switch models support Smart Upgrade and Smart AP Upgrade (the seed's 'Command Support').

The one place that knows the model lists: the device emulator, the datastore (which advertises
the `ap-upgrade` feature per model) and the simulator read them from here.

A model is named by its product family, as in the seed (`S5732-H`); longer product names of the
same family (`S5732-H24UM2CC`) match by prefix, as the HOUP catalogue's globs do.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Final

SERIES: Final = ("S300", "S500", "S2700", "S5700", "S6700")
"""All models of these series support Smart Upgrade, except UNSUPPORTED_MODELS."""

UNSUPPORTED_MODELS: Final = ("S5751-L", "S5731-L", "S5731S-L")

AP_UPGRADE_MODELS: Final = ("S5731-H", "S5731S-H", "S5732-H", "S6730-H", "S6730S-H")
"""Only these models support Smart AP Upgrade ('smart-upgrade ap enable')."""

_DIGITS = re.compile(r"S(\d+)")
# Package names start with the product they are built for: `S5732-H-V200R024C00.cc`,
# `S2700-V200R023C00.cc`, `AirEngineX760_V200R024C00.bin`.
_PACKAGE_PRODUCT = re.compile(r"(.+?)[-_]V\d")


def series_of(model: str) -> str | None:
    """The series a model belongs to (`S5732-H` -> `S5700`), or None for another product."""
    match = _DIGITS.match(model)
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3 and digits[0] in "35":
        return f"S{digits[0]}00"
    if len(digits) == 4 and digits[:2] in ("27", "57", "67"):
        return f"S{digits[:2]}00"
    return None


def _is_family(model: str, family: str) -> bool:
    # `S5732-H24UM2CC` is an S5732-H; `S5731-HX` would be another family.
    return model.startswith(family) and not model[len(family) : len(family) + 1].isalpha()


def supports_smart_upgrade(model: str) -> bool:
    return series_of(model) is not None and not any(
        _is_family(model, family) for family in UNSUPPORTED_MODELS
    )


def supports_ap_upgrade(model: str) -> bool:
    return any(_is_family(model, family) for family in AP_UPGRADE_MODELS)


def package_fits(product: str, package_name: str) -> bool:
    """Whether a package named for its product is built for `product` (a switch model or an AP
    device type): the name's product part is the model's family or series, or, for APs, an
    `X` in it stands for any digit (`AirEngineX760` fits `AirEngine 8760-X1-PRO`)."""
    match = _PACKAGE_PRODUCT.match(package_name)
    if match is None:
        return False
    named = match.group(1)
    if named == series_of(product) or _is_family(product, named):
        return True
    compact = product.replace(" ", "")
    return fnmatch.fnmatchcase(compact, named.replace("X", "[0-9]") + "*")
