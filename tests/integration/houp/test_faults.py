"""Every fault, as the switch (an HTTPS client) observes it."""

from __future__ import annotations

import asyncio
import hashlib
import ssl

import aiohttp
import pytest

from smartupgrade_server.houp import content
from smartupgrade_server.houp.faults import BreakAfter
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.houp_api.signatures import (
    SignatureVerificationError,
    verify_detached_signature,
)
from smartupgrade_server.houp_api.wire import LIMIT_HEADER, SERVER_SPEC_UP_LIMIT
from tests.integration.houp.conftest import NEEDS_UPDATE, trusting_context, url
from tests.support.houp import PATCH, SOFTWARE, SOFTWARE_SIZE


async def _check(
    client: aiohttp.ClientSession, server: HoupServer, **changes: object
) -> dict[str, object]:
    async with client.post(
        url(server, "/api/v1/version-check"), json={**NEEDS_UPDATE, **changes}
    ) as resp:
        assert resp.status == 200
        body: dict[str, object] = await resp.json()
        return body


async def test_break_after_n_bytes_then_resume_sends_only_the_rest(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.break_after = BreakAfter(bytes=70000, file=SOFTWARE, times=1)
    received = bytearray()
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
        assert resp.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            async for chunk in resp.content.iter_any():
                received += chunk
    assert len(received) == 70000
    assert houp.faults.break_after is None  # times=1: the fault used itself up

    async with client.get(
        url(houp, f"/files/{SOFTWARE}"), headers={"Range": f"bytes={len(received)}-"}
    ) as resp:
        received += await resp.read()
    assert bytes(received) == content.read(SOFTWARE, 0, SOFTWARE_SIZE)
    assert houp.stats.bytes_sent[SOFTWARE] == SOFTWARE_SIZE


async def test_break_applies_only_to_the_named_file(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.break_after = BreakAfter(bytes=10, file=SOFTWARE)
    async with client.get(url(houp, f"/files/{PATCH}")) as resp:
        assert len(await resp.read()) == resp.content_length
    async with client.get(url(houp, f"/files/{SOFTWARE}.asc")) as resp:
        await resp.read()
    for _ in range(2):  # times=None: every download of the file breaks
        async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()


async def test_connection_limit_gives_503_server_spec_up_limit(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.settings.max_connections = 0
    async with client.post(url(houp, "/api/v1/version-check"), json=NEEDS_UPDATE) as resp:
        assert resp.status == 503
        assert resp.headers[LIMIT_HEADER] == SERVER_SPEC_UP_LIMIT
        assert (await resp.json())["error"] == SERVER_SPEC_UP_LIMIT


async def test_connection_limit_counts_downloads_in_progress(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.settings.max_connections = 1
    houp.settings.bandwidth_limit = 1000  # the first download stays in flight
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as first:
        assert first.status == 200
        await first.content.readexactly(10)
        async with client.get(url(houp, f"/files/{PATCH}")) as second:
            assert second.status == 503
            assert second.headers[LIMIT_HEADER] == SERVER_SPEC_UP_LIMIT
        # Lifting the bandwidth limit at run time lets the first download finish.
        houp.settings.bandwidth_limit = None
        rest = await first.read()
    assert len(rest) == SOFTWARE_SIZE - 10


async def test_expired_certificate_is_rejected_by_a_verifying_client(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.expired_certificate = True
    # A fresh session: a pooled connection would keep the handshake it already made.
    connector = aiohttp.TCPConnector(ssl=trusting_context(houp))
    async with aiohttp.ClientSession(connector=connector) as fresh:
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as caught:
            await fresh.head(url(houp, f"/files/{PATCH}"))
    error = caught.value.certificate_error
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert error.verify_code == 10  # X509_V_ERR_CERT_HAS_EXPIRED

    # What `verify-server disable` does: the expired certificate is accepted.
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as lax,
        lax.head(url(houp, f"/files/{PATCH}")) as resp,
    ):
        assert resp.status == 200

    houp.faults.clear()
    connector = aiohttp.TCPConnector(ssl=trusting_context(houp))
    async with (
        aiohttp.ClientSession(connector=connector) as fresh,
        fresh.head(url(houp, f"/files/{PATCH}")) as resp,
    ):
        assert resp.status == 200


async def test_corrupted_content_fails_digest_and_signature(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    announced = await _check(client, houp)
    houp.faults.corrupt_content = {PATCH}
    async with client.get(url(houp, f"/files/{PATCH}")) as resp:
        data = await resp.read()
    async with client.get(url(houp, f"/files/{PATCH}.asc")) as resp:
        signature = await resp.text()
    patch = announced["patch_package"]
    assert isinstance(patch, dict)
    assert len(data) == patch["size"]
    assert hashlib.sha256(data).hexdigest() != patch["sha256"]
    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(data, signature, houp.signing_public_key)
    # A range request sees the same corrupted byte.
    middle = patch["size"] // 2
    async with client.get(
        url(houp, f"/files/{PATCH}"), headers={"Range": f"bytes={middle}-{middle}"}
    ) as resp:
        assert await resp.read() == data[middle : middle + 1]


async def test_corrupted_signature_fails_verification(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.corrupt_signature = {"*"}
    async with client.get(url(houp, f"/files/{PATCH}")) as resp:
        data = await resp.read()
    async with client.get(url(houp, f"/files/{PATCH}.asc")) as resp:
        signature = await resp.text()
    assert signature.startswith("-----BEGIN PGP SIGNATURE-----")
    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(data, signature, houp.signing_public_key)


async def test_file_of_another_model_is_offered_and_served(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.offer_other_model = "S5735-L"
    body = await _check(client, houp)
    software, patch = body["software_package"], body["patch_package"]
    assert isinstance(software, dict) and isinstance(patch, dict)
    assert software["name"] == "S5735-L-V200R024C00.cc"
    assert patch["name"] == "S5735-L-V200R020SPH001.pat"
    async with client.get(str(software["url"])) as resp:
        data = await resp.read()
    async with client.get(str(software["signature_url"])) as resp:
        signature = await resp.text()
    # Correctly signed: only the name tells the switch that it is not its file.
    verify_detached_signature(data, signature, houp.signing_public_key)
    assert hashlib.sha256(data).hexdigest() == software["sha256"]


async def test_older_version_is_offered(houp: HoupServer, client: aiohttp.ClientSession) -> None:
    houp.faults.offer_older_version = "V200R019C10"
    for current in ("V200R020C00", "V200R024C00"):  # also to a switch whose version is optimal
        body = await _check(client, houp, software=current)
        assert body["result"] == "needUpdate"
        assert body["software_version"] == "V200R019C10"
        assert body["patch_version"] is None
        software = body["software_package"]
        assert isinstance(software, dict)
        assert software["name"] == "S5732-H-V200R019C10.cc"
        async with client.head(str(software["url"])) as resp:
            assert resp.status == 200


async def test_endless_data_runs_past_the_announced_size(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.endless_data = {SOFTWARE}
    async with client.get(url(houp, f"/files/{SOFTWARE}")) as resp:
        assert resp.status == 200
        assert resp.content_length is None
        data = await resp.content.readexactly(SOFTWARE_SIZE + 100000)
    assert data[:SOFTWARE_SIZE] == content.read(SOFTWARE, 0, SOFTWARE_SIZE)
    async with client.get(
        url(houp, f"/files/{SOFTWARE}"), headers={"Range": "bytes=290000-"}
    ) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 290000-{SOFTWARE_SIZE - 1}/{SOFTWARE_SIZE}"
        assert len(await resp.content.readexactly(20000)) == 20000


async def test_delay_holds_the_response(houp: HoupServer, client: aiohttp.ClientSession) -> None:
    houp.faults.delay = 3600
    with pytest.raises(asyncio.TimeoutError):
        async with client.post(
            url(houp, "/api/v1/version-check"),
            json=NEEDS_UPDATE,
            timeout=aiohttp.ClientTimeout(total=0.2),
        ):
            pass
    houp.faults.delay = 0
    assert (await _check(client, houp))["result"] == "needUpdate"


async def test_unreachable_refuses_connections_until_cleared(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    port = houp.port
    await houp.set_unreachable(True)
    with pytest.raises(aiohttp.ClientConnectorError):
        await client.head(url(houp, f"/files/{PATCH}"))
    await houp.clear_faults()
    assert houp.port == port
    async with client.head(url(houp, f"/files/{PATCH}")) as resp:
        assert resp.status == 200
