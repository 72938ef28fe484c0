"""The HOUP emulator: HTTPS version check and file server, plus a plain-HTTP admin port.

HTTPS doors, the default one and any opened later, each with its own faults (see docs/houp.md
for the full contract):
  POST /api/v1/version-check     JSON in, JSON out
  GET|HEAD /files/<name>         package bytes, single Range, ETag/If-Range
  GET|HEAD /files/<name>.asc     armored detached OpenPGP signature of <name>
Admin port: /faults, /doors, /doors/<name>/faults, /settings, /stats, /ca.pem,
/signing-key.asc.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aiohttp import web

from smartupgrade_server.houp import content
from smartupgrade_server.houp.catalogue import (
    Catalogue,
    Family,
    Offer,
    Package,
    UnsupportedModelError,
)
from smartupgrade_server.houp.doors import DEFAULT_DOOR, HoupDoor
from smartupgrade_server.houp.faults import (
    BreakAfter,
    Faults,
    FaultSpecError,
    Settings,
    split_unreachable,
    strict_json,
)
from smartupgrade_server.houp.openpgp import SigningKey, armor, dearmor
from smartupgrade_server.houp.pki import Pki
from smartupgrade_server.houp_api.wire import (
    LIMIT_HEADER,
    NEED_UPDATE,
    SERVER_SPEC_UP_LIMIT,
    UNSUPPORTED_MODEL,
    VERSION_CHECK_PATH,
    VERSION_OPTIMAL,
)

DEFAULT_HOST_NAME = "s.houp.huawei.com"
# the HOUP's CA and server certificates, in its data directory
PKI_DIR = "pki"

_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
_CACHE_FORMAT = 1

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class FileInfo:
    size: int
    sha256: str
    signature: str

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:32]}"'


@dataclass
class RequestRecord:
    method: str
    path: str
    range: str | None
    door: str
    status: int = 0
    bytes_sent: int = 0


@dataclass
class Stats:
    """Body bytes actually written per file name (signatures as `<name>.asc`), in all and per
    door, and every request the HTTPS doors answered, in order."""

    bytes_sent: Counter[str] = field(default_factory=Counter)
    bytes_sent_by_door: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    requests: list[RequestRecord] = field(default_factory=list)

    def count(self, door: str, name: str, size: int) -> None:
        self.bytes_sent[name] += size
        self.bytes_sent_by_door[door][name] += size

    def reset(self) -> None:
        self.bytes_sent.clear()
        self.bytes_sent_by_door.clear()
        self.requests.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "bytes_sent": dict(self.bytes_sent),
            "bytes_sent_by_door": {
                door: dict(sent) for door, sent in self.bytes_sent_by_door.items()
            },
            "requests": [asdict(record) for record in self.requests],
        }


def _json_error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """[start, end) of a single byte range, or None when malformed or unsatisfiable."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        start, end = size - _at_most(last, size), size
    else:
        start = _at_most(first, size)
        end = size if last == "" else min(size, _at_most(last, size) + 1)
    if start >= size or start >= end:
        return None
    return start, end


def _at_most(digits: str, limit: int) -> int:
    """The number ``digits`` spells, or ``limit`` if it is larger: a position of any length is
    valid HTTP (RFC 9110 section 14.1.1), beyond what int() reads (4300 digits)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(limit)):
        return limit
    return min(int(significant), limit)


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or FaultSpecError saying what is wrong with it."""
    try:
        body = await request.json(loads=strict_json)
    except ValueError as exc:
        raise FaultSpecError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise FaultSpecError("expected a JSON object")
    return body


def _broke(faults: Faults, fault: BreakAfter) -> None:
    if fault.times is not None:
        fault.times -= 1
        if fault.times <= 0 and faults.break_after is fault:
            faults.break_after = None


def _renamed(package: Package, old: str, new: str) -> Package:
    name = package.name.replace(old, new) if old in package.name else f"{new}-{package.name}"
    return Package(name, package.size)


_RECORD = web.RequestKey("houp_record", RequestRecord)
_DOOR = web.RequestKey("houp_door", HoupDoor)


class _Pacer:
    """Sleeps so that the bytes written since the limit last changed keep to that limit."""

    def __init__(self) -> None:
        self._limit: int | None = None
        self._started = 0.0
        self._sent = 0

    async def after_write(self, size: int, limit: int | None) -> None:
        if limit != self._limit:
            self._limit, self._started, self._sent = limit, time.monotonic(), 0
        if limit is None:
            return
        self._sent += size
        await asyncio.sleep(max(0.0, self._started + self._sent / limit - time.monotonic()))


