"""The asyncio client: the synchronous client's calls run in worker threads.

Why threads and not a native asyncssh client: the SDK's promise is ncclient underneath (device
handlers, capabilities, ``RPCError``, a ``Manager`` the caller can reach). A second NETCONF stack
on asyncssh would duplicate framing, hello and reply matching, and diverge from what users
already run. The cost of a thread hop is tens of microseconds next to a round trip, ncclient
matches replies by message-id, so concurrent calls from many tasks share one session safely, and
``wait`` sleeps on the event loop between polls, so cancelling its task stops it promptly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from lxml import etree

from smartupgrade_client import parsers
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import ConnectionLost, WaitTimeout
from smartupgrade_client.messages import Datastore
from smartupgrade_client.progress import ProgressCallback, ProgressTracker, is_final, outcome
from smartupgrade_client.results import OperationStarted
from smartupgrade_client.transport import DEFAULT_PORT
from smartupgrade_model.convert import SslPolicy
from smartupgrade_model.model import (
    CancellationStatus,
    SmartUpgrade,
    UpgradeInformation,
    UpgradeTarget,
    VersionInformation,
)


class AsyncSmartUpgradeClient:
    """Smart upgrade of one switch, for asyncio. Same methods as
    :class:`~smartupgrade_client.client.SmartUpgradeClient`, awaitable."""

    def __init__(self, client: SmartUpgradeClient) -> None:
        self._client = client

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        username: str,
        password: str | None = None,
        key_filename: str | Sequence[str] | None = None,
        hostkey_verify: bool = True,
        hostkey_b64: str | None = None,
        look_for_keys: bool = False,
        allow_agent: bool = False,
        timeout: float = 30.0,
        device_params: Mapping[str, Any] | None = None,
    ) -> Self:
        """Open a session (see :meth:`SmartUpgradeClient.connect`)."""
        client = await asyncio.to_thread(
            SmartUpgradeClient.connect,
            host,
            port,
            username=username,
            password=password,
            key_filename=key_filename,
            hostkey_verify=hostkey_verify,
            hostkey_b64=hostkey_b64,
            look_for_keys=look_for_keys,
            allow_agent=allow_agent,
            timeout=timeout,
            device_params=device_params,
        )
        return cls(client)

    @classmethod
    def from_manager(cls, manager: Any) -> Self:
        """Use an open ncclient ``Manager``; :meth:`close` leaves it open."""
        return cls(SmartUpgradeClient.from_manager(manager))

    @property
    def sync(self) -> SmartUpgradeClient:
        """The synchronous client underneath."""
        return self._client

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)

    async def reconnect(self, *, timeout: float, interval: float = 0.5) -> None:
        """A new session after the switch went away (see :meth:`SmartUpgradeClient.reconnect`)."""
        await asyncio.to_thread(self._client.reconnect, timeout=timeout, interval=interval)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def call(self, request: etree._Element) -> etree._Element:
        return await asyncio.to_thread(self._client.call, request)

    async def read(self, *, refresh: bool = False) -> SmartUpgrade:
        return await asyncio.to_thread(self._client.read, refresh=refresh)

    async def read_config(self, source: Datastore = "running") -> SmartUpgrade:
        return await asyncio.to_thread(self._client.read_config, source)

    async def upgrade_information(self) -> UpgradeInformation:
        return await asyncio.to_thread(self._client.upgrade_information)

    async def ssl_policies(self) -> tuple[SslPolicy, ...]:
        return await asyncio.to_thread(self._client.ssl_policies)

    async def refresh(self) -> VersionInformation:
        return await asyncio.to_thread(self._client.refresh)

    async def configure(self, *changes: Edit, target: Datastore = "running") -> None:
        await asyncio.to_thread(self._client.configure, *changes, target=target)

    async def set_url(self, host: str) -> None:
        await asyncio.to_thread(self._client.set_url, host)

    async def undo_url(self) -> None:
        await asyncio.to_thread(self._client.undo_url)

    async def set_https_port(self, port: int) -> None:
        await asyncio.to_thread(self._client.set_https_port, port)

    async def undo_https_port(self) -> None:
        await asyncio.to_thread(self._client.undo_https_port)

    async def set_ssl_policy(self, name: str) -> None:
        await asyncio.to_thread(self._client.set_ssl_policy, name)

    async def undo_ssl_policy(self) -> None:
        await asyncio.to_thread(self._client.undo_ssl_policy)

    async def disable_verify_server(self) -> None:
        await asyncio.to_thread(self._client.disable_verify_server)

    async def undo_disable_verify_server(self) -> None:
        await asyncio.to_thread(self._client.undo_disable_verify_server)

    async def disable_web_prompt(self) -> None:
        await asyncio.to_thread(self._client.disable_web_prompt)

    async def undo_disable_web_prompt(self) -> None:
        await asyncio.to_thread(self._client.undo_disable_web_prompt)

    async def enable(self) -> None:
        await asyncio.to_thread(self._client.enable)

    async def disable(self) -> None:
        await asyncio.to_thread(self._client.disable)

    async def enable_ap(self) -> None:
        await asyncio.to_thread(self._client.enable_ap)

    async def disable_ap(self) -> None:
        await asyncio.to_thread(self._client.disable_ap)

    async def schedule(
        self, download_at: datetime | str, reboot_at: datetime | str | None = None
    ) -> None:
        await asyncio.to_thread(self._client.schedule, download_at, reboot_at)

    async def unschedule(self) -> None:
        await asyncio.to_thread(self._client.unschedule)

    async def create_ssl_policy(self, name: str, trusted_ca: Iterable[str] = ()) -> None:
        await asyncio.to_thread(self._client.create_ssl_policy, name, tuple(trusted_ca))

    async def delete_ssl_policy(self, name: str) -> None:
        await asyncio.to_thread(self._client.delete_ssl_policy, name)

    async def download(self, target: UpgradeTarget | None = None) -> OperationStarted:
        return await asyncio.to_thread(self._client.download, target)

    async def right_now(self, target: UpgradeTarget | None = None) -> OperationStarted:
        return await asyncio.to_thread(self._client.right_now, target)

    async def cancel(self) -> CancellationStatus:
        return await asyncio.to_thread(self._client.cancel)

    async def wait(
        self,
        *,
        progress: ProgressCallback | None = None,
        poll_interval: float = 0.2,
        timeout: float | None = None,
    ) -> UpgradeInformation:
        """See :meth:`SmartUpgradeClient.wait`; ``progress`` runs on the event loop."""
        tracker = ProgressTracker(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        if await asyncio.to_thread(self._client.subscribe_to_progress):
            return await self._follow(tracker, deadline, poll_interval, timeout)
        while True:
            information = await self.upgrade_information()
            tracker.update(information)
            if is_final(information):
                return outcome(information)
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
            await asyncio.sleep(poll_interval)

    async def _follow(
        self,
        tracker: ProgressTracker,
        deadline: float | None,
        poll_interval: float,
        timeout: float | None,
    ) -> UpgradeInformation:
        # Each take blocks a worker thread for at most poll_interval, so many switches can be
        # followed at once without holding the pool.
        manager = self._client.manager
        while await asyncio.to_thread(manager.take_notification, False) is not None:
            pass
        information = await self.upgrade_information()
        tracker.update(information)
        while not is_final(information):
            notification = await asyncio.to_thread(manager.take_notification, True, poll_interval)
            if notification is not None:
                event = parsers.notification_content(notification.notification_xml)
                if event is not None and tracker.notified(event):
                    information = await self.upgrade_information()
                continue
            if not manager.connected:
                raise ConnectionLost("the session ended while waiting for the operation")
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
        return outcome(information)
