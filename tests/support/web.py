"""A browser-like HTTPS client of a switch's web system: it pins the switch's own certificate,
keeps its cookies, and logs in and acts as the pages do (CSRF tokens included)."""

from __future__ import annotations

import re
import ssl
from typing import Any

import aiohttp

from smartupgrade_server.web.server import WebServer

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
