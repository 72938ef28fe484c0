"""The HOUP of the small catalogue (tests/conftest.py) and its clients: an HTTPS client that
trusts its CA, as the switch does through its SSL policy, and one of its admin port."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from smartupgrade_server.houp.doors import HoupDoor
from smartupgrade_server.houp.server import HoupServer

NEEDS_UPDATE = {
    "model": "S5732-H",
    "esn": "2102351XFR1000000001",
    "software": "V200R020C00",
    "patch": "V200R020SPH",
}


@pytest.fixture(scope="session")
def data_dir(houp_dir: Path) -> Path:
    """The HOUPs' data (keys, certificates, signatures), shared by every test."""
    return houp_dir


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
