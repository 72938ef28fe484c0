"""The tests' HOUP: one catalogue of small images (``small-catalogue.yaml``), what it offers the
default switch, and an emulated HOUP serving it on 127.0.0.1 (ports chosen by the OS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from smartupgrade_server.houp.catalogue import Catalogue, Package
from smartupgrade_server.houp.server import HoupServer
from tests.support.defaults import AP_DEVICE, FACTORY, MODEL, factory

SMALL_CATALOGUE_FILE = Path(__file__).with_name("small-catalogue.yaml")
SMALL_CATALOGUE = SMALL_CATALOGUE_FILE.read_text("utf-8")

_CATALOGUE = Catalogue.parse(SMALL_CATALOGUE)
_OFFER = _CATALOGUE.lookup(MODEL, FACTORY.software, FACTORY.patch)
assert _OFFER is not None and _OFFER.patch is not None and _OFFER.patch_package is not None
# what the HOUP offers a switch of the defaults (tests/support/defaults.py)
NEW_SOFTWARE: str = _OFFER.software
NEW_PATCH: str = _OFFER.patch
_SOFTWARE_PACKAGE: Package = _OFFER.software_package
_PATCH_PACKAGE: Package = _OFFER.patch_package
SOFTWARE, SOFTWARE_SIZE = _SOFTWARE_PACKAGE.name, _SOFTWARE_PACKAGE.size
PATCH, PATCH_SIZE = _PATCH_PACKAGE.name, _PATCH_PACKAGE.size
_AP_SOFTWARE = factory(ap=True).ap_software
assert _AP_SOFTWARE is not None
_AP_OFFER = _CATALOGUE.lookup(AP_DEVICE, _AP_SOFTWARE, None)
assert _AP_OFFER is not None
# the image the HOUP offers the AP of a switch of the defaults managing one
AP_PACKAGE = _AP_OFFER.software_package.name


@asynccontextmanager
async def running_houp(
    data_dir: Path, catalogue: str = SMALL_CATALOGUE
) -> AsyncIterator[HoupServer]:
    """A HOUP serving ``catalogue`` (YAML) until the block ends. ``data_dir`` keeps its keys,
    certificates and signatures: shared by the tests of a session, they are made once."""
    server = await HoupServer.start(data_dir, catalogue=Catalogue.parse(catalogue))
    try:
        yield server
    finally:
        await server.close()
