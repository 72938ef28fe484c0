"""The switch's HTTPS client side: version check and file download from the HOUP (docs/houp.md).

Every failure leaves here as a `TransferError` carrying the upgrade status its cause means, so
the state machine never guesses from exception types:

| cause | status |
|---|---|
| connection refused, reset, broken, unreachable, timed out | netError |
| HTTP 503 with `X-HOUP-Error: serverSpecUpLimit` | serverSpecUpLimit |
| server certificate expired (X509 verify code 10) | CertOutDate |
| flash full | writeFlashFailed |
| other local I/O failure (the flash directory broke) | systemError |
| any other certificate or TLS failure, unexpected HTTP answer, malformed reply | other |

Network timeouts are real seconds: the network is real even when the switch's clock is not.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum, auto
from http import HTTPStatus
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from smartupgrade_model.model import UpgradeStatus
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.endpoint import HoupAddress
from smartupgrade_server.device.flash import Flash, FlashFullError, FlashWriter
from smartupgrade_server.device.messages import Message
from smartupgrade_server.device.offers import (
    MAX_REPLY_SIZE,
    MalformedReplyError,
    NoVersionForModel,
    RemoteFile,
    VersionAnswer,
    parse_version_reply,
    says_unsupported_model,
)
from smartupgrade_server.houp_api.wire import (
    LIMIT_HEADER,
    SERVER_SPEC_UP_LIMIT,
    VERSION_CHECK_PATH,
)

logger = logging.getLogger(__name__)

_X509_V_ERR_CERT_HAS_EXPIRED = 10
_CHUNK = 64 * 1024
_TAIL = 4096
MAX_SIGNATURE_SIZE = 64 * 1024


class TransferError(Exception):
    """A failed exchange with the HOUP; `detail` may quote the HOUP (`messages.failure` makes
    it printable before it becomes an Error line)."""

    def __init__(self, status: UpgradeStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Endpoint:
    """Where the HOUP is and how it is trusted: the configuration plus the bound SSL policy."""

    address: HoupAddress
    verify_server: bool
    trusted_ca: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult:
    received: int
    seconds: float
    skipped: bool


class _Existing(Enum):
    CONSISTENT = auto()
    RESUMABLE = auto()
    INCONSISTENT = auto()


Report = Callable[[Message], None]
Progress = Callable[[int, int], None]
"""(bytes of the file on flash, file size), after every chunk."""


@contextmanager
def classified(address: HoupAddress) -> Iterator[None]:
    """Turn whatever a transfer raises into a TransferError with its status and the switch's
    words for the cause: what failed where, never the exception's own text (an OpenSSL source
    line, a local path), which stays the error's ``__cause__``."""
    where = address.authority
    try:
        yield
    except TransferError:
        raise
    except FlashFullError as exc:
        raise TransferError(UpgradeStatus.WRITE_FLASH_FAILED, "the flash memory is full") from exc
    except aiohttp.ClientConnectorCertificateError as exc:
        code = getattr(exc.certificate_error, "verify_code", None)
        if code == _X509_V_ERR_CERT_HAS_EXPIRED:
            detail = f"{where} sent a certificate past its validity"
            raise TransferError(UpgradeStatus.CERT_OUT_DATE, detail) from exc
        raise TransferError(UpgradeStatus.OTHER, _untrusted(code, address)) from exc
    except aiohttp.ClientSSLError as exc:
        raise TransferError(UpgradeStatus.OTHER, f"the TLS handshake with {where} failed") from exc
    except (aiohttp.ClientConnectorDNSError, UnicodeError) as exc:
        # UnicodeError: a name DNS cannot carry (a label over 63 characters)
        detail = f"the host name {address.host} cannot be resolved"
        raise TransferError(UpgradeStatus.NET_ERROR, detail) from exc
    except aiohttp.ClientConnectorError as exc:
        refused = isinstance(exc.os_error, ConnectionRefusedError)
        detail = f"{where} refused the connection" if refused else f"{where} cannot be reached"
        raise TransferError(UpgradeStatus.NET_ERROR, detail) from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        detail = f"{where} did not answer in time"
        raise TransferError(UpgradeStatus.NET_ERROR, detail) from exc
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        detail = f"the connection to {where} was broken"
        raise TransferError(UpgradeStatus.NET_ERROR, detail) from exc
    except OSError as exc:
        logger.warning("flash: %s", exc)
        detail = "the flash memory cannot be read or written"
        raise TransferError(UpgradeStatus.SYSTEM_ERROR, detail) from exc


