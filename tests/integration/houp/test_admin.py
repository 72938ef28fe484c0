"""The plain-HTTP admin port: faults, settings, statistics, trust material."""

from __future__ import annotations

import aiohttp

from smartupgrade_server.houp.faults import BreakAfter
from smartupgrade_server.houp.server import HoupServer
from tests.integration.houp.conftest import PATCH, PATCH_SIZE, admin_url, url


async def test_faults_are_set_read_and_cleared(
    houp: HoupServer, client: aiohttp.ClientSession, admin: aiohttp.ClientSession
) -> None:
    change = {
        "break_after": {"bytes": 100, "file": PATCH},
        "expired_certificate": True,
        "corrupt_content": ["*"],
        "corrupt_signature": [PATCH],
        "offer_other_model": "S6730-H",
        "offer_older_version": "V200R019C10",
        "endless_data": [PATCH],
        "delay": 0.5,
        "unreachable": True,
    }
    async with admin.put(admin_url(houp, "/faults"), json=change) as resp:
        assert resp.status == 200
        state = await resp.json()
    assert state == {**change, "break_after": {"bytes": 100, "file": PATCH, "times": None}}
    assert houp.faults.break_after == BreakAfter(100, PATCH)
    assert houp.faults.corrupts_content("anything")
    assert houp.unreachable

    async with admin.delete(admin_url(houp, "/faults")) as resp:
        cleared = await resp.json()
    assert cleared["unreachable"] is False
    assert cleared["break_after"] is None
    assert cleared["corrupt_content"] == []
    async with client.get(url(houp, f"/files/{PATCH}")) as resp:
        assert len(await resp.read()) == PATCH_SIZE


async def test_partial_update_keeps_other_faults(
    houp: HoupServer, admin: aiohttp.ClientSession
) -> None:
    await admin.put(admin_url(houp, "/faults"), json={"delay": 2})
    async with admin.put(admin_url(houp, "/faults"), json={"expired_certificate": True}) as resp:
        state = await resp.json()
    assert (state["delay"], state["expired_certificate"]) == (2.0, True)


async def test_bad_fault_or_setting_is_a_400_and_changes_nothing(
    houp: HoupServer, admin: aiohttp.ClientSession
) -> None:
    for body in (
        {"delay": -1},
        {"no_such_fault": 1},
        {"delay": 1, "break_after": {"bytes": "many"}},
        {"corrupt_content": "x"},
        {"unreachable": "yes"},
    ):
        async with admin.put(admin_url(houp, "/faults"), json=body) as resp:
            assert resp.status == 400, body
            assert (await resp.json())["error"] == "badRequest"
    assert houp.faults.delay == 0
    async with admin.put(admin_url(houp, "/settings"), json={"max_connections": -1}) as resp:
        assert resp.status == 400


async def test_settings_and_stats(
    houp: HoupServer, client: aiohttp.ClientSession, admin: aiohttp.ClientSession
) -> None:
    async with admin.put(
        admin_url(houp, "/settings"), json={"max_connections": 5, "bandwidth_limit": 10**9}
    ) as resp:
        assert await resp.json() == {"max_connections": 5, "bandwidth_limit": 10**9}
    assert houp.settings.max_connections == 5
    async with client.get(url(houp, f"/files/{PATCH}"), headers={"Range": "bytes=10-"}) as resp:
        await resp.read()
    async with admin.get(admin_url(houp, "/stats")) as resp:
        stats = await resp.json()
    assert stats["bytes_sent"] == {PATCH: PATCH_SIZE - 10}
    assert stats["bytes_sent_by_door"] == {"default": {PATCH: PATCH_SIZE - 10}}
    assert stats["requests"] == [
        {
            "method": "GET",
            "path": f"/files/{PATCH}",
            "range": "bytes=10-",
            "door": "default",
            "status": 206,
            "bytes_sent": PATCH_SIZE - 10,
        }
    ]
    async with admin.delete(admin_url(houp, "/stats")) as resp:
        assert await resp.json() == {"bytes_sent": {}, "bytes_sent_by_door": {}, "requests": []}


async def test_trust_material_is_published(houp: HoupServer, admin: aiohttp.ClientSession) -> None:
    async with admin.get(admin_url(houp, "/ca.pem")) as resp:
        assert await resp.text() == houp.ca_cert_pem
    async with admin.get(admin_url(houp, "/signing-key.asc")) as resp:
        assert await resp.text() == houp.signing_public_key