class HoupServer:
    """Start with `await HoupServer.start(...)`; stop with `await server.close()`."""

    def __init__(self, data_dir: Path, host: str, host_name: str, catalogue: Catalogue) -> None:
        self.data_dir = data_dir
        self.host = host
        self.catalogue = catalogue
        self.settings = Settings()
        self.stats = Stats()
        self.admin_port = 0
        self._pki = Pki.load_or_create(data_dir / PKI_DIR, host_name)
        self._key = SigningKey.load_or_create(data_dir / "openpgp")
        self._expired_context = self._pki.server_context(expired=True)
        self._files_made_by_faults: dict[str, int] = {}
        self._infos: dict[tuple[str, int], FileInfo] = {}
        self._info_locks: dict[str, asyncio.Lock] = {}
        self._in_flight = 0
        self._doors: dict[str, HoupDoor] = {}
        self._runner: web.AppRunner | None = None
        self._admin_runner: web.AppRunner | None = None

    @classmethod
    async def start(
        cls,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        admin_port: int = 0,
        catalogue: Catalogue | Path | None = None,
        host_name: str = DEFAULT_HOST_NAME,
        admin_routes: Callable[[HoupServer, web.Application], None] | None = None,
    ) -> HoupServer:
        """Listen on `host`:`port` (HTTPS, the default door) and `host`:`admin_port` (HTTP);
        0 picks free ports.

        `host_name` goes into the server certificate next to 127.0.0.1 and localhost.
        `admin_routes` adds the routes of the process that runs the HOUP alone (its metrics
        and health) to the admin port's.
        """
        if isinstance(catalogue, Path):
            catalogue = Catalogue.load(catalogue)
        server = cls(data_dir, host, host_name, catalogue or Catalogue.default())
        await server._start(port, admin_port, admin_routes)
        return server

    # --- public API -------------------------------------------------------------------------

    @property
    def ca_cert_pem(self) -> str:
        """PEM of the CA that issued the server certificates (what the switch must trust)."""
        return self._pki.ca_cert_pem

    @property
    def signing_public_key(self) -> str:
        """Armored OpenPGP public key that verifies every `.asc` served."""
        return self._key.public_key_armored()

    @property
    def signing_key_fingerprint(self) -> str:
        return self._key.fingerprint_hex

    @property
    def doors(self) -> Mapping[str, HoupDoor]:
        """Every door by name, the default door (`DEFAULT_DOOR`) first."""
        return MappingProxyType(self._doors)

    @property
    def faults(self) -> Faults:
        """The default door's faults."""
        return self._doors[DEFAULT_DOOR].faults

    @property
    def port(self) -> int:
        """The default door's port."""
        return self._doors[DEFAULT_DOOR].port

    @property
    def unreachable(self) -> bool:
        return self._doors[DEFAULT_DOOR].unreachable

    def files(self) -> dict[str, int]:
        """Every servable package, name -> announced size (signatures not listed)."""
        return {**self.catalogue.files(), **self._files_made_by_faults}

    async def file_info(self, name: str) -> FileInfo:
        """Size, SHA-256 and signature of a package; computed once in a worker thread, then
        cached in memory and in the data directory."""
        # Keyed by size too: `catalogue` may be replaced at run time.
        key = (name, self.files()[name])
        known = self._infos.get(key)
        if known is not None:
            return known
        async with self._info_locks.setdefault(name, asyncio.Lock()):
            known = self._infos.get(key)
            if known is None:
                known = await asyncio.to_thread(self._load_or_compute_info, *key)
                self._infos[key] = known
        return known

    async def open_door(
        self, name: str, faults: Mapping[str, Any] | None = None, *, port: int = 0
    ) -> HoupDoor:
        """Listen on `host`:`port` (0 picks a free port) for the same HOUP with faults of its
        own, given in the admin JSON form (`"unreachable": true` opens the door closed, its
        port reserved). A malformed spec raises `FaultSpecError` and a taken name `ValueError`,
        both before anything listens."""
        if name in self._doors:
            raise ValueError(f"the HOUP already has a door named {name!r}")
        spec, unreachable = split_unreachable(faults or {})
        door_faults = Faults()
        door_faults.update(spec)
        assert self._runner is not None and self._runner.server is not None
        door = HoupDoor(
            name,
            door_faults,
            server=self._runner.server,
            host=self.host,
            context=self._pki.server_context(expired=False),
            expired_context=self._expired_context,
        )
        # Taken before the first await, so that a concurrent open_door of this name fails.
        self._doors[name] = door
        try:
            await door.listen(port)
        except OSError:
            del self._doors[name]
            raise
        if unreachable:
            await door.set_unreachable(True)
        return door

    async def set_unreachable(self, unreachable: bool) -> None:
        """The default door stops listening and drops its open connections (netError), or
        listens again on the same port."""
        await self._doors[DEFAULT_DOOR].set_unreachable(unreachable)

    async def clear_faults(self) -> None:
        """Clears the default door's faults and makes it reachable again."""
        await self._doors[DEFAULT_DOOR].clear_faults()

    async def close(self) -> None:
        for door in self._doors.values():
            door.close()
        for runner in (self._runner, self._admin_runner):
            if runner is not None:
                await runner.cleanup()

    # --- setup ------------------------------------------------------------------------------

    async def _start(
        self,
        port: int,
        admin_port: int,
        admin_routes: Callable[[HoupServer, web.Application], None] | None,
    ) -> None:
        app = web.Application(middlewares=[self._limits_middleware])
        app.router.add_post(VERSION_CHECK_PATH, self._version_check)
        app.router.add_get("/files/{name}", self._file)
        # Cancelling a handler whose client left ends delayed, throttled and endless responses
        # instead of leaving them to run on.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, handler_cancellation=True
        )
        await self._runner.setup()
        await self.open_door(DEFAULT_DOOR, port=port)

        admin = web.Application()
        for prefix in ("", "/doors/{name}"):
            admin.router.add_get(f"{prefix}/faults", self._admin_get_faults)
            admin.router.add_put(f"{prefix}/faults", self._admin_put_faults)
            admin.router.add_delete(f"{prefix}/faults", self._admin_clear_faults)
        admin.router.add_get("/doors", self._admin_get_doors)
        admin.router.add_get("/settings", self._admin_get_settings)
        admin.router.add_put("/settings", self._admin_put_settings)
        admin.router.add_get("/stats", self._admin_get_stats)
        admin.router.add_delete("/stats", self._admin_reset_stats)
        admin.router.add_get("/ca.pem", self._admin_ca)
        admin.router.add_get("/signing-key.asc", self._admin_signing_key)
        if admin_routes is not None:
            admin_routes(self, admin)
        self._admin_runner = web.AppRunner(admin, access_log=None, handle_signals=False)
        await self._admin_runner.setup()
        site = web.TCPSite(self._admin_runner, self.host, admin_port)
        await site.start()
        self.admin_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def _load_or_compute_info(self, name: str, size: int) -> FileInfo:
        cache = self.data_dir / "signatures" / f"{name}.json"
        identity = {"format": _CACHE_FORMAT, "size": size, "key": self._key.fingerprint_hex}
        if cache.exists():
            stored = json.loads(cache.read_text("utf-8"))
            if all(stored.get(k) == v for k, v in identity.items()):
                return FileInfo(size, stored["sha256"], stored["signature"])
        digest = hashlib.sha256()
        for chunk in content.generate(name, 0, size, chunk_size=1024 * 1024):
            digest.update(chunk)
        sha256 = digest.hexdigest()
        info = FileInfo(size, sha256, self._key.sign_detached(digest))
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(
            json.dumps({**identity, "sha256": sha256, "signature": info.signature}), "utf-8"
        )
        return info

    # --- HTTPS port -------------------------------------------------------------------------

    @web.middleware
    async def _limits_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        door = self._door_of(request)
        record = RequestRecord(
            request.method, request.path, request.headers.get("Range"), door.name
        )
        request[_DOOR] = door
        request[_RECORD] = record
        self.stats.requests.append(record)
        limit = self.settings.max_connections
        if limit is not None and self._in_flight >= limit:
            response: web.StreamResponse = web.json_response(
                {
                    "error": SERVER_SPEC_UP_LIMIT,
                    "message": f"server specification upper limit reached ({limit} connections)",
                },
                status=503,
                headers={LIMIT_HEADER: SERVER_SPEC_UP_LIMIT, "Retry-After": "60"},
            )
            record.status = response.status
            return response
        self._in_flight += 1
        try:
            if door.faults.delay:
                await asyncio.sleep(door.faults.delay)
            response = await handler(request)
            record.status = response.status
            return response
        except web.HTTPException as exc:
            record.status = exc.status
            raise
        finally:
            self._in_flight -= 1

    async def _version_check(self, request: web.Request) -> web.Response:
        try:
            body = await _json_body(request)
        except FaultSpecError as exc:
            return _json_error(400, "badRequest", str(exc))
        for key in ("model", "esn", "software"):
            if not isinstance(body.get(key), str) or not body[key]:
                return _json_error(400, "badRequest", f"{key}: expected a non-empty string")
        patch = body.get("patch")
        if patch is not None and not isinstance(patch, str):
            return _json_error(400, "badRequest", "patch: expected a string or null")
        model, software = body["model"], body["software"]
        try:
            family = self.catalogue.family_of(model)
            offer = self.catalogue.lookup(model, software, patch or None)
        except UnsupportedModelError as exc:
            return _json_error(404, UNSUPPORTED_MODEL, str(exc))
        offer = self._apply_offer_faults(request[_DOOR].faults, family, offer)
        if offer is None:
            return web.json_response({"result": VERSION_OPTIMAL})
        base = f"https://{request.host}/files/"
        packages: dict[str, Any] = {}
        for key, package in (
            ("software_package", offer.software_package),
            ("patch_package", offer.patch_package),
        ):
            if package is None:
                packages[key] = None
                continue
            info = await self.file_info(package.name)
            packages[key] = {
                "name": package.name,
                "size": package.size,
                "sha256": info.sha256,
                "url": base + package.name,
                "signature_url": base + package.name + ".asc",
            }
        return web.json_response(
            {
                "result": NEED_UPDATE,
                "software_version": offer.software,
                "patch_version": offer.patch,
                "upgrade_description": offer.upgrade_description,
                "description_en": offer.description_en,
                **packages,
            }
        )

    def _apply_offer_faults(
        self, faults: Faults, family: Family, offer: Offer | None
    ) -> Offer | None:
        older = faults.offer_older_version
        base = offer or next((upgrade.offer for upgrade in family.upgrades), None)
        if older is not None and base is not None:
            # A rollback is offered even to a switch whose version is optimal.
            offer = Offer(
                software=older,
                patch=None,
                upgrade_description=base.upgrade_description,
                description_en=base.description_en,
                software_package=_renamed(base.software_package, base.software, older),
                patch_package=None,
            )
        other = faults.offer_other_model
        if other is not None and offer is not None:
            offer = Offer(
                software=offer.software,
                patch=offer.patch,
                upgrade_description=offer.upgrade_description,
                description_en=offer.description_en,
                software_package=_renamed(offer.software_package, family.family, other),
                patch_package=None
                if offer.patch_package is None
                else _renamed(offer.patch_package, family.family, other),
            )
        if offer is not None:
            for package in (offer.software_package, offer.patch_package):
                if package is not None and package.name not in self.catalogue.files():
                    self._files_made_by_faults[package.name] = package.size
        return offer

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        files = self.files()
        if name.endswith(".asc") and name[: -len(".asc")] in files:
            return await self._signature(request, name[: -len(".asc")])
        if name not in files:
            return _json_error(404, "notFound", f"no file {name}")
        info = await self.file_info(name)
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": info.etag,
            "Content-Type": "application/octet-stream",
        }
        start, end, status = 0, info.size, 200
        range_header = request.headers.get("Range")
        # If-Range with a stale validator means "send the whole new file" (RFC 9110 13.1.5).
        if range_header is not None and request.headers.get("If-Range", info.etag) == info.etag:
            parsed = _parse_range(range_header, info.size)
            if parsed is None:
                raise web.HTTPRequestRangeNotSatisfiable(
                    headers={"Content-Range": f"bytes */{info.size}", **headers}
                )
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{info.size}"
        faults = request[_DOOR].faults
        endless = faults.is_endless(name)
        response = web.StreamResponse(status=status, headers=headers)
        if endless and request.method != "HEAD":
            response.enable_chunked_encoding()
        else:
            response.content_length = end - start
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        corrupt_at = info.size // 2 if faults.corrupts_content(name) else None
        chunks = content.generate(name, start, None if endless else end)
        await self._send(
            request, response, name, offset=start, chunks=chunks, corrupt_at=corrupt_at
        )
        return response

    async def _signature(self, request: web.Request, name: str) -> web.StreamResponse:
        signature = (await self.file_info(name)).signature
        if request[_DOOR].faults.corrupts_signature(name):
            # Still well-formed armor: the last byte of the EdDSA `s` value no longer matches.
            packet = bytearray(dearmor(signature))
            packet[-1] ^= 0x01
            signature = armor("SIGNATURE", bytes(packet))
        data = signature.encode("ascii")
        response = web.StreamResponse(
            headers={"Content-Type": "application/pgp-signature", "Accept-Ranges": "none"}
        )
        response.content_length = len(data)
        await response.prepare(request)
        if request.method != "HEAD":
            await self._send(
                request, response, name + ".asc", offset=0, chunks=[data], corrupt_at=None
            )
        return response

    async def _send(
        self,
        request: web.Request,
        response: web.StreamResponse,
        name: str,
        *,
        offset: int,
        chunks: Iterable[bytes],
        corrupt_at: int | None,
    ) -> None:
        """Write the body: corruption, the break-after fault and the bandwidth limit apply here."""
        record, door = request[_RECORD], request[_DOOR]
        fault = door.faults.break_after
        budget = fault.bytes if fault is not None and fault.matches(name) else None
        pacer = _Pacer()
        try:
            for generated in chunks:
                chunk = generated
                if corrupt_at is not None and offset <= corrupt_at < offset + len(chunk):
                    mutable = bytearray(chunk)
                    mutable[corrupt_at - offset] ^= 0xFF
                    chunk = bytes(mutable)
                offset += len(chunk)
                view = memoryview(chunk)
                while view:
                    limit = self.settings.bandwidth_limit
                    # Small pieces under a limit keep the rate smooth and let a new limit bite.
                    size = len(view) if limit is None else max(1, min(len(view), limit // 20))
                    if budget is not None:
                        size = min(size, budget - record.bytes_sent)
                        if size == 0:
                            break
                    await response.write(view[:size].tobytes())
                    view = view[size:]
                    record.bytes_sent += size
                    self.stats.count(door.name, name, size)
                    await pacer.after_write(size, limit)
                if budget is not None and record.bytes_sent == budget:
                    assert fault is not None and request.transport is not None
                    _broke(door.faults, fault)
                    # close() flushes what was written, so exactly `budget` bytes arrive.
                    request.transport.close()
                    return
            await response.write_eof()
        except ConnectionError:
            # The client went away (for endless data this is how a response ends).
            return

    def _door_of(self, request: web.Request) -> HoupDoor:
        for door in self._doors.values():
            if door.serves(request.transport):
                return door
        # Only a connection that is already gone has no door; its handler is being cancelled.
        raise asyncio.CancelledError

    # --- admin port -------------------------------------------------------------------------

    def _admin_door(self, request: web.Request) -> HoupDoor:
        """The door named in the path; `/faults` without a name is the default door's."""
        name = request.match_info.get("name", DEFAULT_DOOR)
        door = self._doors.get(name)
        if door is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "notFound", "message": f"no door {name!r}"}),
                content_type="application/json",
            )
        return door

    async def _admin_get_doors(self, _request: web.Request) -> web.Response:
        return web.json_response([door.to_json() for door in self._doors.values()])

    async def _admin_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self._admin_door(request).faults_json())

    async def _admin_put_faults(self, request: web.Request) -> web.Response:
        door = self._admin_door(request)
        try:
            spec, unreachable = split_unreachable(await _json_body(request))
            door.faults.update(spec)
        except FaultSpecError as exc:
            return _json_error(400, "badRequest", str(exc))
        if unreachable is not None:
            await door.set_unreachable(unreachable)
        return web.json_response(door.faults_json())

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        door = self._admin_door(request)
        await door.clear_faults()
        return web.json_response(door.faults_json())

    async def _admin_get_settings(self, _request: web.Request) -> web.Response:
        return web.json_response(self.settings.to_json())

    async def _admin_put_settings(self, request: web.Request) -> web.Response:
        try:
            self.settings.update(await _json_body(request))
        except FaultSpecError as exc:
            return _json_error(400, "badRequest", str(exc))
        return web.json_response(self.settings.to_json())

    async def _admin_get_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats.to_json())

    async def _admin_reset_stats(self, _request: web.Request) -> web.Response:
        self.stats.reset()
        return web.json_response(self.stats.to_json())

    async def _admin_ca(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.ca_cert_pem, content_type="application/x-pem-file")

    async def _admin_signing_key(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.signing_public_key, content_type="application/pgp-keys")
