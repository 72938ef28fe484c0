"""Fixtures: a HOUP emulator on 127.0.0.1 (ports chosen by the OS) and an HTTPS client that
trusts its CA, as the switch does through its SSL policy."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.doors import HoupDoor
from smartupgrade_server.houp.server import HoupServer

# Small files keep the suite fast; the default catalogue (120 MB images) is used where size matters.
SMALL_CATALOGUE_FILE = Path(__file__).with_name("small-catalogue.yaml")
SMALL_CATALOGUE = SMALL_CATALOGUE_FILE.read_text()
SOFTWARE = "S5732-H-V200R024C00.cc"
SOFTWARE_SIZE = 300000
PATCH = "S5732-H-V200R020SPH001.pat"
PATCH_SIZE = 14910
NEEDS_UPDATE = {
    "model": "S5732-H",
    "esn": "2102351XFR1000000001",
    "software": "V200R020C00",
    "patch": "V200R020SPH",
}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by all tests so keys, certificates and signatures are made once."""
    return tmp_path_factory.mktemp("houp-data")


@pytest.fixture
async def houp(data_dir: Path) -> AsyncIterator[HoupServer]:
    server = await HoupServer.start(data_dir, catalogue=Catalogue.parse(SMALL_CATALOGUE))
    try:
        yield server
    finally:
        await server.close()


def trusting_context(server: HoupServer) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=server.ca_cert_pem)


@pytest.fixture
async def client(houp: HoupServer) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=trusting_context(houp))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


@pytest.fixture
async def admin() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def url(server: HoupServer | HoupDoor, path: str) -> str:
    """`path` through a door, or through the server's default door."""
    return f"https://127.0.0.1:{server.port}{path}"


def admin_url(server: HoupServer, path: str) -> str:
    return f"http://127.0.0.1:{server.admin_port}{path}"
