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

from smartupgrade_client import parsers, push
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import ConnectionLost, UpgradeFailed, WaitTimeout, upgrade_failure
from smartupgrade_client.messages import Datastore
from smartupgrade_client.progress import ProgressCallback, ProgressTracker, is_final, outcome
from smartupgrade_client.push import PushMirror
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

    @property
    def has_smart_upgrade(self) -> bool:
        return self._client.has_smart_upgrade

    def require_smart_upgrade(self) -> None:
        self._client.require_smart_upgrade()

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

    async def upgrade_information(
        self, target: UpgradeTarget = UpgradeTarget.SWITCH
    ) -> UpgradeInformation:
        return await asyncio.to_thread(self._client.upgrade_information, target)

    async def ssl_policies(self) -> tuple[SslPolicy, ...]:
        return await asyncio.to_thread(self._client.ssl_policies)

    async def refresh(self) -> VersionInformation:
        return await asyncio.to_thread(self._client.refresh)

    async def configure(self, *changes: Edit, target: Datastore = "running") -> None:
        await asyncio.to_thread(self._client.configure, *changes, target=target)

    # --- generated by tools/codegen from smartupgrade_model.commands: do not edit ---
    async def set_url(self, host: str) -> None:
        """``smart-upgrade url host``: configures the URL of a proxy server.

        ``host``: URL or IP address of a proxy server (``/smart-upgrade/url``).
        """
        await asyncio.to_thread(self._client.set_url, host)

    async def undo_url(self) -> None:
        """``undo smart-upgrade url``: cancels the configured URL of a proxy server.

        Removes the node, which brings back the module's default, ``s.houp.huawei.com``.
        """
        await asyncio.to_thread(self._client.undo_url)

    async def set_https_port(self, port: int) -> None:
        """``smart-upgrade https-port https-port``: configures the HTTPS port number of a proxy
        server.

        ``port``: HTTPS port number of a proxy server (``/smart-upgrade/https-port``).
        """
        await asyncio.to_thread(self._client.set_https_port, port)

    async def undo_https_port(self) -> None:
        """``undo smart-upgrade https-port``: cancels the configured HTTPS port number of a proxy
        server.

        Removes the node, which brings back the module's default, ``443``.
        """
        await asyncio.to_thread(self._client.undo_https_port)

    async def set_ssl_policy(self, name: str) -> None:
        """``smart-upgrade ssl-policy policy-name``: binds an SSL policy to smart upgrade.

        ``name``: name of an SSL policy (``/smart-upgrade/ssl-policy``); compared in any case, sent
        in lower case.
        """
        await asyncio.to_thread(self._client.set_ssl_policy, name)

    async def undo_ssl_policy(self) -> None:
        """``undo smart-upgrade ssl-policy``: unbinds an SSL policy from smart upgrade.

        Removes the node, which brings back the module's default.
        """
        await asyncio.to_thread(self._client.undo_ssl_policy)

    async def disable_verify_server(self) -> None:
        """``smart-upgrade verify-server disable``: disables the server certificate verification
        function.
        """
        await asyncio.to_thread(self._client.disable_verify_server)

    async def undo_disable_verify_server(self) -> None:
        """``undo smart-upgrade verify-server disable``: enables the server certificate verification
        function.

        Removes the node, which brings back the module's default, ``true``.
        """
        await asyncio.to_thread(self._client.undo_disable_verify_server)

    async def disable_web_prompt(self) -> None:
        """``smart-upgrade web-prompt disable``: disables web prompt for smart upgrade."""
        await asyncio.to_thread(self._client.disable_web_prompt)

    async def undo_disable_web_prompt(self) -> None:
        """``undo smart-upgrade web-prompt disable``: enables web prompt for smart upgrade.

        Removes the node, which brings back the module's default, ``true``.
        """
        await asyncio.to_thread(self._client.undo_disable_web_prompt)

    async def enable(self) -> None:
        """``smart-upgrade enable``: enables smart upgrade.

        The server checks: Smart upgrade cannot be enabled before an SSL policy is bound
        (smart-upgrade ssl-policy policy-name).
        """
        await asyncio.to_thread(self._client.enable)

    async def disable(self) -> None:
        """``undo smart-upgrade enable``: disables smart upgrade.

        Removes the node, which brings back the module's default, ``false``.
        """
        await asyncio.to_thread(self._client.disable)

    async def enable_ap(self) -> None:
        """``smart-upgrade ap enable``: enables smart upgrade for APs.

        Only on models with the ``ap-upgrade`` feature.

        The server checks: Smart upgrade for APs cannot be enabled before smart upgrade is enabled
        (smart-upgrade enable).
        """
        await asyncio.to_thread(self._client.enable_ap)

    async def disable_ap(self) -> None:
        """``undo smart-upgrade ap enable``: disables smart upgrade for APs.

        Removes the node, which brings back the module's default, ``false``.
        """
        await asyncio.to_thread(self._client.disable_ap)

    async def schedule(
        self, download_at: datetime | str, reboot_at: datetime | str | None = None
    ) -> None:
        """``smart-upgrade schedule download at download-time [ reboot at reboot-time ]``:
        configures the scheduled smart upgrade function on a switch.

        ``download_at``: time when a switch downloads system files
        (``/smart-upgrade/schedule/download-at``); a naive ``datetime`` in the switch's local time,
        or the seed's ``YYYY-MM-DD HH:MM:SS`` with fields padded or not.

        ``reboot_at``: time when a switch restarts after an upgrade
        (``/smart-upgrade/schedule/reboot-at``); a naive ``datetime`` in the switch's local time, or
        the seed's ``YYYY-MM-DD HH:MM:SS`` with fields padded or not; may be left out.

        Replaces the whole ``schedule``, an earlier one too.

        The server checks: The reboot time must be later than the download time.
        """
        await asyncio.to_thread(self._client.schedule, download_at, reboot_at)

    async def unschedule(self) -> None:
        """``undo smart-upgrade schedule``: disables the scheduled smart upgrade function on a
        switch.

        Removes the node, which brings back the module's default.
        """
        await asyncio.to_thread(self._client.unschedule)

    # --- end of the generated code ---

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
        target: UpgradeTarget = UpgradeTarget.SWITCH,
    ) -> UpgradeInformation:
        """See :meth:`SmartUpgradeClient.wait`; ``progress`` runs on the event loop."""
        tracker = ProgressTracker(progress, target)
        deadline = None if timeout is None else time.monotonic() + timeout
        mirror = await asyncio.to_thread(self._client.subscribe_to_upgrade, target)
        if mirror is not None:
            try:
                return await self._follow_changes(
                    mirror, tracker, deadline, poll_interval, timeout, target=target
                )
            except UpgradeFailed as failed:
                said = await self.last_word(failed.information, mirror.time, target)
                if said is None:
                    raise
                raise upgrade_failure(failed.information, said) from None
            finally:
                await asyncio.to_thread(self._client.unsubscribe, mirror)
        if await asyncio.to_thread(self._client.subscribe_to_progress):
            return await self._follow(tracker, deadline, poll_interval, timeout, target)
        while True:
            information = await self.upgrade_information(target)
            tracker.update(information)
            if is_final(information):
                return outcome(information)
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
            await asyncio.sleep(poll_interval)

    async def last_word(
        self,
        information: UpgradeInformation,
        since: str | None,
        target: UpgradeTarget = UpgradeTarget.SWITCH,
    ) -> str | None:
        """See :meth:`SmartUpgradeClient.last_word`."""
        return await asyncio.to_thread(self._client.last_word, information, since, target)

    async def offers_yang_push(self) -> bool:
        return await asyncio.to_thread(self._client.offers_yang_push)

    async def subscribe_to_changes(
        self, xpath: str = push.WHOLE, *, datastore: str = "operational", dampening: int = 0
    ) -> PushMirror:
        """See :meth:`SmartUpgradeClient.subscribe_to_changes`."""
        return await asyncio.to_thread(
            self._client.subscribe_to_changes, xpath, datastore=datastore, dampening=dampening
        )

    async def take_update(self, mirror: PushMirror, timeout: float) -> bool:
        """See :meth:`SmartUpgradeClient.take_update`; blocks a worker thread at most
        ``timeout`` seconds."""
        return await asyncio.to_thread(self._client.take_update, mirror, timeout)

    async def unsubscribe(self, mirror: PushMirror) -> None:
        await asyncio.to_thread(self._client.unsubscribe, mirror)

    async def _follow_changes(
        self,
        mirror: PushMirror,
        tracker: ProgressTracker,
        deadline: float | None,
        poll_interval: float,
        timeout: float | None,
        *,
        target: UpgradeTarget,
    ) -> UpgradeInformation:
        information: UpgradeInformation | None = None
        while True:
            try:
                updated = await self.take_update(mirror, poll_interval)
            except ConnectionLost:
                raise ConnectionLost("the session ended while waiting for the operation") from None
            if updated and mirror.synchronised:
                information = parsers.information_of(parsers.smart_upgrade_in(mirror.data), target)
                tracker.update(information)
                if is_final(information):
                    return outcome(information)
            elif deadline is not None and time.monotonic() >= deadline:
                status = "unknown" if information is None else information.upgrade_status
                raise WaitTimeout(f"still {status} after {timeout} s")

    async def _follow(
        self,
        tracker: ProgressTracker,
        deadline: float | None,
        poll_interval: float,
        timeout: float | None,
        target: UpgradeTarget,
    ) -> UpgradeInformation:
        # Each take blocks a worker thread for at most poll_interval, so many switches can be
        # followed at once without holding the pool.
        manager = self._client.manager
        while await asyncio.to_thread(manager.take_notification, False) is not None:
            pass
        information = await self.upgrade_information(target)
        tracker.update(information)
        while not is_final(information):
            notification = await asyncio.to_thread(manager.take_notification, True, poll_interval)
            if notification is not None:
                event = parsers.notification_content(notification.notification_xml)
                if event is not None and tracker.notified(event):
                    information = await self.upgrade_information(target)
                continue
            if not manager.connected:
                raise ConnectionLost("the session ended while waiting for the operation")
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
        return outcome(information, tracker.said(information))
