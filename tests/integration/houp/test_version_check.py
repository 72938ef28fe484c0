"""POST /api/v1/version-check over real HTTPS."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp

from smartupgrade_server.houp import content
from smartupgrade_server.houp.server import HoupServer
from tests.integration.houp.conftest import NEEDS_UPDATE, trusting_context, url
from tests.support.houp import PATCH, PATCH_SIZE, SOFTWARE, SOFTWARE_SIZE


async def test_need_update_names_packages_with_urls_sizes_and_digests(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    async with client.post(url(houp, "/api/v1/version-check"), json=NEEDS_UPDATE) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["result"] == "needUpdate"
    assert body["software_version"] == "V200R024C00"
    assert body["patch_version"] == "V200R020SPH001"
    assert body["upgrade_description"] == "upgrade"
    assert body["description_en"] == "1)description:2)CC+SPH"
    software, patch = body["software_package"], body["patch_package"]
    assert (software["name"], software["size"]) == (SOFTWARE, SOFTWARE_SIZE)
    assert (patch["name"], patch["size"]) == (PATCH, PATCH_SIZE)
    assert software["url"] == url(houp, f"/files/{SOFTWARE}")
    assert software["signature_url"] == url(houp, f"/files/{SOFTWARE}.asc")
    async with client.get(patch["url"]) as resp:
        data = await resp.read()
    assert hashlib.sha256(data).hexdigest() == patch["sha256"]
    assert data == content.read(PATCH, 0, PATCH_SIZE)


async def test_version_optimal_when_nothing_newer(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    request = {**NEEDS_UPDATE, "software": "V200R024C00", "patch": None}
    async with client.post(url(houp, "/api/v1/version-check"), json=request) as resp:
        assert resp.status == 200
        assert await resp.json() == {"result": "versionOptimal"}


async def test_excluded_and_unknown_models_are_refused(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    for model in ("S5731-L24T4S", "CE6881-48S6CQ"):
        request = {**NEEDS_UPDATE, "model": model}
        async with client.post(url(houp, "/api/v1/version-check"), json=request) as resp:
            assert resp.status == 404
            assert (await resp.json())["error"] == "unsupportedModel"


async def test_malformed_request_is_a_400(houp: HoupServer, client: aiohttp.ClientSession) -> None:
    for body in ({"model": "S5732-H"}, {**NEEDS_UPDATE, "patch": 3}, ["not", "an", "object"]):
        async with client.post(url(houp, "/api/v1/version-check"), json=body) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "badRequest"


async def test_default_catalogue_matches_the_seed_and_covers_every_family(data_dir: Path) -> None:
    server = await HoupServer.start(data_dir)
    cases = {
        ("S5732-H24UM2CC", "V200R020C00", "V200R020SPH"): (
            "V200R024C00",
            "V200R020SPH001",
            ("S5732-H-V200R024C00.cc", 120101636),
            ("S5732-H-V200R020SPH001.pat", 14910),
        ),
        ("AirEngine 8760-X1-PRO", "V200R019C10", None): (
            "V200R024C00",
            None,
            ("AirEngineX760_V200R024C00.bin", 120101636),
            None,
        ),
    }
    try:
        connector = aiohttp.TCPConnector(ssl=trusting_context(server))
        async with aiohttp.ClientSession(connector=connector) as session:
            check = url(server, "/api/v1/version-check")
            for (model, software, patch), expected in cases.items():
                request = {"model": model, "esn": "x", "software": software, "patch": patch}
                async with session.post(check, json=request) as resp:
                    body = await resp.json()
                got_patch = body["patch_package"]
                assert (
                    body["software_version"],
                    body["patch_version"],
                    (body["software_package"]["name"], body["software_package"]["size"]),
                    None if got_patch is None else (got_patch["name"], got_patch["size"]),
                ) == expected
            # Every supported series has an entry (families are not all needUpdate-checked here:
            # that would compute the digest of each image).
            for model in (
                "S300-24P4S",
                "S500-48T4S",
                "S2730S-S24FP4S",
                "S5735-L24T4S",
                "S6720-32X",
            ):
                server.catalogue.family_of(model)
            request = {"model": "S5731-L24T4S", "esn": "x", "software": "V200R020C00"}
            async with session.post(check, json=request) as resp:
                assert resp.status == 404
    finally:
        await server.close()
