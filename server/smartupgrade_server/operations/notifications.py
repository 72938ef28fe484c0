"""The ``NETCONF`` event stream (RFC 5277): create-subscription, replay, and the events.

Sources: the switch's events (the module's own notifications), commits of ``running`` (RFC 6470
``netconf-config-change``, including the switch's own edits), confirmed commits
(``netconf-confirmed-commit``), and session starts and ends.
Every notification is kept in a bounded log for replay and handed to each subscribed session
through its ``SessionContext.notify``, after the session's filter and NACM (a user receives
only the notifications it may read). Publishing never waits: the transport queues per session.
RFC 8639's subscriptions to this stream (operations/subscriptions.py) listen to it and read its
log; a session has subscriptions of one kind or the other, never both (RFC 8639 §1.4).

``netconf-capability-change`` is never sent: a switch's capabilities are fixed for its life
(its model decides its features, and a reboot drops every session).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from lxml import etree
from yangson.schemanode import LeafNode, NotificationNode

from smartupgrade_model.convert import cooked, field_name
from smartupgrade_model.model import MODULE, NAMESPACE
from smartupgrade_server.datastore.authorize import SYSTEM_SESSION
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import ChangeKind, DataPath
from smartupgrade_server.datastore.filters import (
    Filter,
    FilterContext,
    XPathFilter,
    parse_filter,
    superlinear,
)
from smartupgrade_server.datastore.store import (
    ConfigChange,
    ConfirmedCommitEvent,
    ConfirmEvent,
)
from smartupgrade_server.device.clock import TimerHandle
from smartupgrade_server.device.events import (
    DeviceEvent,
    DownloadProgress,
    ScheduleEvent,
    UpgradeStatusChanged,
    VersionChecked,
)
from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import (
    BadElementError,
    ErrorType,
    InUseError,
    InvalidValueError,
    MissingElementError,
    OperationFailedError,
)
from smartupgrade_server.netconf.notification import (
    NOTIFICATION_NS,
    notification_message,
    stream_marker,
)
from smartupgrade_server.netconf.registry import SessionContext, SessionRegistry, Termination
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

STREAM = "NETCONF"
NOTIFICATIONS_MODULE = "ietf-netconf-notifications"
# notifications kept for replay; the oldest go first
DEFAULT_LOG_SIZE = 1000

# RFC 6470 edit operations; any other change (an update, a move) is a replace
_EDIT_OPERATIONS = {ChangeKind.CREATE: "create", ChangeKind.DELETE: "delete"}

_DEVICE_NOTIFICATIONS: Mapping[type[Any], str] = {
    VersionChecked: "version-checked",
    DownloadProgress: "download-progress",
    UpgradeStatusChanged: "upgrade-status-changed",
    ScheduleEvent: "schedule-event",
}


class EventClock(Protocol):
    """The switch's clock: event times, and stopTime of a subscription."""

    def now(self) -> datetime: ...

    def call_at(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> TimerHandle: ...


class ReadAccess(Protocol):
    def readable(
        self, context: SessionContext, content: etree._Element, edits: Sequence[DataPath]
    ) -> etree._Element | None: ...

    def prune(self, context: SessionContext, data: etree._Element) -> None: ...

    def reads_everything(self, context: SessionContext) -> bool: ...


# what else a session may be subscribed to, by session id (RFC 8639's subscriptions)
OtherSubscriptions = Callable[[int], bool]


@dataclass(frozen=True)
class LoggedNotification:
    event_time: datetime
    content: etree._Element
    # a config change's: the data path of each <edit>, in order
    edits: tuple[DataPath, ...] = ()


@dataclass(eq=False)
class _Subscription:
    context: SessionContext
    filter: Filter | None
    stop: datetime | None
    timer: TimerHandle | None = field(default=None)


def _none(session_id: int) -> bool:
    return False


def _text(parent: etree._Element, name: str) -> str | None:
    element = parent.find(f"{{{NOTIFICATION_NS}}}{name}")
    return None if element is None else (element.text or "").strip()


class NotificationStream:
    """One switch's NETCONF stream; also a datastore ConfigSubscriber and a device observer."""

    def __init__(
        self,
        schema: Schema,
        clock: EventClock,
        access: ReadAccess | None = None,
        *,
        log_size: int = DEFAULT_LOG_SIZE,
    ) -> None:
        self.schema = schema
        self.clock = clock
        self.access = access
        self.log: deque[LoggedNotification] = deque(maxlen=log_size)
        # RFC 8639 §3.1 (/streams): when the log began, and the time of the newest record it
        # has dropped
        self.log_created = clock.now()
        self.log_aged: datetime | None = None
        self._listeners: list[Callable[[LoggedNotification], None]] = []
        self._others: OtherSubscriptions = _none
        self._subscriptions: dict[int, _Subscription] = {}
        self._sessions: dict[int, SessionContext] = {}
        # a subscription's XPath is bounded when it is accepted (create_subscription)
        self._filter_context = FilterContext(
            list_keys=schema.list_keys,
            module_prefixes=schema.xpath_prefixes,
            max_xpath_visits=None,
        )
        # a model without Smart Upgrade has no such module, and no emulator to emit its events
        self._module_ns = schema.namespace_of_module.get(MODULE, NAMESPACE)
        self._ncn_ns = schema.namespace_of_module[NOTIFICATIONS_MODULE]

    # --- wiring ---------------------------------------------------------------------------

    def register(self, register: Callable[[str, str, Any], None]) -> None:
        register(NOTIFICATION_NS, "create-subscription", self._create_subscription)

    def add_listener(self, listener: Callable[[LoggedNotification], None]) -> None:
        """Also give every notification published to ``listener``, after the log has it."""
        self._listeners.append(listener)

    def exclude(self, others: OtherSubscriptions) -> None:
        """Refuse create-subscription to a session that ``others`` says has subscriptions."""
        self._others = others

    def subscribed(self, session_id: int) -> bool:
        """Whether the session has an RFC 5277 subscription."""
        return session_id in self._subscriptions

    def attach(self, registry: SessionRegistry) -> None:
        """Follow the sessions of a (new) listener's registry."""
        registry.add_start_hook(self._session_started)
        registry.add_termination_hook(self._session_ended)

    # --- publishing -----------------------------------------------------------------------

    def publish(self, content: etree._Element, edits: tuple[DataPath, ...] = ()) -> None:
        logged = LoggedNotification(self.clock.now(), content, edits)
        if len(self.log) == self.log.maxlen:
            self.log_aged = self.log[0].event_time
        self.log.append(logged)
        for subscription in list(self._subscriptions.values()):
            self._deliver(subscription, logged)
        for listener in self._listeners:
            listener(logged)

    def readable(
        self, context: SessionContext, logged: LoggedNotification
    ) -> etree._Element | None:
        """The notification as the session's user may receive it (NACM), None if not at all."""
        if self.access is None:
            return logged.content
        return self.access.readable(context, logged.content, logged.edits)

    def selected(self, selection: Filter, content: etree._Element) -> etree._Element | None:
        """What ``selection`` selects of a notification's event element, None if nothing."""
        wrapper = etree.Element("data")
        wrapper.append(copy.deepcopy(content))
        chosen = selection.apply(wrapper, self._filter_context)
        return chosen[0] if len(chosen) else None

    def _deliver(self, subscription: _Subscription, logged: LoggedNotification) -> None:
        notify = subscription.context.notify
        assert notify is not None
        if subscription.stop is not None and logged.event_time > subscription.stop:
            return
        content = self.readable(subscription.context, logged)
        if content is not None and subscription.filter is not None:
            content = self.selected(subscription.filter, content)
        if content is not None:
            notify(notification_message(logged.event_time, content))

    def _marker(self, subscription: _Subscription, name: str) -> None:
        notify = subscription.context.notify
        assert notify is not None
        notify(notification_message(self.clock.now(), stream_marker(name)))

    # --- create-subscription --------------------------------------------------------------

    async def _create_subscription(
        self, context: SessionContext, request: RpcRequest
    ) -> ReplyContent:
        operation = request.operation
        if context.notify is None:
            raise OperationFailedError(
                ErrorType.PROTOCOL, message="this session cannot receive notifications"
            )
        if context.session_id in self._subscriptions:
            raise InUseError(
                ErrorType.PROTOCOL, message="a subscription is already active on this session"
            )
        if self._others(context.session_id):
            raise InUseError(
                ErrorType.PROTOCOL,
                message="this session has subscriptions of establish-subscription; RFC 8639 "
                "forbids both kinds on one session",
            )
        stream = _text(operation, "stream") or STREAM
        if stream != STREAM:
            raise InvalidValueError(
                ErrorType.APPLICATION, message=f"no stream {stream!r}; the only one is {STREAM!r}"
            )
        # RFC 5277 puts <filter> in its own namespace; clients also send the base one or none
        filter_element = next(
            (
                child
                for child in operation
                if isinstance(child.tag, str)
                and etree.QName(child).localname == "filter"
                and etree.QName(child).namespace in (NOTIFICATION_NS, BASE_NS, None)
            ),
            None,
        )
        parsed = None if filter_element is None else parse_filter(filter_element)
        if isinstance(parsed, XPathFilter):
            parsed.apply(etree.Element("data"), self._filter_context)
            why = superlinear(parsed.select)
            if why is not None:
                raise InvalidValueError(ErrorType.PROTOCOL, message=why)
        start = self._time(operation, "startTime")
        stop = self._time(operation, "stopTime")
        now = self.clock.now()
        if stop is not None and start is None:
            raise MissingElementError(
                ErrorType.PROTOCOL, "startTime", message="stopTime needs a startTime"
            )
        if start is not None and start > now:
            raise BadElementError(
                ErrorType.PROTOCOL, "startTime", message="startTime is in the future"
            )
        if start is not None and stop is not None and stop < start:
            raise BadElementError(
                ErrorType.PROTOCOL, "stopTime", message="stopTime is earlier than startTime"
            )
        subscription = _Subscription(context, parsed, stop)
        # Queued now, sent after this reply: the transport answers before it sends the
        # notifications that the handler queued (RFC 5277 §2.1.1).
        if start is not None:
            for logged in list(self.log):
                if logged.event_time >= start:
                    self._deliver(subscription, logged)
            self._marker(subscription, "replayComplete")
        if stop is not None and stop <= now:
            self._marker(subscription, "notificationComplete")
            return None
        self._subscriptions[context.session_id] = subscription
        if stop is not None:
            subscription.timer = self.clock.call_at(stop, self._stopper(subscription))
        return None

    def _stopper(self, subscription: _Subscription) -> Callable[[], Awaitable[None]]:
        async def stop() -> None:
            if self._subscriptions.get(subscription.context.session_id) is subscription:
                del self._subscriptions[subscription.context.session_id]
                self._marker(subscription, "notificationComplete")

        return stop

    @staticmethod
    def _time(operation: etree._Element, name: str) -> datetime | None:
        text = _text(operation, name)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadElementError(
                ErrorType.PROTOCOL, name, message=f"{text!r} is not a date-and-time"
            ) from None
        if parsed.tzinfo is None:
            raise BadElementError(
                ErrorType.PROTOCOL, name, message=f"{text!r} has no time zone offset"
            )
        return parsed

    # --- RFC 6470 sessions ----------------------------------------------------------------

    def _ncn(self, name: str) -> etree._Element:
        return etree.Element(
            f"{{{self._ncn_ns}}}{name}", nsmap=cast(Mapping[str, str], {None: self._ncn_ns})
        )

    def _session_parameters(self, parent: etree._Element, context: SessionContext) -> None:
        etree.SubElement(parent, f"{{{self._ncn_ns}}}username").text = context.username
        etree.SubElement(parent, f"{{{self._ncn_ns}}}session-id").text = str(context.session_id)
        etree.SubElement(parent, f"{{{self._ncn_ns}}}source-host").text = context.host

    def _session_started(self, context: SessionContext) -> None:
        self._sessions[context.session_id] = context
        if context.notify is None:
            return
        content = self._ncn("netconf-session-start")
        self._session_parameters(content, context)
        self.publish(content)

    def _session_ended(self, context: SessionContext, termination: Termination) -> None:
        self._sessions.pop(context.session_id, None)
        subscription = self._subscriptions.pop(context.session_id, None)
        if subscription is not None and subscription.timer is not None:
            subscription.timer.cancel()
        if context.notify is None:
            return
        content = self._ncn("netconf-session-end")
        self._session_parameters(content, context)
        if termination.killed_by is not None:
            etree.SubElement(content, f"{{{self._ncn_ns}}}killed-by").text = str(
                termination.killed_by
            )
        etree.SubElement(
            content, f"{{{self._ncn_ns}}}termination-reason"
        ).text = termination.reason.value
        self.publish(content)

    # --- RFC 6470 config changes (a datastore ConfigSubscriber) -----------------------------

    def prepare(self, change: ConfigChange) -> None:
        """Nothing to veto."""

    def abort(self, change: ConfigChange) -> None:
        """Nothing was prepared."""

    def commit(self, change: ConfigChange) -> None:
        content = self._ncn("netconf-config-change")
        changed_by = etree.SubElement(content, f"{{{self._ncn_ns}}}changed-by")
        context = self._sessions.get(change.session_id)
        if change.session_id == SYSTEM_SESSION or context is None:
            etree.SubElement(changed_by, f"{{{self._ncn_ns}}}server")
        else:
            self._session_parameters(changed_by, context)
        etree.SubElement(content, f"{{{self._ncn_ns}}}datastore").text = "running"
        for changed in change.diff.changes:
            edit = etree.SubElement(content, f"{{{self._ncn_ns}}}edit")
            element = etree.SubElement(
                edit,
                f"{{{self._ncn_ns}}}target",
                nsmap=self.schema.path_namespaces(changed.instance),
            )
            element.text = changed.instance
            # a move changes the list as a whole
            operation = _EDIT_OPERATIONS.get(changed.kind, "replace")
            etree.SubElement(edit, f"{{{self._ncn_ns}}}operation").text = operation
        self.publish(content, tuple(changed.path for changed in change.diff.changes))

    # --- RFC 6470 confirmed commits (a datastore confirmed-commit listener) -----------------

    def confirmed_commit(self, event: ConfirmedCommitEvent) -> None:
        content = self._ncn("netconf-confirmed-commit")
        if event.event is not ConfirmEvent.TIMEOUT:
            context = self._sessions.get(event.session_id)
            if context is None:
                # RFC 6470 needs the session's user, which only a live session has
                return
            self._session_parameters(content, context)
        etree.SubElement(content, f"{{{self._ncn_ns}}}confirm-event").text = event.event.value
        if event.timeout is not None:
            etree.SubElement(content, f"{{{self._ncn_ns}}}timeout").text = str(int(event.timeout))
        self.publish(content)

    # --- the switch's events (a device observer) --------------------------------------------

    def device_event(self, event: DeviceEvent) -> None:
        name = _DEVICE_NOTIFICATIONS.get(type(event))
        if name is None:
            return
        node = self.schema.root.get_child(name, MODULE)
        assert isinstance(node, NotificationNode), name
        content = etree.Element(
            f"{{{self._module_ns}}}{name}",
            nsmap=cast(Mapping[str, str], {None: self._module_ns}),
        )
        for leaf in node.data_children():
            if not isinstance(leaf, LeafNode):
                continue
            value = getattr(event, field_name(leaf.name), None)
            if value is not None:
                etree.SubElement(
                    content, f"{{{self._module_ns}}}{leaf.name}"
                ).text = leaf.type.canonical_string(cooked(value))
        self.publish(content)
