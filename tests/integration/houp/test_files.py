"""GET/HEAD /files/<name> with single byte ranges, over real HTTPS."""

from __future__ import annotations

import aiohttp

from smartupgrade_server.houp import content
from smartupgrade_server.houp.server import HoupServer
from tests.integration.houp.conftest import url
from tests.support.houp import PATCH, PATCH_SIZE, SOFTWARE, SOFTWARE_SIZE


async def test_whole_file_is_deterministic_and_computable_at_any_offset(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
        assert resp.status == 200
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert resp.content_length == SOFTWARE_SIZE
        first = await resp.read()
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
        second = await resp.read()
    assert first == second
    assert len(first) == SOFTWARE_SIZE
    assert content.read(SOFTWARE, 12345, 23456) == first[12345:23456]
    assert content.read(PATCH, 0, 100) != first[:100]


async def test_range_returns_206_with_content_range(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    whole = content.read(SOFTWARE, 0, SOFTWARE_SIZE)
    cases = {
        "bytes=1000-1999": (1000, 2000),
        "bytes=299990-": (299990, SOFTWARE_SIZE),
        "bytes=-10": (SOFTWARE_SIZE - 10, SOFTWARE_SIZE),
        "bytes=299000-999999": (299000, SOFTWARE_SIZE),
        f"bytes=299000-{'9' * 5000}": (299000, SOFTWARE_SIZE),
        f"bytes=-{'9' * 5000}": (0, SOFTWARE_SIZE),
        f"bytes={'0' * 5000}1-2": (1, 3),
    }
    for header, (start, end) in cases.items():
        async with client.get(url(houp, f"/files/{SOFTWARE}"), headers={"Range": header}) as resp:
            assert resp.status == 206, header
            assert resp.headers["Content-Range"] == f"bytes {start}-{end - 1}/{SOFTWARE_SIZE}"
            assert await resp.read() == whole[start:end]


async def test_unsatisfiable_or_malformed_range_is_416(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    for header in (
        f"bytes={SOFTWARE_SIZE}-",
        "bytes=20-10",
        "bytes=0-1,5-9",
        "items=0-1",
        "bytes=-0",
        "bytes=\u0661-",  # a digit to Python, not to HTTP
        f"bytes={'9' * 5000}-",  # beyond what int() reads: still just past the end
        f"bytes=1{'0' * 4400}-2{'0' * 3000}",  # (aiohttp refuses header lines over 8190 bytes)
    ):
        async with client.get(url(houp, f"/files/{SOFTWARE}"), headers={"Range": header}) as resp:
            assert resp.status == 416, header
            assert resp.headers["Content-Range"] == f"bytes */{SOFTWARE_SIZE}"


async def test_head_announces_size_and_sends_no_body(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.head(url(houp, f"/files/{PATCH}")) as resp:
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) == PATCH_SIZE
        etag = resp.headers["ETag"]
    async with client.head(url(houp, f"/files/{PATCH}"), headers={"Range": "bytes=10-"}) as resp:
        assert resp.status == 206
        assert resp.headers["ETag"] == etag
    assert houp.stats.bytes_sent[PATCH] == 0


async def test_resume_transfers_only_the_missing_bytes(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
        etag = resp.headers["ETag"]
        head = await resp.content.readexactly(100000)
    # The client dropped the rest; what the server counted is what it wrote, not what was read.
    houp.stats.reset()
    headers = {"Range": "bytes=100000-", "If-Range": etag}
    async with client.get(url(houp, f"/files/{SOFTWARE}"), headers=headers) as resp:
        assert resp.status == 206
        tail = await resp.read()
    assert head + tail == content.read(SOFTWARE, 0, SOFTWARE_SIZE)
    assert houp.stats.bytes_sent[SOFTWARE] == SOFTWARE_SIZE - 100000
    assert [(r.method, r.range, r.status, r.bytes_sent) for r in houp.stats.requests] == [
        ("GET", "bytes=100000-", 206, SOFTWARE_SIZE - 100000)
    ]


async def test_stale_if_range_sends_the_whole_file(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    headers = {"Range": "bytes=100-", "If-Range": '"not-the-current-etag"'}
    async with client.get(url(houp, f"/files/{PATCH}"), headers=headers) as resp:
        assert resp.status == 200
        assert len(await resp.read()) == PATCH_SIZE


async def test_unknown_file_is_404(houp: HoupServer, client: aiohttp.ClientSession) -> None:
    for name in ("nothing.cc", "nothing.cc.asc"):
        async with client.get(url(houp, f"/files/{name}")) as resp:
            assert resp.status == 404


async def test_server_name_and_sni_of_the_configured_host_verify(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.head(
        url(houp, f"/files/{PATCH}"), server_hostname="s.houp.huawei.com"
    ) as resp:
        assert resp.status == 200
