"""The shipped catalogue serves every model the switch accepts as Smart Upgrade-capable, and
refuses exactly the seed's exceptions: the models are enumerated family by family (every digit
combination of the seed's five series, with the variants product names take), and each answer
is checked the way the switch checks it (its package must be built for the model)."""

from __future__ import annotations

from collections.abc import Iterator

from smartupgrade_server.device.products import (
    AP_UPGRADE_MODELS,
    UNSUPPORTED_MODELS,
    package_fits,
    supports_smart_upgrade,
)
from smartupgrade_server.houp.catalogue import Catalogue, UnsupportedModelError

# a switch of every series on a version before the catalogue's offers
OLD_SOFTWARE = "V200R019C10"
_DIGITS = {
    "S300": [f"3{n:02d}" for n in range(100)],
    "S500": [f"5{n:02d}" for n in range(100)],
    "S2700": [f"27{n:02d}" for n in range(100)],
    "S5700": [f"57{n:02d}" for n in range(100)],
    "S6700": [f"67{n:02d}" for n in range(100)],
}
# S5731S-H, S5735-L, S5732-HI (a family that starts like another), S310 (no class)
_VARIANTS = ("", "S")
_CLASSES = ("", "-H", "-L", "-X", "-E", "-P", "-HI", "-LI")


def models() -> Iterator[str]:
    """Family names of the five series and a product name of each (`S310-24P4X`,
    `S5732-H24UM2CC`), and the seed's own lists."""
    for digits in (d for series in _DIGITS.values() for d in series):
        for variant in _VARIANTS:
            for klass in _CLASSES:
                family = f"S{digits}{variant}{klass}"
                yield family
                yield f"{family}24P4X" if klass else f"{family}-24P4X"
    yield from AP_UPGRADE_MODELS
    yield from UNSUPPORTED_MODELS


def test_every_accepted_model_gets_an_offer_built_for_it() -> None:
    catalogue = Catalogue.default()
    accepted = refused = 0
    for model in models():
        if not supports_smart_upgrade(model):
            try:
                catalogue.family_of(model)
            except UnsupportedModelError:
                refused += 1
                continue
            raise AssertionError(f"{model} has no Smart Upgrade, yet the catalogue serves it")
        offer = catalogue.lookup(model, OLD_SOFTWARE, None)
        assert offer is not None, model
        for package in (offer.software_package, offer.patch_package):
            assert package is None or package_fits(model, package.name), (model, package)
        accepted += 1
    assert accepted > 10_000
    # the seed's three exceptions, each as a family and with a product name
    assert refused >= 6
    assert catalogue.lookup("S310-24P4X", OLD_SOFTWARE, None) is not None
