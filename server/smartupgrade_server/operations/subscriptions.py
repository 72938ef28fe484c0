"""Dynamic subscriptions (RFC 8639, over NETCONF as RFC 8640 binds them): establish, modify,
delete and kill them, their receivers' state notifications, and their state in ``/streams``
and ``/subscriptions``.

A subscription belongs to the session that established it and ends with it. Its target is the
``NETCONF`` event stream (:class:`StreamSubscription`, here: the events of
operations/notifications.py, with replay from its log) or a datastore (RFC 8641's YANG-push,
operations/yang_push.py). Every notification of a subscription goes through
:meth:`Subscriptions.send`: when its receiver has fallen behind (the session's backlog of
unwritten notifications holds ``suspend_at`` bytes) the subscription is suspended with
``subscription-suspended`` instead, and resumed with ``subscription-resumed`` once the backlog
is down to ``resume_at``: a slow receiver costs bounded memory, and is told that it may have
missed updates.

The state notifications are the ones RFC 8639 gives a dynamic subscription: ``replay-completed``,
``subscription-modified`` (a configured filter it names changed: §2.7.2),
``subscription-terminated`` (killed, or its configured filter deleted), ``subscription-suspended``
and ``subscription-resumed``. ``subscription-started`` and ``subscription-completed`` are for
configured subscriptions (the ``configured`` feature, which this switch lacks): a dynamic
subscription starts with the RPC's reply, and ends silently at its stop-time (§2.7.3).
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, cast

from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import SUBSCRIBED_NOTIFICATIONS_MODULE, YANG_PUSH_MODULE
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.filters import (
    Filter,
    FilterContext,
    SubtreeFilter,
    XPathFilter,
    superlinear,
)
from smartupgrade_server.datastore.store import ConfigChange, DatastoreName, Datastores
from smartupgrade_server.device.clock import TimerHandle
from smartupgrade_server.netconf.errors import (
    BadElementError,
    DataMissingError,
    ErrorType,
    InUseError,
    InvalidValueError,
    OperationFailedError,
    RpcError,
    SubscriptionError,
)
from smartupgrade_server.netconf.notification import event_time, notification_message
from smartupgrade_server.netconf.registry import SessionContext, SessionRegistry, Termination
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.notifications import (
    STREAM,
    EventClock,
    LoggedNotification,
    NotificationStream,
)
from smartupgrade_server.operations.subscription_requests import (
    EstablishRequest,
    ModifyRequest,
    StreamTarget,
    parse_establish,
    parse_modify,
    parse_subscription,
)

logger = logging.getLogger(__name__)

SN = SUBSCRIBED_NOTIFICATIONS_MODULE
ENCODE_XML = "encode-xml"
STREAM_DESCRIPTION = (
    "The switch's events: the smart-upgrade module's notifications and RFC 6470's "
    "(sessions, configuration changes, confirmed commits)"
)
# a prefix in an XPath expression
_PREFIX = re.compile(r"([A-Za-z_][\w.-]*):(?!:)")
# subscription-id is a uint32
_MAX_ID = 2**32 - 1
FILTERS = f"{SN}:filters"
STREAM_FILTERS = "stream-filter"
SELECTION_FILTERS = f"{YANG_PUSH_MODULE}:selection-filter"


@dataclass(frozen=True)
class SubscriptionLimits:
    """How many subscriptions a switch serves, and how far a receiver may fall behind."""

    per_session: int = 8
    per_switch: int = 64
    # bytes of notifications a session has not written yet, at which its subscriptions are
    # suspended, and to which the backlog must fall before they are resumed
    suspend_at: int = 256 * 1024
    resume_at: int = 16 * 1024


class ReceiverState(StrEnum):
    """RFC 8639 /subscriptions/subscription/receivers/receiver/state of a dynamic one."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class Rpc(StrEnum):
    """Which RPC failed: it decides the yang-data structure of the error-info."""

    ESTABLISH = "establish-subscription"
    MODIFY = "modify-subscription"
    DELETE = "delete-subscription"
    RESYNC = "resync-subscription"


