"""A reverse proxy in front of the HOUP, as `smart-upgrade url` points a switch at one: HTTPS on
127.0.0.1 with the HOUP's own server certificate, serving the HOUP under a path prefix."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

# what crosses the proxy each way (the rest is hop-by-hop or the proxy's own)
_REQUEST_HEADERS = ("Content-Type", "Range", "If-Range", "Host")
_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Range",
    "Accept-Ranges",
    "ETag",
    "Retry-After",
    "X-HOUP-Error",
)


@dataclass
class ReverseProxy:
    """``https://127.0.0.1:port/prefix/...`` forwarded to ``https://127.0.0.1:houp_port/...``."""

    port: int
    prefix: str
    requests: list[str]
    _runner: web.AppRunner
    _session: aiohttp.ClientSession

    @classmethod
    async def start(cls, pki: Path, houp_port: int, prefix: str) -> ReverseProxy:
        """``pki``: the HOUP's pki directory, whose server certificate the proxy presents."""
        served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        served.load_cert_chain(pki / "server.pem", pki / "server.key")
        upstream = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=upstream))
        requests: list[str] = []

        async def forward(request: web.Request) -> web.StreamResponse:
            requests.append(request.path)
            if not request.path.startswith(prefix + "/"):
                return web.Response(status=404, text="not under the proxy's prefix")
            headers = {k: request.headers[k] for k in _REQUEST_HEADERS if k in request.headers}
            async with session.request(
                request.method,
                f"https://127.0.0.1:{houp_port}{request.path.removeprefix(prefix)}",
                headers=headers,
                data=await request.read(),
            ) as answer:
                response = web.StreamResponse(
                    status=answer.status,
                    headers={
                        k: answer.headers[k] for k in _RESPONSE_HEADERS if k in answer.headers
                    },
                )
                if answer.content_length is not None:
                    response.content_length = answer.content_length
                await response.prepare(request)
                async for chunk in answer.content.iter_chunked(64 * 1024):
                    await response.write(chunk)
                await response.write_eof()
                return response

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=served)
        await site.start()
        port = runner.addresses[0][1]
        return cls(port, prefix, requests, runner, session)

    async def close(self) -> None:
        await self._runner.cleanup()
        await self._session.close()
