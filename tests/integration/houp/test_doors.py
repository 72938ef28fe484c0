"""Doors: one HOUP behind several HTTPS listeners, each with faults of its own."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import aiohttp
import pytest

from smartupgrade_server.houp import content
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.doors import DEFAULT_DOOR
from smartupgrade_server.houp.faults import BreakAfter, Faults, FaultSpecError
from smartupgrade_server.houp.server import HoupServer
from tests.integration.houp.conftest import NEEDS_UPDATE, admin_url, trusting_context, url
from tests.support.houp import PATCH, PATCH_SIZE, SMALL_CATALOGUE, SOFTWARE


async def test_content_faults_apply_only_through_their_door(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    door = await houp.open_door("corrupting", {"corrupt_content": [PATCH]})
    assert list(houp.doors) == [DEFAULT_DOOR, "corrupting"]
    assert houp.doors[DEFAULT_DOOR].faults is houp.faults
    assert door.port not in (0, houp.port)
    genuine = content.read(PATCH, 0, PATCH_SIZE)
    async with client.get(url(houp, f"/files/{PATCH}")) as resp:
        assert await resp.read() == genuine
    async with client.get(url(door, f"/files/{PATCH}")) as resp:
        corrupted = await resp.read()
    assert len(corrupted) == PATCH_SIZE and corrupted != genuine
    assert [(r.door, r.path) for r in houp.stats.requests] == [
        (DEFAULT_DOOR, f"/files/{PATCH}"),
        ("corrupting", f"/files/{PATCH}"),
    ]
    assert houp.stats.bytes_sent[PATCH] == 2 * PATCH_SIZE
    assert houp.stats.bytes_sent_by_door == {
        DEFAULT_DOOR: {PATCH: PATCH_SIZE},
        "corrupting": {PATCH: PATCH_SIZE},
    }


async def test_offer_faults_apply_only_through_their_door(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    door = await houp.open_door("rollback", {"offer_older_version": "V200R019C10"})
    offered = {}
    for through in (houp, door):
        async with client.post(url(through, "/api/v1/version-check"), json=NEEDS_UPDATE) as resp:
            offered[through.port] = (await resp.json())["software_version"]
    assert offered == {houp.port: "V200R024C00", door.port: "V200R019C10"}


async def test_break_after_counts_down_on_its_own_door(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    houp.faults.break_after = BreakAfter(bytes=10, file=SOFTWARE, times=2)
    door = await houp.open_door("flaky", {"break_after": {"bytes": 20, "times": 1}})
    async with client.get(url(door, f"/files/{SOFTWARE}")) as resp:
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
    assert door.faults.break_after is None
    assert houp.faults.break_after == BreakAfter(bytes=10, file=SOFTWARE, times=2)
    assert houp.stats.bytes_sent_by_door["flaky"][SOFTWARE] == 20
    async with client.get(url(door, f"/files/{SOFTWARE}")) as resp:
        assert len(await resp.read()) == resp.content_length


async def test_expired_certificate_only_on_its_door(houp: HoupServer) -> None:
    door = await houp.open_door("expired", {"expired_certificate": True})

    async def handshake(port: int) -> int:
        # A fresh session each time: a pooled connection would keep the handshake it made.
        connector = aiohttp.TCPConnector(ssl=trusting_context(houp))
        async with (
            aiohttp.ClientSession(connector=connector) as fresh,
            fresh.head(f"https://127.0.0.1:{port}/files/{PATCH}") as resp,
        ):
            return resp.status

    with pytest.raises(aiohttp.ClientConnectorCertificateError) as caught:
        await handshake(door.port)
    error = caught.value.certificate_error
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert error.verify_code == 10  # X509_V_ERR_CERT_HAS_EXPIRED
    assert await handshake(houp.port) == 200

    await door.clear_faults()
    houp.faults.expired_certificate = True
    assert await handshake(door.port) == 200
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await handshake(houp.port)


async def test_an_unreachable_door_drops_only_its_own_connections(
    houp: HoupServer, client: aiohttp.ClientSession
) -> None:
    closed = await houp.open_door("closed", {"unreachable": True})
    assert closed.unreachable and closed.port != 0  # its port is known to point switches at
    with pytest.raises(aiohttp.ClientConnectorError):
        await client.head(url(closed, f"/files/{PATCH}"))
    # the port stays the door's: a server started meanwhile (a switch's web, say) cannot take
    # it and answer the switches pointed at the closed door
    with socket.socket() as other, pytest.raises(OSError, match="in use"):
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind((houp.host, closed.port))
    await closed.set_unreachable(False)

    houp.settings.bandwidth_limit = 20000  # both downloads stay in flight
    async with (
        client.get(url(houp, f"/files/{PATCH}")) as kept,
        client.get(url(closed, f"/files/{PATCH}")) as dropped,
    ):
        await kept.content.readexactly(10)
        await dropped.content.readexactly(10)
        await closed.set_unreachable(True)
        with pytest.raises(aiohttp.ClientPayloadError):
            await dropped.read()
        assert len(await kept.read()) == PATCH_SIZE - 10
    assert not houp.unreachable

    port = closed.port
    await closed.clear_faults()
    assert (closed.port, closed.unreachable) == (port, False)
    async with client.head(url(closed, f"/files/{PATCH}")) as resp:
        assert resp.status == 200


async def test_a_bad_spec_or_a_taken_name_or_port_opens_nothing(houp: HoupServer) -> None:
    for spec in ({"delay": -1}, {"unreachable": "yes"}, {"no_such_fault": 1}):
        with pytest.raises(FaultSpecError):
            await houp.open_door("door", spec)
    with pytest.raises(ValueError, match="already"):
        await houp.open_door(DEFAULT_DOOR)
    with pytest.raises(OSError):
        await houp.open_door("door", port=houp.port)
    assert list(houp.doors) == [DEFAULT_DOOR]
    door = await houp.open_door("door", {"delay": 1})
    assert door.faults.delay == 1
    with pytest.raises(ValueError, match="already"):
        await houp.open_door("door")


async def test_doors_through_the_admin_port(
    houp: HoupServer, client: aiohttp.ClientSession, admin: aiohttp.ClientSession
) -> None:
    door = await houp.open_door("b", {"corrupt_signature": ["*"]})
    async with admin.get(admin_url(houp, "/doors")) as resp:
        listed = await resp.json()
    assert [(d["name"], d["port"], d["unreachable"]) for d in listed] == [
        (DEFAULT_DOOR, houp.port, False),
        ("b", door.port, False),
    ]
    assert listed[0]["faults"] == houp.faults.to_json()
    assert listed[1]["faults"]["corrupt_signature"] == ["*"]

    change = {"delay": 2, "unreachable": True}
    async with admin.put(admin_url(houp, "/doors/b/faults"), json=change) as resp:
        state = await resp.json()
    assert (state["delay"], state["unreachable"], state["corrupt_signature"]) == (2.0, True, ["*"])
    assert door.unreachable and not houp.unreachable
    assert houp.faults.delay == 0
    async with admin.get(admin_url(houp, "/doors/b/faults")) as resp:
        assert await resp.json() == state
    async with admin.put(admin_url(houp, "/doors/b/faults"), json={"delay": -1}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "badRequest"
    assert door.faults.delay == 2

    # /faults stays the default door's.
    async with admin.put(admin_url(houp, "/faults"), json={"corrupt_content": ["*"]}):
        pass
    assert houp.faults.corrupt_content == {"*"} and door.faults.corrupt_content == set()

    async with admin.delete(admin_url(houp, "/doors/b/faults")) as resp:
        cleared = await resp.json()
    assert cleared == {**Faults().to_json(), "unreachable": False}
    assert houp.faults.corrupt_content == {"*"}
    async with client.head(url(door, f"/files/{PATCH}")) as resp:
        assert resp.status == 200

    for method in ("GET", "PUT", "DELETE"):
        async with admin.request(method, admin_url(houp, "/doors/nope/faults"), json={}) as resp:
            assert resp.status == 404
            assert (await resp.json())["error"] == "notFound"


async def test_close_closes_every_door(data_dir: Path, client: aiohttp.ClientSession) -> None:
    server = await HoupServer.start(data_dir, catalogue=Catalogue.parse(SMALL_CATALOGUE))
    door = await server.open_door("other")
    await server.close()
    assert server.unreachable and door.unreachable
    for through in (server, door):
        with pytest.raises(aiohttp.ClientConnectorError):
            await client.head(url(through, f"/files/{PATCH}"))