class Subscription(ABC):
    """One dynamic subscription: its receiver (the session that established it), its terms
    and its counters. The manager calls :meth:`start` once it is registered (what it sends
    then follows the reply), and the subscription sends through :meth:`send`."""

    # "stream" or "datastore": the yang-data of its RPCs' errors
    kind: ClassVar[str]

    def __init__(
        self,
        manager: Subscriptions,
        identifier: int,
        context: SessionContext,
        stop: datetime | None,
    ) -> None:
        self.manager = manager
        self.id = identifier
        self.context = context
        self.stop = stop
        self.state = ReceiverState.ACTIVE
        self.sent = 0
        self.excluded = 0
        self.stop_timer: TimerHandle | None = None

    @property
    def filter_name(self) -> str | None:
        """The configured filter it names, if any."""
        return None

    def send(self, content: etree._Element, when: datetime) -> bool:
        """Send one notification of this subscription; False if it was not sent (suspended)."""
        return self.manager.send(self, content, when)

    @abstractmethod
    def start(self) -> None:
        """What follows the reply at once: a replay, a first update."""

    @abstractmethod
    def modify(self, request: ModifyRequest) -> None:
        """Take the new terms, or raise (leaving it as it was)."""

    @abstractmethod
    def restart(self) -> None:
        """What follows the reply to a modification, once it is active again."""

    @abstractmethod
    def refilter(self, found: Filter) -> None:
        """Its configured filter changed to ``found``."""

    @abstractmethod
    def resumed(self) -> None:
        """It is active again after a suspension."""

    @abstractmethod
    def ended(self) -> None:
        """It is over: stop what it scheduled."""

    @abstractmethod
    def target_state(self) -> RawObject:
        """Its members of /subscriptions/subscription: the target and the update trigger."""

    @abstractmethod
    def policy(self, parent: etree._Element) -> None:
        """Its terms in ``subscription-modified`` (after the id)."""


class DatastoreTargets(Protocol):
    """RFC 8641's datastore subscriptions (operations/yang_push.py)."""

    def establish(
        self,
        manager: Subscriptions,
        identifier: int,
        context: SessionContext,
        request: EstablishRequest,
    ) -> Subscription: ...

    def resync(self, subscription: Subscription) -> None: ...


