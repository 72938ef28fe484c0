"""The synchronous client: requests from :mod:`~smartupgrade_client.messages`, replies through
:mod:`~smartupgrade_client.parsers`, ncclient (with :class:`~smartupgrade_client.transport.
FastSSHSession`) in between, and ncclient's exceptions turned into the SDK's typed ones."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from lxml import etree
from ncclient.operations import RPCError, TimeoutExpiredError
from ncclient.transport.errors import AuthenticationError, SessionError, SSHError, TransportError

from smartupgrade_client import edits, messages, parsers, push
from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ConnectionLost,
    RpcFailed,
    RpcTimeout,
    SmartUpgradeError,
    UpgradeFailed,
    WaitTimeout,
    parse_rpc_error,
    rpc_failed,
    upgrade_failure,
)
from smartupgrade_client.messages import Datastore
from smartupgrade_client.progress import (
    ProgressCallback,
    ProgressTracker,
    is_final,
    offers_notifications,
    outcome,
)
from smartupgrade_client.push import PushMirror
from smartupgrade_client.results import OperationStarted
from smartupgrade_client.support import (
    check_supported,
    has_smart_upgrade,
    require_smart_upgrade,
)
from smartupgrade_client.transport import DEFAULT_PORT, connect_ssh
from smartupgrade_model.convert import SslPolicy
from smartupgrade_model.model import (
    CancellationStatus,
    SmartUpgrade,
    UpgradeInformation,
    UpgradeTarget,
    VersionInformation,
)

T = TypeVar("T")

_NCCLIENT_ERRORS = (RPCError, TimeoutExpiredError, TransportError, OSError)
# A replay of what the log holds comes at once; this bounds a switch that never ends it.
_REPLAY_TIMEOUT = 5.0


def from_ncclient(error: RPCError) -> RpcFailed:
    """The typed exception for an ncclient ``RPCError``, with every error of the reply."""
    # ncclient keeps one rpc-error element per RPCError; several errors come as .errors.
    elements = [each.xml for each in getattr(error, "errors", None) or [error]]
    return rpc_failed(parse_rpc_error(element) for element in elements)


@contextmanager
def _typed_errors() -> Iterator[None]:
    try:
        yield
    except RPCError as error:
        raise from_ncclient(error) from error
    except TimeoutExpiredError as error:
        raise RpcTimeout(str(error)) from error
    except TransportError as error:
        raise ConnectionLost(str(error) or type(error).__name__) from error


def connect_manager(
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
) -> Any:
    """An ncclient ``Manager`` on the fast transport, with connection failures typed."""
    try:
        return connect_ssh(
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
            device_params=dict(device_params) if device_params is not None else None,
        )
    except AuthenticationError as error:
        refused = "the switch refused the credentials"
        raise AuthenticationFailed(f"{username}@{host}:{port}: {refused}") from error
    except (SSHError, SessionError, TransportError, OSError) as error:
        raise ConnectionFailed(f"{host}:{port}: {_reason(error)}") from error


def _reason(error: Exception) -> str:
    """A connection failure in words: the system's (``Connection refused``) or ncclient's, not
    an exception's representation."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(error) or type(error).__name__