# OpenSSL's verify codes of a certificate no CA of the SSL policy issued
_UNTRUSTED: Final = frozenset({18, 19, 20, 21})
_HOSTNAME_MISMATCH: Final = 62


def _untrusted(code: int | None, address: HoupAddress) -> str:
    where = address.authority
    if code in _UNTRUSTED:
        return f"the certificate of {where} is not issued by a CA of the bound SSL policy"
    if code == _HOSTNAME_MISMATCH:
        return f"the certificate of {where} is not valid for {address.host}"
    return f"the certificate of {where} cannot be verified"


class _HostsResolver(AbstractResolver):
    """The switch's static host table (`ip host` entries) before DNS. `port_forwards` moves a
    port of a host-table name elsewhere, as a NAT in front of the emulated HOUP would (its
    default name on 443 reaches a HOUP listening on an unprivileged port)."""

    def __init__(self, hosts: Mapping[str, str], port_forwards: Mapping[int, int]) -> None:
        self._hosts = dict(hosts)
        self._port_forwards = dict(port_forwards)
        self._dns = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self._hosts.get(host)
        if address is None:
            return await self._dns.resolve(host, port, family)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=self._port_forwards.get(port, port),
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        await self._dns.close()


def _ssl_context(endpoint: Endpoint) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if endpoint.verify_server:
        # Only the SSL policy's CAs: a policy without any trusts nothing.
        if endpoint.trusted_ca:
            context.load_verify_locations(cadata="\n".join(endpoint.trusted_ca))
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def _read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body up to `limit` bytes (a read returns what has arrived, not all there is)."""
    data = bytearray()
    while len(data) < limit and (chunk := await response.content.read(limit - len(data))):
        data += chunk
    return bytes(data)


class HoupClient:
    """One HTTPS session with the HOUP; `async with HoupClient(...) as client`."""

    def __init__(
        self,
        endpoint: Endpoint,
        clock: Clock,
        flash: Flash,
        *,
        hosts: Mapping[str, str],
        port_forwards: Mapping[int, int],
        timeout: float,
    ) -> None:
        self._endpoint = endpoint
        self._clock = clock
        self._flash = flash
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                ssl=_ssl_context(endpoint), resolver=_HostsResolver(hosts, port_forwards)
            ),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
        )

    async def __aenter__(self) -> HoupClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._session.close()

    def _check_status(self, response: aiohttp.ClientResponse) -> None:
        if response.status == 503 and response.headers.get(LIMIT_HEADER) == SERVER_SPEC_UP_LIMIT:
            where = self._endpoint.address.authority
            raise TransferError(
                UpgradeStatus.SERVER_SPEC_UP_LIMIT, f"{where} refused another connection"
            )
        if response.status >= 300:
            raise TransferError(
                UpgradeStatus.OTHER, f"houp answered {response.status} {response.reason}"
            )

    async def check_version(
        self, model: str, esn: str, software: str, patch: str | None
    ) -> VersionAnswer:
        """The HOUP's offer, NoVersionForModel when it has none for the model, or None when the
        running version is optimal (`offers.py` decides what of the answer the switch takes)."""
        body = {"model": model, "esn": esn, "software": software, "patch": patch}
        with classified(self._endpoint.address):
            url = self._endpoint.address.url(VERSION_CHECK_PATH)
            async with self._session.post(url, json=body) as response:
                if response.status == HTTPStatus.NOT_FOUND and says_unsupported_model(
                    await _read_at_most(response, MAX_REPLY_SIZE + 1)
                ):
                    return NoVersionForModel()
                self._check_status(response)
                reply = await _read_at_most(response, MAX_REPLY_SIZE + 1)
        try:
            return parse_version_reply(reply)
        except MalformedReplyError as exc:
            raise TransferError(UpgradeStatus.OTHER, f"malformed houp answer: {exc}") from exc

    async def _fetch(self, url: str, byte_range: tuple[int, int] | None = None) -> bytes:
        """A small body (a signature, a tail to compare), at most MAX_SIGNATURE_SIZE bytes."""
        headers = {} if byte_range is None else {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"}
        with classified(self._endpoint.address):
            async with self._session.get(
                self._endpoint.address.link(url), headers=headers
            ) as response:
                self._check_status(response)
                data = await _read_at_most(response, MAX_SIGNATURE_SIZE + 1)
                response.close()
        if len(data) > MAX_SIGNATURE_SIZE:
            raise TransferError(UpgradeStatus.FILE_CHECK_FAILED, f"{url}: too large")
        return data

    async def _existing(self, file: RemoteFile, have: int) -> _Existing:
        if file.size is None:
            remote = await self._fetch(file.url)
            local = self._flash.read(file.name, 0, have)
            return _Existing.CONSISTENT if local == remote else _Existing.INCONSISTENT
        if have == file.size:
            digest = await asyncio.to_thread(self._flash.sha256, file.name)
            return _Existing.CONSISTENT if digest == file.sha256 else _Existing.INCONSISTENT
        if have == 0 or have > file.size:
            return _Existing.INCONSISTENT
        # The bytes just before the breakpoint decide: a stale or damaged partial file differs.
        start = max(0, have - _TAIL)
        remote = await self._fetch(file.url, (start, have - 1))
        local = self._flash.read(file.name, start, have)
        return _Existing.RESUMABLE if local == remote else _Existing.INCONSISTENT

    async def download(self, file: RemoteFile, report: Report, progress: Progress) -> FileResult:
        """One file, as the switch's Info lines tell it: skip, resume or (re)download."""
        report(messages.downloading(file.name))
        with classified(self._endpoint.address):
            offset = 0
            have = self._flash.size(file.name)
            if have is not None:
                report(messages.FILE_EXISTS)
                existing = await self._existing(file, have)
                if existing is _Existing.CONSISTENT:
                    report(messages.FILE_CONSISTENT)
                    progress(have, have)
                    return FileResult(0, 0.0, skipped=True)
                if existing is _Existing.RESUMABLE:
                    report(messages.resume_from(have))
                    offset = have
                else:
                    report(messages.FILE_INCONSISTENT)
                    self._flash.delete(file.name)
            started = self._clock.monotonic()
            received = await self._transfer(file, offset, progress)
        seconds = self._clock.monotonic() - started
        report(messages.percent(100))
        report(messages.received(received, seconds))
        return FileResult(received, seconds, skipped=False)

    async def _transfer(self, file: RemoteFile, offset: int, progress: Progress) -> int:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        async with self._session.get(
            self._endpoint.address.link(file.url), headers=headers
        ) as response:
            self._check_status(response)
            if offset and response.status != 206:
                offset = 0  # the server sent the whole file: start again
            size = file.size
            if size is None:
                size = response.content_length
                if size is None or size > MAX_SIGNATURE_SIZE:
                    raise TransferError(
                        UpgradeStatus.FILE_CHECK_FAILED, f"{file.name}: not a signature"
                    )
            writer = self._flash.writer(file.name, offset=offset)
            with writer:
                received = await self._copy(response, writer, size, progress)
            # Endless data: what follows the announced size is never read.
            response.close()
        return received

    async def _copy(
        self,
        response: aiohttp.ClientResponse,
        writer: FlashWriter,
        size: int,
        progress: Progress,
    ) -> int:
        received = 0
        progress(writer.position, size)
        while writer.position < size:
            chunk = await response.content.read(min(_CHUNK, size - writer.position))
            if not chunk:
                raise TransferError(
                    UpgradeStatus.NET_ERROR,
                    f"{writer.name}: the connection ended after {writer.position} of {size} bytes",
                )
            writer.write(chunk)
            received += len(chunk)
            progress(writer.position, size)
        return received