class Subscriptions:
    """One switch's dynamic subscriptions; a datastore ConfigSubscriber for its configured
    filters."""

    def __init__(
        self,
        datastores: Datastores,
        clock: EventClock,
        stream: NotificationStream,
        *,
        limits: SubscriptionLimits = SubscriptionLimits(),
    ) -> None:
        self.datastores = datastores
        self.schema: Schema = datastores.schema
        self.clock = clock
        self.stream = stream
        self.limits = limits
        self.datastore_targets: DatastoreTargets | None = None
        # a subscription's XPath is bounded when it is accepted (check_filter, prepare)
        self.filter_context = FilterContext(
            list_keys=self.schema.list_keys,
            module_prefixes=self.schema.xpath_prefixes,
            max_xpath_visits=None,
        )
        self._subscriptions: dict[int, Subscription] = {}
        self._ids = itertools.cycle(range(1, _MAX_ID + 1))
        self.ns = self.schema.namespace_of_module[SN]
        stream.add_listener(self._event)
        stream.exclude(self.has_subscriptions)

    # --- wiring ---------------------------------------------------------------------------

    def register(self, register: Callable[[str, str, Any], None]) -> None:
        register(self.ns, Rpc.ESTABLISH, self._establish)
        register(self.ns, Rpc.MODIFY, self._modify)
        register(self.ns, Rpc.DELETE, self._delete)
        register(self.ns, "kill-subscription", self._kill)

    def attach(self, registry: SessionRegistry) -> None:
        """Follow the sessions of a (new) listener's registry."""
        registry.add_termination_hook(self._session_ended)

    def has_subscriptions(self, session_id: int) -> bool:
        return any(s.context.session_id == session_id for s in self._subscriptions.values())

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._subscriptions.values()))

    # --- sending --------------------------------------------------------------------------

    def send(self, subscription: Subscription, content: etree._Element, when: datetime) -> bool:
        if self._subscriptions.get(subscription.id) is not subscription:
            return False
        if subscription.state is ReceiverState.SUSPENDED:
            return False
        backlog = subscription.context.backlog
        if backlog is not None and backlog.bytes >= self.limits.suspend_at:
            self._suspend(subscription)
            return False
        notify = subscription.context.notify
        assert notify is not None
        notify(notification_message(when, content))
        subscription.sent += 1
        return True

    def state_notification(
        self, subscription: Subscription, name: str, reason: str | None = None
    ) -> None:
        """Send a subscription state notification with the subscription's id and, for some,
        a reason (RFC 8639 §2.7: never filtered out, sent also to a suspended receiver)."""
        content = self._sn(name)
        etree.SubElement(content, f"{{{self.ns}}}id").text = str(subscription.id)
        if reason is not None:
            self.identity(content, "reason", reason)
        self._notify(subscription, content)

    def _notify(self, subscription: Subscription, content: etree._Element) -> None:
        notify = subscription.context.notify
        assert notify is not None
        notify(notification_message(self.clock.now(), content))

    def _suspend(self, subscription: Subscription) -> None:
        subscription.state = ReceiverState.SUSPENDED
        logger.info(
            "session %d: subscription %d suspended: %d bytes of notifications not read",
            subscription.context.session_id,
            subscription.id,
            subscription.context.backlog.bytes if subscription.context.backlog else 0,
        )
        self.state_notification(
            subscription, "subscription-suspended", f"{SN}:unsupportable-volume"
        )
        backlog = subscription.context.backlog
        assert backlog is not None
        session_id = subscription.context.session_id
        backlog.when_at_most(self.limits.resume_at, lambda: self._resume(session_id))

    def _resume(self, session_id: int) -> None:
        for subscription in self:
            if (
                subscription.context.session_id == session_id
                and subscription.state is ReceiverState.SUSPENDED
            ):
                subscription.state = ReceiverState.ACTIVE
                self.state_notification(subscription, "subscription-resumed")
                subscription.resumed()

    # --- the NETCONF stream ----------------------------------------------------------------

    def _event(self, logged: LoggedNotification) -> None:
        for subscription in self:
            if isinstance(subscription, StreamSubscription):
                subscription.event(logged)

    # --- the RPCs -------------------------------------------------------------------------

    async def _establish(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        if context.notify is None:
            raise OperationFailedError(
                ErrorType.PROTOCOL, message="this session cannot receive notifications"
            )
        if self.stream.subscribed(context.session_id):
            raise InUseError(
                ErrorType.PROTOCOL,
                message="this session has a create-subscription subscription; RFC 8639 "
                "forbids both kinds on one session",
            )
        establish = parse_establish(self.schema, request.operation)
        kind = "stream" if isinstance(establish.target, StreamTarget) else "datastore"
        if establish.encoding not in (None, ENCODE_XML):
            raise self.error(
                Rpc.ESTABLISH,
                kind,
                f"{SN}:encoding-unsupported",
                f"encoding {establish.encoding!r} is not supported; notifications are XML",
            )
        mine = sum(1 for s in self if s.context.session_id == context.session_id)
        if mine >= self.limits.per_session or len(self._subscriptions) >= self.limits.per_switch:
            at_most = (
                f"{self.limits.per_session} subscriptions per session"
                if mine >= self.limits.per_session
                else f"{self.limits.per_switch} subscriptions on this switch"
            )
            raise self.error(
                Rpc.ESTABLISH, kind, f"{SN}:insufficient-resources", f"at most {at_most}"
            )
        identifier = self._new_id()
        revision: datetime | None = None
        subscription: Subscription
        if isinstance(establish.target, StreamTarget):
            stream_subscription = StreamSubscription.establish(
                self, identifier, context, establish.target, establish.stop
            )
            revision = stream_subscription.revision
            subscription = stream_subscription
        else:
            targets = self.datastore_targets
            if targets is None:
                raise InvalidValueError(
                    ErrorType.APPLICATION, message="this switch has no datastore subscriptions"
                )
            subscription = targets.establish(self, identifier, context, establish)
        self._subscriptions[identifier] = subscription
        self._schedule_stop(subscription)
        # queued now, sent after the reply (RFC 8639 §2.6)
        subscription.start()
        reply = [self._leaf("id", str(identifier))]
        if revision is not None:
            reply.append(self._leaf("replay-start-time-revision", event_time(revision)))
        return reply

    async def _modify(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        modify = parse_modify(self.schema, request.operation)
        kind = "stream" if isinstance(modify.target, StreamTarget | None) else "datastore"
        subscription = self._own(context, modify.id, Rpc.MODIFY, kind)
        if modify.stop is not None:
            self.check_stop(modify.stop, None)
        subscription.modify(modify)
        if modify.stop is not None:
            subscription.stop = modify.stop
            self._schedule_stop(subscription)
        # RFC 8639 §2.4.3: a modified subscription is active (and is suspended again at its
        # next update if its receiver is still behind)
        subscription.state = ReceiverState.ACTIVE
        subscription.restart()
        return None

    async def _delete(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        delete = parse_subscription(self.schema, request.operation)
        self._end(self._own(context, delete.id, Rpc.DELETE, "stream"))
        return None

    async def _kill(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        kill = parse_subscription(self.schema, request.operation)
        subscription = self._subscriptions.get(kill.id)
        if subscription is None:
            raise self._no_such(Rpc.DELETE, "stream", f"no subscription {kill.id}")
        self._terminate(subscription, f"{SN}:no-such-subscription")
        return None

    async def resync(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        """RFC 8641's resync-subscription (registered by YANG-push)."""
        resync = parse_subscription(self.schema, request.operation)
        subscription = self._subscriptions.get(resync.id)
        targets = self.datastore_targets
        if (
            subscription is None
            or subscription.context.session_id != context.session_id
            or targets is None
        ):
            raise self.error(
                Rpc.RESYNC,
                "datastore",
                f"{YANG_PUSH_MODULE}:no-such-subscription-resync",
                f"this session has no on-change subscription {resync.id}",
            )
        targets.resync(subscription)
        return None

    def _own(self, context: SessionContext, identifier: int, rpc: Rpc, kind: str) -> Subscription:
        """A subscription of this session: another session's is no-such-subscription, as RFC
        8639 §2.4.4 asks (its id tells this one nothing)."""
        subscription = self._subscriptions.get(identifier)
        if subscription is None or subscription.context.session_id != context.session_id:
            raise self._no_such(rpc, kind, f"no subscription {identifier} of this session")
        return subscription

    def _no_such(self, rpc: Rpc, kind: str, message: str) -> SubscriptionError:
        return self.error(rpc, kind, f"{SN}:no-such-subscription", message)

    def check_stop(self, stop: datetime, replay_start: datetime | None) -> None:
        """RFC 8639: a stop-time is in the future, or after the replay's start."""
        if replay_start is None and stop <= self.clock.now():
            raise BadElementError(
                ErrorType.APPLICATION, "stop-time", message="stop-time is not in the future"
            )
        if replay_start is not None and stop < replay_start:
            raise BadElementError(
                ErrorType.APPLICATION,
                "stop-time",
                message="stop-time is earlier than replay-start-time",
            )

    # --- ending ---------------------------------------------------------------------------

    def _schedule_stop(self, subscription: Subscription) -> None:
        if subscription.stop_timer is not None:
            subscription.stop_timer.cancel()
            subscription.stop_timer = None
        stop = subscription.stop
        if stop is None:
            return

        async def reached() -> None:
            if self._subscriptions.get(subscription.id) is subscription:
                self._end(subscription)

        subscription.stop_timer = self.clock.call_at(stop, reached)

    def _end(self, subscription: Subscription) -> None:
        if self._subscriptions.pop(subscription.id, None) is None:
            return
        if subscription.stop_timer is not None:
            subscription.stop_timer.cancel()
        subscription.ended()

    def _terminate(self, subscription: Subscription, reason: str) -> None:
        """End a subscription its receiver did not end: subscription-terminated."""
        self.state_notification(subscription, "subscription-terminated", reason)
        self._end(subscription)

    def _session_ended(self, context: SessionContext, termination: Termination) -> None:
        for subscription in self:
            if subscription.context.session_id == context.session_id:
                self._end(subscription)

    def _new_id(self) -> int:
        while True:
            identifier = next(self._ids)
            if identifier not in self._subscriptions:
                return identifier

    # --- configured filters (a ConfigSubscriber) ---------------------------------------------

    def configured_filter(self, kind: str, name: str) -> Filter | None:
        """The XPath filter configured as ``name`` in running: a stream filter (``kind``
        "stream") or a selection filter; None if there is none."""
        text = _filter_texts(self.datastores.raw_view(DatastoreName.RUNNING), kind).get(name)
        # the namespace declarations of the XML that configured it are not kept: the
        # expression's prefixes are the modules' prefixes or names
        return None if text is None else XPathFilter(text, {})

    def referenced(self, kind: str, name: str, rpc: Rpc) -> Filter:
        found = self.configured_filter(kind, name)
        if found is None:
            leaf = "stream-filter-name" if kind == "stream" else "selection-filter-ref"
            raise DataMissingError(
                app_tag="instance-required",
                message=f"{leaf} {name!r} names no configured filter (/sn:filters)",
            )
        self.check_filter(found, rpc, kind)
        return found

    def check_filter(self, selection: Filter, rpc: Rpc, kind: str) -> None:
        """Refuse a filter that cannot be evaluated, or whose work grows faster than the data
        it reads at each event and change: filter-unsupported, with why."""
        try:
            selection.apply(etree.Element("data"), self.filter_context)
            why = superlinear(selection.select) if isinstance(selection, XPathFilter) else None
        except RpcError as error:
            why = error.message
        if why is not None:
            raise self.error(
                rpc, kind, f"{SN}:filter-unsupported", "the filter cannot be used", filter_hint=why
            )

    def prepare(self, change: ConfigChange) -> None:
        """Veto a configured filter whose work grows faster than the data it reads."""
        for kind in ("stream", "datastore"):
            before = _filter_texts(change.old_config, kind)
            for name, text in _filter_texts(change.config, kind).items():
                if before.get(name) == text:
                    continue
                try:
                    why = superlinear(text)
                except RpcError:
                    # an expression libxml2 cannot read: its subscriptions say so when used
                    continue
                if why is not None:
                    raise InvalidValueError(
                        ErrorType.APPLICATION,
                        path=f"/sn:filters/sn:stream-filter[sn:name='{name}']"
                        if kind == "stream"
                        else f"/sn:filters/yp:selection-filter[yp:filter-id='{name}']",
                        path_namespaces={
                            "sn": self.ns,
                            "yp": self.schema.namespace_of_module[YANG_PUSH_MODULE],
                        },
                        message=f"filter {name!r}: {why}",
                    )

    def abort(self, change: ConfigChange) -> None:
        """Nothing was prepared."""

    def commit(self, change: ConfigChange) -> None:
        for kind in ("stream", "datastore"):
            before = _filter_texts(change.old_config, kind)
            after = _filter_texts(change.config, kind)
            if before == after:
                continue
            for subscription in self:
                name = subscription.filter_name
                if name is None or subscription.kind != kind or before.get(name) == after.get(name):
                    continue
                if name not in after:
                    self._terminate(subscription, f"{SN}:filter-unavailable")
                    continue
                subscription.refilter(XPathFilter(after[name], {}))
                self._modified(subscription)

    def _modified(self, subscription: Subscription) -> None:
        content = self._sn("subscription-modified")
        etree.SubElement(content, f"{{{self.ns}}}id").text = str(subscription.id)
        subscription.policy(content)
        self._notify(subscription, content)

    # --- XML ------------------------------------------------------------------------------

    def _sn(self, name: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", nsmap=cast(Mapping[str, str], {None: self.ns}))

    def _leaf(self, name: str, text: str) -> etree._Element:
        element = self._sn(name)
        element.text = text
        return element

    def identity(self, parent: etree._Element, name: str, identity: str) -> None:
        """A child leaf of ``parent``'s namespace holding an identityref ``module:name``."""
        module, _, local = identity.partition(":")
        prefix = self.schema.prefix_of_module[module]
        leaf = etree.SubElement(
            parent,
            f"{{{etree.QName(parent).namespace}}}{name}",
            nsmap={prefix: self.schema.namespace_of_module[module]},
        )
        leaf.text = f"{prefix}:{local}"

    def filter_element(
        self, parent: etree._Element, namespace: str, prefix: str, selection: Filter | None
    ) -> None:
        """A filter as a state notification shows it: within the subscription, also when it
        is a configured one (RFC 8639 §2.7.1); ``prefix`` is "stream" or "datastore"."""
        if isinstance(selection, XPathFilter):
            # a configured filter's prefixes are the modules' prefixes or names: declared here
            used = {
                name: self.schema.xpath_prefixes[name]
                for name in _PREFIX.findall(selection.select)
                if name in self.schema.xpath_prefixes
            }
            leaf = etree.SubElement(
                parent,
                f"{{{namespace}}}{prefix}-xpath-filter",
                nsmap={**used, **{p: uri for p, uri in selection.namespaces.items() if p}},
            )
            leaf.text = selection.select
        elif isinstance(selection, SubtreeFilter):
            anydata = etree.SubElement(parent, f"{{{namespace}}}{prefix}-subtree-filter")
            for element in selection.children:
                anydata.append(copy.deepcopy(element))

    def error(
        self,
        rpc: Rpc,
        kind: str,
        reason: str,
        message: str,
        *,
        filter_hint: str | None = None,
        hints: Mapping[str, str] | None = None,
    ) -> SubscriptionError:
        """The error of an RPC with its yang-data: RFC 8639's for a stream subscription and
        for delete and kill, RFC 8641's for a datastore subscription and for resync."""
        if rpc is Rpc.DELETE:
            namespace, name = self.ns, "delete-subscription-error-info"
        elif rpc is Rpc.RESYNC:
            namespace, name = (
                self.schema.namespace_of_module[YANG_PUSH_MODULE],
                "resync-subscription-error",
            )
        elif kind == "stream":
            namespace, name = self.ns, f"{rpc.value}-stream-error-info"
        else:
            namespace = self.schema.namespace_of_module[YANG_PUSH_MODULE]
            name = f"{rpc.value}-datastore-error-info"
        info = etree.Element(
            f"{{{namespace}}}{name}", nsmap=cast(Mapping[str, str], {None: namespace})
        )
        self.identity(info, "reason", reason)
        for leaf, text in (hints or {}).items():
            etree.SubElement(info, f"{{{namespace}}}{leaf}").text = text
        if filter_hint is not None:
            hint = etree.Element(f"{{{namespace}}}filter-failure-hint")
            hint.text = filter_hint
            # after the reason and period-hint, as the yang-data orders them
            info.insert(2 if "period-hint" in (hints or {}) else 1, hint)
        return SubscriptionError(reason, info, message=message)

    # --- state: /streams and /subscriptions ------------------------------------------------

    def state(self) -> RawObject:
        stream: dict[str, Any] = {
            "name": STREAM,
            "description": STREAM_DESCRIPTION,
            "replay-support": [None],
            "replay-log-creation-time": event_time(self.stream.log_created),
        }
        if self.stream.log_aged is not None:
            stream["replay-log-aged-time"] = event_time(self.stream.log_aged)
        found: RawObject = {f"{SN}:streams": {"stream": [stream]}}
        subscriptions = []
        for subscription in self:
            entry: dict[str, Any] = {"id": subscription.id, **subscription.target_state()}
            if subscription.stop is not None:
                entry["stop-time"] = event_time(subscription.stop)
            entry["encoding"] = f"{SN}:{ENCODE_XML}"
            entry["receivers"] = {
                "receiver": [
                    {
                        "name": f"netconf-session-{subscription.context.session_id}",
                        "sent-event-records": str(subscription.sent),
                        "excluded-event-records": str(subscription.excluded),
                        "state": subscription.state.value,
                    }
                ]
            }
            subscriptions.append(entry)
        if subscriptions:
            found[f"{SN}:subscriptions"] = {"subscription": subscriptions}
        return found


class StreamSubscription(Subscription):
    """A subscription to the NETCONF event stream: the events its filter chooses (a filter
    tests an event, it never strips it: RFC 8639 §2.2) that its user may read."""

    kind = "stream"

    def __init__(
        self,
        manager: Subscriptions,
        identifier: int,
        context: SessionContext,
        stop: datetime | None,
        *,
        target: StreamTarget,
        selection: Filter | None,
    ) -> None:
        super().__init__(manager, identifier, context, stop)
        self.target = target
        self.selection = selection
        self.replay_start = target.replay_start
        # the replay's start when the log does not go back as far as asked
        self.revision: datetime | None = None

    @classmethod
    def establish(
        cls,
        manager: Subscriptions,
        identifier: int,
        context: SessionContext,
        target: StreamTarget,
        stop: datetime | None,
    ) -> StreamSubscription:
        if target.stream != STREAM:
            # stream is a leafref to /streams/stream/name (RFC 8639's stream-ref)
            raise DataMissingError(
                app_tag="instance-required",
                message=f"no stream {target.stream!r}; the only one is {STREAM!r}",
            )
        selection = _selection(manager, target, Rpc.ESTABLISH)
        start = target.replay_start
        if start is not None and start >= manager.clock.now():
            raise BadElementError(
                ErrorType.APPLICATION,
                "replay-start-time",
                message="replay-start-time is not in the past",
            )
        if stop is not None:
            manager.check_stop(stop, start)
        subscription = cls(manager, identifier, context, stop, target=target, selection=selection)
        if start is not None:
            log = manager.stream.log
            kept = log[0].event_time if manager.stream.log_aged is not None and log else None
            earliest = kept or manager.stream.log_created
            if start < earliest:
                subscription.revision = subscription.replay_start = earliest
        return subscription

    @property
    def filter_name(self) -> str | None:
        return self.target.filter_name

    def start(self) -> None:
        start = self.replay_start
        if start is None:
            return
        for logged in list(self.manager.stream.log):
            if logged.event_time >= start:
                self.event(logged)
        self.manager.state_notification(self, "replay-completed")

    def event(self, logged: LoggedNotification) -> None:
        if self.stop is not None and logged.event_time > self.stop:
            return
        content = self.manager.stream.readable(self.context, logged)
        if content is None or (
            self.selection is not None
            and self.manager.stream.selected(self.selection, content) is None
        ):
            self.excluded += 1
            return
        self.send(content, logged.event_time)

    def modify(self, request: ModifyRequest) -> None:
        if request.trigger is not None:
            raise BadElementError(
                ErrorType.APPLICATION,
                "periodic",
                message=f"subscription {self.id} is to an event stream: it has no update trigger",
            )
        if request.target is None:
            return
        if not isinstance(request.target, StreamTarget):
            raise BadElementError(
                ErrorType.APPLICATION,
                "datastore",
                message=f"subscription {self.id} is to an event stream, not a datastore",
            )
        self.selection = _selection(self.manager, request.target, Rpc.MODIFY)
        self.target = StreamTarget(
            STREAM, request.target.filter, request.target.filter_name, self.replay_start
        )

    def restart(self) -> None:
        """The events to come are chosen by the new filter; none is replayed again."""

    def refilter(self, found: Filter) -> None:
        self.selection = found

    def resumed(self) -> None:
        """The events published while it was suspended are lost (RFC 8639 §2.7.4)."""

    def ended(self) -> None:
        """It scheduled nothing but its stop, which the manager cancels."""

    def target_state(self) -> RawObject:
        # a filter given in the request is not shown: its XPath would need the namespace
        # declarations of the request, and a subtree filter is anydata
        found: dict[str, Any] = {"stream": STREAM}
        if self.target.filter_name is not None:
            found["stream-filter-name"] = self.target.filter_name
        if self.replay_start is not None:
            found["replay-start-time"] = event_time(self.replay_start)
        return found

    def policy(self, parent: etree._Element) -> None:
        ns = self.manager.ns
        self.manager.filter_element(parent, ns, "stream", self.selection)
        etree.SubElement(parent, f"{{{ns}}}stream").text = STREAM
        if self.replay_start is not None:
            etree.SubElement(parent, f"{{{ns}}}replay-start-time").text = event_time(
                self.replay_start
            )
        if self.stop is not None:
            etree.SubElement(parent, f"{{{ns}}}stop-time").text = event_time(self.stop)
        self.manager.identity(parent, "encoding", f"{SN}:{ENCODE_XML}")


def _selection(manager: Subscriptions, target: StreamTarget, rpc: Rpc) -> Filter | None:
    if target.filter_name is not None:
        return manager.referenced("stream", target.filter_name, rpc)
    if target.filter is not None:
        manager.check_filter(target.filter, rpc, "stream")
    return target.filter


def _filter_texts(config: RawObject, kind: str) -> dict[str, str]:
    """The configured XPath filters of a kind ("stream" or "datastore") by name."""
    filters = config.get(FILTERS, {})
    if kind == "stream":
        entries, key, leaf = filters.get(STREAM_FILTERS, ()), "name", "stream-xpath-filter"
    else:
        entries, key, leaf = (
            filters.get(SELECTION_FILTERS, ()),
            "filter-id",
            "datastore-xpath-filter",
        )
    return {entry[key]: entry.get(leaf, "") for entry in entries}
