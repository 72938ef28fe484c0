"""The plain-HTTP admin port: faults, settings, statistics, trust material."""

from __future__ import annotations

import json

import aiohttp
import pytest

from smartupgrade_server.houp.faults import BreakAfter, Faults
from smartupgrade_server.houp.server import HoupServer
from tests.integration.houp.conftest import admin_url, url
from tests.support.houp import PATCH, PATCH_SIZE


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


DEEP = "[" * 100_000 + "]" * 100_000
BREAK_AFTER = "break_after: expected {bytes, file?, times?} or null"
FILE_NAMES = 'corrupt_content: expected a list of file names ("*" = every file)'
BAD_BODIES = {
    # not JSON, or JSON Python would read but not write back as JSON
    '{"delay": NaN}': "the body is not JSON: NaN is not a JSON number",
    '{"delay": Infinity}': "the body is not JSON: Infinity is not a JSON number",
    '{"delay": -Infinity}': "the body is not JSON: -Infinity is not a JSON number",
    '{"delay": 1e999}': "the body is not JSON: 1e999 is too large a number",
    '{"delay": ' + "9" * 5000 + "}": "the body is not JSON: ",
    DEEP: "the body is not JSON: nested too deeply",
    '{"break_after": ' + DEEP + "}": "the body is not JSON: nested too deeply",
    "": "the body is not JSON: ",
    "{": "the body is not JSON: ",
    "\xff": "the body is not JSON: ",
    "[]": "expected a JSON object",
    '"delay"': "expected a JSON object",
    # JSON, but not a fault the admin port knows
    '{"delay": 3601}': "delay: expected a number of seconds from 0 to 3600",
    '{"delay": 1e308}': "delay: expected a number of seconds from 0 to 3600",
    '{"delay": true}': "delay: expected a number of seconds from 0 to 3600",
    '{"delay": "1"}': "delay: expected a number of seconds from 0 to 3600",
    '{"delay": -0.5}': "delay: expected a number of seconds from 0 to 3600",
    '{"Delay": 1}': "unknown fault 'Delay'",
    '{"break_after": {"bytes": 1.5}}': "break_after.bytes: expected an integer >= 0",
    '{"break_after": {"bytes": 1, "size": 2}}': BREAK_AFTER,
    '{"break_after": {"bytes": 1, "times": 0}}': "break_after.times: expected an integer >= 1",
    '{"break_after": []}': BREAK_AFTER,
    '{"corrupt_content": [""]}': FILE_NAMES,
    '{"corrupt_content": [1]}': FILE_NAMES,
    '{"offer_other_model": ""}': "offer_other_model: expected a non-empty string or null",
    '{"expired_certificate": 1}': "expired_certificate: expected true or false",
    '{"unreachable": null, "x": 1}': "unknown fault 'x'",
}


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
async def test_every_bad_fault_body_is_a_400_that_says_what_to_fix(
    houp: HoupServer, admin: aiohttp.ClientSession, body: str
) -> None:
    data = body.encode("latin-1") if body == "\xff" else body.encode()
    async with admin.put(admin_url(houp, "/faults"), data=data) as resp:
        assert resp.status == 400
        answer = await resp.json()
    assert answer["error"] == "badRequest"
    assert answer["message"].startswith(BAD_BODIES[body])
    async with admin.get(admin_url(houp, "/faults")) as resp:
        # still valid JSON, nothing changed
        assert json.loads(await resp.text(), parse_constant=pytest.fail) == {
            **Faults().to_json(),
            "unreachable": False,
        }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"max_connections": NaN}', "the body is not JSON: NaN is not a JSON number"),
        ('{"bandwidth_limit": 0}', "bandwidth_limit: expected an integer >= 1 or null"),
        ('{"max_connections": 1.0}', "max_connections: expected an integer >= 0 or null"),
        ('{"speed": 1}', "unknown setting 'speed'"),
        (DEEP, "the body is not JSON: nested too deeply"),
    ],
)
async def test_every_bad_settings_body_is_a_400_that_says_what_to_fix(
    houp: HoupServer, admin: aiohttp.ClientSession, body: str, message: str
) -> None:
    async with admin.put(admin_url(houp, "/settings"), data=body) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == message
    assert houp.settings.to_json() == {"max_connections": None, "bandwidth_limit": None}


async def test_a_deeply_nested_version_check_is_a_400(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.post(url(houp, "/api/v1/version-check"), data=DEEP) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == "the body is not JSON: nested too deeply"


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