class SmartUpgradeClient:
    """Smart upgrade of one switch over NETCONF.

    Open with :meth:`connect` (the fast transport) or wrap an ncclient ``Manager`` you already
    have with :meth:`from_manager` (its own transport is kept: create it with
    :func:`smartupgrade_client.transport.connect_ssh` to avoid ncclient's 100 ms tick).
    Safe to share between threads: ncclient matches replies to requests by message-id.
    """

    def __init__(
        self,
        manager: Any,
        *,
        owns_manager: bool,
        reconnect_with: Callable[[], Any] | None = None,
    ) -> None:
        self._manager = manager
        self._owns_manager = owns_manager
        self._reconnect_with = reconnect_with
        # the manager whose session has our subscription (a session has at most one)
        self._subscribed: Any = None
        # the manager whose switch was asked whether it offers YANG-push, and the answer
        self._yang_push: tuple[Any, bool] | None = None

    @classmethod
    def connect(
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
        """Open a session. ``hostkey_verify`` checks ``~/.ssh/known_hosts`` (or pin the key with
        ``hostkey_b64``); ``timeout`` bounds the connection and each reply."""

        def open_manager() -> Any:
            return connect_manager(
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

        return cls(open_manager(), owns_manager=True, reconnect_with=open_manager)

    @classmethod
    def from_manager(cls, manager: Any) -> Self:
        """Use an open ncclient ``Manager``; :meth:`close` leaves it open."""
        return cls(manager, owns_manager=False)

    @property
    def manager(self) -> Any:
        """The ncclient ``Manager`` underneath, for operations the SDK does not cover."""
        return self._manager

    @property
    def has_smart_upgrade(self) -> bool:
        """Whether the switch has Smart Upgrade, as its hello says (a hello that announces no
        module at all says nothing: True)."""
        return has_smart_upgrade(self._manager.server_capabilities)

    def require_smart_upgrade(self) -> None:
        """Raise :class:`~smartupgrade_client.errors.SmartUpgradeUnsupported` when the switch
        has no Smart Upgrade (see :attr:`has_smart_upgrade`); every request of the module does
        so before it is sent."""
        require_smart_upgrade(self._manager.server_capabilities)

    def close(self) -> None:
        """Close the session (``<close-session>``) if this client opened it."""
        if self._owns_manager and self._manager.connected:
            with _typed_errors():
                self._manager.close_session()

    def reconnect(self, *, timeout: float, interval: float = 0.5) -> None:
        """Open a new session with the arguments of :meth:`connect`, retrying every
        ``interval`` seconds until the switch accepts one (after ``right-now`` it reboots and
        its server is gone for a while); :class:`ConnectionFailed` once ``timeout`` seconds
        have passed. Refused credentials are not retried. A client made by
        :meth:`from_manager` cannot reconnect: it does not know how its manager was opened."""
        if self._reconnect_with is None:
            raise ConnectionFailed("a client made from a manager cannot reconnect")
        if self._manager.connected:
            # The old session may still look open while the switch goes down; it is replaced.
            with suppress(SmartUpgradeError, *_NCCLIENT_ERRORS):
                self._manager.close_session()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._manager = self._reconnect_with()
                return
            except AuthenticationFailed:
                raise
            except ConnectionFailed:
                if time.monotonic() + interval >= deadline:
                    raise
            time.sleep(interval)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the one place a request goes out ----------------------------------------------------

    def call(self, request: etree._Element) -> etree._Element:
        """Send one operation and return its ``<rpc-reply>``, raising the typed exceptions of
        :mod:`smartupgrade_client.errors` (whatever ``raise_mode`` the manager has);
        :class:`~smartupgrade_client.errors.SmartUpgradeUnsupported`, before anything is sent,
        for a request of the smart-upgrade module to a switch whose hello lacks it."""
        check_supported(self._manager.server_capabilities, request)
        with _typed_errors():
            reply = self._manager.dispatch(request)
        return parsers.parse_reply(reply.xml)

    def _run(self, request: etree._Element, parse: Callable[[etree._Element], T]) -> T:
        return parse(self.call(request))

    # -- reading -----------------------------------------------------------------------------

    def read(self, *, refresh: bool = False) -> SmartUpgrade:
        """Configuration and state of ``/smart-upgrade``. ``refresh=True`` first checks the
        version with the HOUP, as ``display smart-upgrade information`` does (the seed warns that
        doing so often may affect smart upgrade)."""
        if refresh:
            self.refresh()
        return self._run(messages.get(), parsers.smart_upgrade)

    def read_config(self, source: Datastore = "running") -> SmartUpgrade:
        """Only the configuration, from a datastore; state fields keep their defaults."""
        return self._run(messages.get_config(source), parsers.smart_upgrade)

    def upgrade_information(
        self, target: UpgradeTarget = UpgradeTarget.SWITCH
    ) -> UpgradeInformation:
        """Only the upgrade information of ``target`` (what ``wait`` polls): the switch's
        ``/smart-upgrade/upgrade-information``, or its AP's under ``ap-information``."""
        request = messages.get(messages.of_target("upgrade-information", target))
        return self._run(request, lambda reply: parsers.upgrade_information(reply, target))

    def ssl_policies(self) -> tuple[SslPolicy, ...]:
        """The switch's SSL policies."""
        return self._run(messages.get_config(ssl_policies=True), parsers.ssl_policies)

    def refresh(self) -> VersionInformation:
        """RPC ``refresh``: check the version with the HOUP now; returns the check's result
        (the version-check fields of ``VersionInformation``)."""
        return self._run(messages.refresh(), parsers.refresh)

    # -- configuration -----------------------------------------------------------------------

    def configure(self, *changes: Edit, target: Datastore = "running") -> None:
        """Apply edits from :mod:`smartupgrade_client.edits` in one ``<edit-config>``."""
        self._run(messages.edit_config(changes, target), parsers.ok)

    # --- generated by tools/codegen from smartupgrade_model.commands: do not edit ---
    def set_url(self, host: str) -> None:
        """``smart-upgrade url host``: configures the URL of a proxy server.

        ``host``: URL or IP address of a proxy server (``/smart-upgrade/url``).
        """
        self.configure(edits.set_url(host))

    def undo_url(self) -> None:
        """``undo smart-upgrade url``: cancels the configured URL of a proxy server.

        Removes the node, which brings back the module's default, ``s.houp.huawei.com``.
        """
        self.configure(edits.undo_url())

    def set_https_port(self, port: int) -> None:
        """``smart-upgrade https-port https-port``: configures the HTTPS port number of a proxy
        server.

        ``port``: HTTPS port number of a proxy server (``/smart-upgrade/https-port``).
        """
        self.configure(edits.set_https_port(port))

    def undo_https_port(self) -> None:
        """``undo smart-upgrade https-port``: cancels the configured HTTPS port number of a proxy
        server.

        Removes the node, which brings back the module's default, ``443``.
        """
        self.configure(edits.undo_https_port())

    def set_ssl_policy(self, name: str) -> None:
        """``smart-upgrade ssl-policy policy-name``: binds an SSL policy to smart upgrade.

        ``name``: name of an SSL policy (``/smart-upgrade/ssl-policy``); compared in any case, sent
        in lower case.
        """
        self.configure(edits.set_ssl_policy(name))

    def undo_ssl_policy(self) -> None:
        """``undo smart-upgrade ssl-policy``: unbinds an SSL policy from smart upgrade.

        Removes the node, which brings back the module's default.
        """
        self.configure(edits.undo_ssl_policy())

    def disable_verify_server(self) -> None:
        """``smart-upgrade verify-server disable``: disables the server certificate verification
        function.
        """
        self.configure(edits.disable_verify_server())

    def undo_disable_verify_server(self) -> None:
        """``undo smart-upgrade verify-server disable``: enables the server certificate verification
        function.

        Removes the node, which brings back the module's default, ``true``.
        """
        self.configure(edits.undo_disable_verify_server())

    def disable_web_prompt(self) -> None:
        """``smart-upgrade web-prompt disable``: disables web prompt for smart upgrade."""
        self.configure(edits.disable_web_prompt())

    def undo_disable_web_prompt(self) -> None:
        """``undo smart-upgrade web-prompt disable``: enables web prompt for smart upgrade.

        Removes the node, which brings back the module's default, ``true``.
        """
        self.configure(edits.undo_disable_web_prompt())

    def enable(self) -> None:
        """``smart-upgrade enable``: enables smart upgrade.

        The server checks: Smart upgrade cannot be enabled before an SSL policy is bound
        (smart-upgrade ssl-policy policy-name).
        """
        self.configure(edits.enable())

    def disable(self) -> None:
        """``undo smart-upgrade enable``: disables smart upgrade.

        Removes the node, which brings back the module's default, ``false``.
        """
        self.configure(edits.disable())

    def enable_ap(self) -> None:
        """``smart-upgrade ap enable``: enables smart upgrade for APs.

        Only on models with the ``ap-upgrade`` feature.

        The server checks: Smart upgrade for APs cannot be enabled before smart upgrade is enabled
        (smart-upgrade enable).
        """
        self.configure(edits.enable_ap())

    def disable_ap(self) -> None:
        """``undo smart-upgrade ap enable``: disables smart upgrade for APs.

        Removes the node, which brings back the module's default, ``false``.
        """
        self.configure(edits.disable_ap())

    def schedule(
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
        self.configure(edits.schedule(download_at, reboot_at))

    def unschedule(self) -> None:
        """``undo smart-upgrade schedule``: disables the scheduled smart upgrade function on a
        switch.

        Removes the node, which brings back the module's default.
        """
        self.configure(edits.unschedule())

    # --- end of the generated code ---

    def create_ssl_policy(self, name: str, trusted_ca: Iterable[str] = ()) -> None:
        self.configure(edits.create_ssl_policy(name, trusted_ca))

    def delete_ssl_policy(self, name: str) -> None:
        self.configure(edits.delete_ssl_policy(name))

    # -- operations --------------------------------------------------------------------------

    def download(self, target: UpgradeTarget | None = None) -> OperationStarted:
        """RPC ``download``; returns once the operation has started (see :meth:`wait`)."""
        return self._run(messages.download(target), parsers.operation_started)

    def right_now(self, target: UpgradeTarget | None = None) -> OperationStarted:
        """RPC ``right-now``: download, then reboot; the reboot ends this session."""
        return self._run(messages.right_now(target), parsers.operation_started)

    def cancel(self) -> CancellationStatus:
        """RPC ``cancel``: stop the running download or upgrade."""
        return self._run(messages.cancel(), parsers.cancel)

    def wait(
        self,
        *,
        progress: ProgressCallback | None = None,
        poll_interval: float = 0.2,
        timeout: float | None = None,
        target: UpgradeTarget = UpgradeTarget.SWITCH,
    ) -> UpgradeInformation:
        """Block until no operation of ``target`` is running (give the ``target`` of the
        :class:`OperationStarted` that ``download`` or ``right_now`` returned); return its final
        upgrade information, or raise :class:`~smartupgrade_client.errors.UpgradeFailed`
        (``UpgradeCancelled`` for a cancellation). ``progress`` gets each change of a file's
        percent and rate.

        When the switch offers YANG-push (RFC 8641) with on-change, this session follows an
        on-change subscription to the target's ``upgrade-information`` until the status is
        final, then deletes it. Otherwise, when it offers notifications (RFC 5277), the session
        subscribes once to the module's ``download-progress`` and ``upgrade-status-changed``
        and follows them; otherwise, or if both are refused, it polls ``<get>`` every
        ``poll_interval`` seconds.
        """
        tracker = ProgressTracker(progress, target)
        deadline = None if timeout is None else time.monotonic() + timeout
        mirror = self.subscribe_to_upgrade(target)
        if mirror is not None:
            try:
                return self._follow_changes(
                    mirror, tracker, deadline, poll_interval, timeout, target=target
                )
            except UpgradeFailed as failed:
                said = self.last_word(failed.information, mirror.time, target)
                if said is None:
                    raise
                raise upgrade_failure(failed.information, said) from None
            finally:
                self.unsubscribe(mirror)
        if self.subscribe_to_progress():
            return self._follow(tracker, deadline, poll_interval, timeout, target)
        while True:
            information = self.upgrade_information(target)
            tracker.update(information)
            if is_final(information):
                return outcome(information)
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
            time.sleep(poll_interval)

    def last_word(
        self,
        information: UpgradeInformation,
        since: str | None,
        target: UpgradeTarget = UpgradeTarget.SWITCH,
    ) -> str | None:
        """What the switch said as ``target``'s status became ``information``'s: the message
        of its ``upgrade-status-changed``, replayed (RFC 8639) from ``since``, the
        ``eventTime`` of the update that showed it; None when the switch cannot tell (no
        replay, or a user NACM keeps from the notification)."""
        if since is None:
            return None
        try:
            identifier = push.subscription_id(self.call(push.establish_status_replay(since)))
        except (SmartUpgradeError, ValueError):
            return None
        said = None
        end = time.monotonic() + _REPLAY_TIMEOUT
        try:
            while (left := end - time.monotonic()) > 0:
                notification = self._manager.take_notification(block=True, timeout=left)
                if notification is None:
                    break
                event = parsers.notification_content(notification.notification_xml)
                if event is None:
                    continue
                if push.replay_completed(event, identifier):
                    break
                said = push.status_message(event, target, information.upgrade_status) or said
        finally:
            if self._manager.connected:
                with suppress(SmartUpgradeError):
                    self.call(push.delete_subscription(identifier))
        return said

    def offers_yang_push(self) -> bool:
        """Whether the switch offers on-change subscriptions (RFC 8641's ietf-yang-push with
        its ``on-change`` feature, in the yang-library); asked once per session."""
        if self._yang_push is not None and self._yang_push[0] is self._manager:
            return self._yang_push[1]
        offered = False
        if any(
            capability.strip().startswith(push.YANG_LIBRARY_CAPABILITY)
            for capability in self._manager.server_capabilities
        ):
            with suppress(RpcFailed):
                offered = push.offers_on_change(self.call(push.yang_push_module()))
        self._yang_push = (self._manager, offered)
        return offered

    def subscribe_to_changes(
        self, xpath: str = push.WHOLE, *, datastore: str = "operational", dampening: int = 0
    ) -> PushMirror:
        """An on-change subscription (RFC 8641) to what ``xpath`` selects (prefix ``su``: the
        smart-upgrade module) of ``datastore``; the returned mirror holds the selection once
        it has taken the first update, and each change after it (see
        :meth:`PushMirror.apply`, fed with :meth:`take_update`)."""
        reply = self.call(push.establish_on_change(xpath, datastore=datastore, dampening=dampening))
        return PushMirror(push.subscription_id(reply))

    def take_update(self, mirror: PushMirror, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the next notification; True if it was an update
        of ``mirror``'s subscription, which it then holds. :class:`ConnectionLost` once the
        session has ended."""
        notification = self._manager.take_notification(block=True, timeout=timeout)
        if notification is None:
            if not self._manager.connected:
                raise ConnectionLost("the session ended")
            return False
        raw = notification.notification_xml
        event = parsers.notification_content(raw)
        return event is not None and mirror.apply(event, parsers.notification_time(raw))

    def unsubscribe(self, mirror: PushMirror) -> None:
        """Delete the subscription of ``mirror``, if its session is still open."""
        if self._manager.connected:
            with suppress(SmartUpgradeError):
                self.call(push.delete_subscription(mirror.id))

    def subscribe_to_upgrade(
        self, target: UpgradeTarget = UpgradeTarget.SWITCH
    ) -> PushMirror | None:
        """The on-change subscription wait() follows for ``target``; None where there is
        none."""
        if not self.offers_yang_push():
            return None
        xpath = push.xpath_of(messages.of_target("upgrade-information", target))
        try:
            return self.subscribe_to_changes(xpath)
        except RpcFailed:
            # e.g. this session already has an RFC 5277 subscription of its owner's
            return None

    def _follow_changes(  # the async client's is the same loop with awaits
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
                updated = self.take_update(mirror, poll_interval)
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

    def subscribe_to_progress(self) -> bool:
        """Subscribe this session, once, to the notifications :meth:`wait` follows; False when
        the server offers no notifications or refuses the subscription."""
        if self._subscribed is self._manager:
            return True
        if not offers_notifications(self._manager.server_capabilities):
            return False
        try:
            self.call(messages.create_subscription())
        except RpcFailed:
            # e.g. the manager already has a subscription of its owner's
            return False
        self._subscribed = self._manager
        return True

    def _follow(  # the async client's wait is the same loop with awaits
        self,
        tracker: ProgressTracker,
        deadline: float | None,
        poll_interval: float,
        timeout: float | None,
        target: UpgradeTarget,
    ) -> UpgradeInformation:
        # Older notifications are of earlier operations; what follows the <get> is news.
        while self._manager.take_notification(block=False) is not None:
            pass
        information = self.upgrade_information(target)
        tracker.update(information)
        while not is_final(information):
            # a bounded wait, to notice the deadline and a lost connection
            notification = self._manager.take_notification(block=True, timeout=poll_interval)
            if notification is not None:
                event = parsers.notification_content(notification.notification_xml)
                if event is not None and tracker.notified(event):
                    information = self.upgrade_information(target)
                continue
            if not self._manager.connected:
                raise ConnectionLost("the session ended while waiting for the operation")
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"still {information.upgrade_status} after {timeout} s")
        return outcome(information, tracker.said(information))
