"""A switch with its web system on 127.0.0.1 (OS-chosen ports), wired to a real HOUP over HTTPS
the way smartupgrade-sim wires it, in the test's event loop; an HTTPS client that pins the
switch's own certificate and keeps its cookies.

Users: ``admin`` (level 3, management) and ``operator`` (level 2, configuration), shared by
NETCONF, the command line and the web.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_model.convert import ssl_policy_config
from smartupgrade_model.model import SmartUpgrade, UpgradeStatus
from smartupgrade_server.device.clock import Clock, SimulatedClock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from smartupgrade_server.transport.credentials import SshCredentials
from smartupgrade_server.transport.users import USERS_FILE, User, UserDatabase, hash_password
from smartupgrade_server.web.server import WebServer
from tests.integration.device.conftest import houp, houp_dir

__all__ = ["houp", "houp_dir"]

ADMIN, ADMIN_PASSWORD = "admin", "admin"
OPERATOR, OPERATOR_PASSWORD = "operator", "operator-pass"
POLICY = "houp"
IDENTITY = Identity("S5732-H", "S5732-H24UM2CC", "2102351XFR10P0000001")
FACTORY = FactoryState("V200R020C00", "V200R020SPH")
NEW_SOFTWARE = "V200R024C00"
START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone(timedelta(hours=8)))
REBOOT = timedelta(minutes=5)
JSON = {"Accept": "application/json"}
# what a browser asks for when it loads a page
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_LOGIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class WebClient:
    """A browser-like HTTPS client of one switch's web system."""

    def __init__(self, web: WebServer) -> None:
        self.http = aiohttp.ClientSession(
            base_url=web.url,
            # cookies of an IP address host are kept only when unsafe
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(
                ssl=ssl.create_default_context(cadata=web.certificate.pem)
            ),
        )

    async def login(self, username: str, password: str) -> aiohttp.ClientResponse:
        form = await (await self.http.get("/login")).text()
        match = _LOGIN_CSRF.search(form)
        assert match is not None, form
        data = {"username": username, "password": password, "csrf": match.group(1)}
        return await self.http.post("/login", data=data, allow_redirects=False)

    async def page(self, path: str) -> tuple[int, str]:
        response = await self.http.get(path, headers=HTML, allow_redirects=False)
        return response.status, await response.text()

    async def csrf(self) -> str:
        status, html = await self.page("/")
        match = _CSRF.search(html)
        assert status == 200 and match is not None, html
        return match.group(1)

    async def act(self, path: str, *, csrf: str | None = None) -> tuple[int, dict[str, Any]]:
        """Post an action as the page script does."""
        token = await self.csrf() if csrf is None else csrf
        response = await self.http.post(path, headers={**JSON, "X-CSRF-Token": token})
        return response.status, await response.json()

    async def state(self) -> dict[str, Any]:
        response = await self.http.get("/api/state", headers=JSON)
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def close(self) -> None:
        await self.http.close()


@dataclass
class Rig:
    houp: HoupServer
    clock: Clock
    switch: EmulatedSwitch
    clients: list[WebClient] = field(default_factory=list)

    @property
    def web(self) -> WebServer:
        assert self.switch.web is not None
        return self.switch.web

    def client(self) -> WebClient:
        client = WebClient(self.web)
        self.clients.append(client)
        return client

    async def netconf(
        self, username: str = ADMIN, password: str = ADMIN_PASSWORD
    ) -> AsyncSmartUpgradeClient:
        return await AsyncSmartUpgradeClient.connect(
            "127.0.0.1",
            self.switch.port,
            username=username,
            password=password,
            hostkey_verify=False,
        )

    def status(self) -> UpgradeStatus | None:
        return self.switch.device.state().upgrade_information.upgrade_status


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture(scope="session")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> SshCredentials:
    """Users and host keys made once (scrypt and RSA keys take a while)."""
    directory = tmp_path_factory.mktemp("web-credentials")
    UserDatabase(
        [
            User(ADMIN, hash_password(ADMIN_PASSWORD), (), 3),
            User(OPERATOR, hash_password(OPERATOR_PASSWORD), (), 2),
        ],
        directory / USERS_FILE,
    ).save()
    return SshCredentials.load_or_create(directory)


@pytest.fixture
async def make_rig(
    houp: HoupServer, credentials: SshCredentials, tmp_path: Path
) -> AsyncIterator[RigFactory]:
    rigs: list[Rig] = []

    async def make(
        clock: Clock | None = None,
        *,
        cli: bool = False,
        identity: Identity = IDENTITY,
        factory: FactoryState = FACTORY,
    ) -> Rig:
        clock = clock or SimulatedClock(START)
        default = SmartUpgrade()
        switch = await EmulatedSwitch.start(
            tmp_path / f"switch-{len(rigs)}",
            identity=identity,
            factory=factory,
            houp_public_key=houp.signing_public_key,
            clock=clock,
            factory_config=ssl_policy_config(POLICY, (houp.ca_cert_pem,)),
            credentials=credentials,
            cli_port=0 if cli else None,
            web_port=0,
            hosts={default.url: houp.host},
            port_forwards={default.https_port: houp.port},
            network_timeout=2.0,
            reboot_duration=REBOOT,
        )
        rig = Rig(houp, clock, switch)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        for client in rig.clients:
            await client.close()
        await rig.switch.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    return await make_rig()


async def enable(rig: Rig) -> None:
    """Bind the factory SSL policy and enable smart upgrade, over NETCONF."""
    client = await rig.netconf()
    try:
        await client.set_ssl_policy(POLICY)
        await client.enable()
    finally:
        await client.close()
