"""YANG-push (RFC 8641): dynamic subscriptions to ``ietf-datastores:running`` and
``operational``, periodic or on-change.

A subscription sees a *view* of its datastore: the nodes its selection filter selects (subtree
or XPath, as for ``<get>``), less those its user may not read (NACM prunes the view as it
prunes a ``<get>``, so a node that becomes unreadable is reported deleted).

- **periodic**: a ``push-update`` with the whole view every ``period`` centiseconds of the
  switch's clock, at ``anchor-time`` plus a multiple of ``period`` (without an anchor: at
  once, then every period). The view is the datastore as ``<get-data>`` has it, less the
  discovery trees.
- **on-change**: a ``push-update`` of the whole view at the start (``sync-on-start``, the
  default) and on ``resync-subscription``, then a ``push-change-update`` whose YANG patch
  (operations/yang_patch.py) is the one diff (datastore/diff.py) between the view last reported
  and the view now, less the ``excluded-change`` types. What makes it look: a commit of
  ``running`` (NETCONF, the command line, the web, the switch's own edits: all go through the
  datastores) and every event of the switch (device/events.py), never a timer. After a
  change, the next update waits for the end of the ``dampening-period``; it then reports the
  values of that moment. Its operational view is running with the switch's smart-upgrade
  state; the NACM counters and the subscriptions' own counters are statistics that change
  with no event, so only periodic subscriptions carry them.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from lxml import etree
from yangson.instance import RootNode

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import YANG_PUSH_MODULE
from smartupgrade_server.datastore.codec import WithDefaults
from smartupgrade_server.datastore.diff import DataPath, diff
from smartupgrade_server.datastore.filters import Filter
from smartupgrade_server.datastore.selection import selected_raw
from smartupgrade_server.datastore.store import (
    ConfigChange,
    DatastoreName,
    StateProvider,
    merged_state,
)
from smartupgrade_server.device.clock import TimerHandle
from smartupgrade_server.device.events import DeviceEvent
from smartupgrade_server.netconf.errors import BadElementError, ErrorType
from smartupgrade_server.netconf.notification import event_time
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.operations.notifications import ReadAccess
from smartupgrade_server.operations.subscription_requests import (
    DatastoreTarget,
    EstablishRequest,
    ModifyRequest,
    OnChangeTrigger,
    PeriodicTrigger,
    Trigger,
)
from smartupgrade_server.operations.subscriptions import (
    ENCODE_XML,
    SN,
    ReceiverState,
    Rpc,
    Subscription,
    Subscriptions,
)
from smartupgrade_server.operations.yang_patch import (
    edits,
    resource_path,
    restated,
    yang_patch,
)

logger = logging.getLogger(__name__)

OPERATIONAL = "operational"
SUBSCRIBABLE = (DatastoreName.RUNNING.value, OPERATIONAL)
# the shortest period of a periodic subscription (centiseconds): a second of the switch's clock
MIN_PERIOD = 100
_CENTISECOND = timedelta(milliseconds=10)


@dataclass
class _Contents:
    """A datastore's content at one moment, and its XML once someone needs it."""

    raw: RawObject
    instance: Callable[[], RootNode]
    config_only: bool
    _xml: etree._Element | None = None

    def xml(self, push: YangPush) -> etree._Element:
        """The whole content rendered: shared, never to be modified."""
        if self._xml is None:
            self._xml = push.schema.render(
                self.instance().value, config_only=self.config_only, mode=WithDefaults.EXPLICIT
            )
        return self._xml


class YangPush:
    """One switch's datastore subscriptions; a datastore ConfigSubscriber and a device
    observer, for the on-change ones."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        access: ReadAccess | None,
        switch_state: StateProvider | None,
    ) -> None:
        self.subscriptions = subscriptions
        self.datastores = subscriptions.datastores
        self.schema = subscriptions.schema
        self.clock = subscriptions.clock
        self.access = access
        self._switch_state = switch_state
        self.ns = self.schema.namespace_of_module[YANG_PUSH_MODULE]
        # the last contents of each kind, with the objects they were made from
        self._contents: dict[tuple[str, bool], tuple[tuple[object, ...], _Contents]] = {}
        self._after_events: asyncio.Handle | None = None
        subscriptions.datastore_targets = self

    def register(self, register: Callable[[str, str, Any], None]) -> None:
        register(self.ns, "resync-subscription", self.subscriptions.resync)

    # --- what makes on-change subscriptions look ---------------------------------------------

    def prepare(self, change: ConfigChange) -> None:
        """Nothing to veto."""

    def abort(self, change: ConfigChange) -> None:
        """Nothing was prepared."""

    def commit(self, change: ConfigChange) -> None:
        self._look(DatastoreName.RUNNING.value, OPERATIONAL)

    def device_event(self, event: DeviceEvent) -> None:
        """Look now, so that each event's state is reported in order, and again once the
        switch has finished this step (it may change more after telling)."""
        self._look(OPERATIONAL)
        if self._after_events is None:
            self._after_events = asyncio.get_running_loop().call_soon(self._look_after_events)

    def _look_after_events(self) -> None:
        self._after_events = None
        self._look(OPERATIONAL)

    def _look(self, *datastores: str) -> None:
        for subscription in self.subscriptions:
            if (
                isinstance(subscription, DatastoreSubscription)
                and isinstance(subscription.trigger, OnChangeTrigger)
                and subscription.target.datastore in datastores
            ):
                # called by the switch and the datastores, which a subscriber must not break
                try:
                    subscription.changed()
                except Exception:
                    logger.exception("subscription %d: an on-change update failed", subscription.id)

    def close(self) -> None:
        if self._after_events is not None:
            self._after_events.cancel()

    # --- contents and views ---------------------------------------------------------------

    def contents(self, datastore: str, *, on_change: bool) -> _Contents:
        running = self.datastores.raw_view(DatastoreName.RUNNING)
        if datastore != OPERATIONAL:
            sources: tuple[object, ...] = (running,)
        elif on_change:
            sources = (running, self._switch_state() if self._switch_state else {})
        else:
            sources = (running, self.datastores.state())
        kept = self._contents.get((datastore, on_change))
        if kept is not None and all(a is b for a, b in zip(kept[0], sources, strict=True)):
            return kept[1]
        if datastore != OPERATIONAL:
            found = _Contents(
                running, lambda: self.datastores.instance(DatastoreName.RUNNING), True
            )
        else:
            raw = merged_state(*cast(tuple[RawObject, RawObject], sources))
            instance = (
                (lambda: self.schema.model.from_raw(raw))
                if on_change
                else self.datastores.operational
            )
            found = _Contents(raw, instance, False)
        self._contents[(datastore, on_change)] = (sources, found)
        return found

    def view_xml(self, subscription: DatastoreSubscription, contents: _Contents) -> etree._Element:
        """What the subscription's user may read of what its filter selects: a new tree."""
        data = contents.xml(self)
        selection = subscription.selection
        view = (
            copy.deepcopy(data)
            if selection is None
            else selection.apply(data, self.subscriptions.filter_context)
        )
        if self.access is not None:
            self.access.prune(subscription.context, view)
        return view

    def view(self, subscription: DatastoreSubscription, contents: _Contents) -> RawObject:
        if subscription.selection is None and (
            self.access is None or self.access.reads_everything(subscription.context)
        ):
            return contents.raw
        return selected_raw(self.schema, contents.raw, self.view_xml(subscription, contents))

    # --- DatastoreTargets -------------------------------------------------------------------

    def establish(
        self,
        manager: Subscriptions,
        identifier: int,
        context: SessionContext,
        request: EstablishRequest,
    ) -> Subscription:
        target = request.target
        assert isinstance(target, DatastoreTarget) and request.trigger is not None
        subscription = DatastoreSubscription(self, identifier, context, request.stop)
        subscription.terms(target, request.trigger, Rpc.ESTABLISH)
        if request.stop is not None:
            manager.check_stop(request.stop, None)
        return subscription

    def resync(self, subscription: Subscription) -> None:
        if not (
            isinstance(subscription, DatastoreSubscription)
            and isinstance(subscription.trigger, OnChangeTrigger)
        ):
            raise self.subscriptions.error(
                Rpc.RESYNC,
                "datastore",
                f"{YANG_PUSH_MODULE}:no-such-subscription-resync",
                f"subscription {subscription.id} is not on-change",
            )
        subscription.synchronise()

    # --- XML ------------------------------------------------------------------------------

    def element(self, name: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{name}", nsmap=cast(Mapping[str, str], {None: self.ns}))


class DatastoreSubscription(Subscription):
    """A YANG-push subscription: periodic or on-change."""

    kind = "datastore"

    def __init__(
        self, push: YangPush, identifier: int, context: SessionContext, stop: datetime | None
    ) -> None:
        super().__init__(push.subscriptions, identifier, context, stop)
        self.push = push
        self.target = DatastoreTarget(OPERATIONAL)
        self.selection: Filter | None = None
        self.trigger: Trigger = OnChangeTrigger()
        self._timer: TimerHandle | None = None
        # on-change: the view last reported, the patch counter, when the next update may go
        self._reported: RawObject | None = None
        self._seen: _Contents | None = None
        self._patch_id = 0
        self._quiet_until: datetime | None = None
        # what changed while an update waited for the dampening period's end, and the view
        # looked at last meanwhile
        self._churned: dict[str, DataPath] = {}
        self._last_look: RawObject | None = None
        self._looked: _Contents | None = None
        # periodic: what the periods count from
        self._anchor: datetime | None = None
        # on-change: a push-update was not sent because its receiver was suspended
        self._owed = False

    def terms(self, target: DatastoreTarget, trigger: Trigger, rpc: Rpc) -> None:
        """Check and take a target and trigger (raises, changing nothing, if refused)."""
        manager = self.manager
        if target.datastore not in SUBSCRIBABLE:
            raise manager.error(
                rpc,
                "datastore",
                f"{YANG_PUSH_MODULE}:datastore-not-subscribable",
                f"datastore {target.datastore!r} cannot be subscribed to; "
                f"these can: {', '.join(SUBSCRIBABLE)}",
            )
        if isinstance(trigger, PeriodicTrigger) and trigger.period < MIN_PERIOD:
            raise manager.error(
                rpc,
                "datastore",
                f"{YANG_PUSH_MODULE}:period-unsupported",
                f"the period is at least {MIN_PERIOD} centiseconds",
                hints={"period-hint": str(MIN_PERIOD)},
            )
        if target.filter_name is not None:
            selection: Filter | None = manager.referenced("datastore", target.filter_name, rpc)
        else:
            selection = target.filter
            if selection is not None:
                manager.check_filter(selection, rpc, "datastore")
        self.target, self.selection, self.trigger = target, selection, trigger

    @property
    def filter_name(self) -> str | None:
        return self.target.filter_name

    @property
    def on_change(self) -> OnChangeTrigger | None:
        return self.trigger if isinstance(self.trigger, OnChangeTrigger) else None

    # --- the life of a subscription ---------------------------------------------------------

    def start(self) -> None:
        on_change = self.on_change
        if on_change is not None:
            contents = self._contents()
            self._reported = self.push.view(self, contents)
            self._seen = contents
            if on_change.sync_on_start:
                self._push_update(contents)
            return
        self._next_period(first=True)

    def modify(self, request: ModifyRequest) -> None:
        target = request.target
        if target is not None and not isinstance(target, DatastoreTarget):
            raise BadElementError(
                ErrorType.APPLICATION,
                "stream",
                message=f"subscription {self.id} is to a datastore, not an event stream",
            )
        trigger = request.trigger or self.trigger
        if isinstance(trigger, OnChangeTrigger) and isinstance(self.trigger, OnChangeTrigger):
            # RFC 8641's update-policy-modifiable: only the dampening period can change
            trigger = replace(self.trigger, dampening=trigger.dampening)
        self.terms(target or self.target, trigger, Rpc.MODIFY)

    def restart(self) -> None:
        self._cancel_timer()
        # new terms: a new frame of reference
        self._patch_id = 0
        self._quiet_until = None
        self._churned.clear()
        self._last_look = self._looked = None
        self._owed = False
        self.start()

    def refilter(self, found: Filter) -> None:
        self.selection = found
        self._seen = None
        self.changed()

    def resumed(self) -> None:
        if self.on_change is None:
            return
        if self._owed:
            # the whole view it was to have first never went: it has nothing to patch
            self.synchronise()
            return
        # RFC 8641 §3.11.1: a patch from the previous update record
        self._seen = None
        self.changed()

    def ended(self) -> None:
        self._cancel_timer()

    def synchronise(self) -> None:
        """resync-subscription: the whole view again, and the patch counter from 0."""
        contents = self._contents()
        self._reported = self.push.view(self, contents)
        self._seen = contents
        self._patch_id = 0
        self._push_update(contents)

    # --- on-change -------------------------------------------------------------------------

    def changed(self) -> None:
        """Something this subscription's view is made of may have changed."""
        on_change = self.on_change
        if on_change is None or self._reported is None or self.state is ReceiverState.SUSPENDED:
            return
        now = self.push.clock.now()
        if self._quiet_until is not None and now < self._quiet_until:
            self._note_churn()
            if self._timer is None:
                self._timer = self.push.clock.call_at(self._quiet_until, self._dampened)
            return
        self._report()

    def _note_churn(self) -> None:
        """Remember what changes while the update waits for the dampening period's end: a
        node that changes and changes back is still reported (RFC 8641 §3.3)."""
        contents = self._contents()
        if contents is self._looked:
            return
        view = self.push.view(self, contents)
        before = self._last_look if self._last_look is not None else self._reported
        assert before is not None
        for change in diff(self.push.schema, before, view).changes:
            self._churned[resource_path(change.path)] = change.path
        self._last_look, self._looked = view, contents

    async def _dampened(self) -> None:
        self._timer = None
        self._report()

    def _report(self) -> None:
        on_change = self.on_change
        assert on_change is not None and self._reported is not None
        contents = self._contents()
        if contents is self._seen and not self._churned:
            return
        schema = self.push.schema
        view = self.push.view(self, contents)
        net = diff(schema, self._reported, view)
        changed = [change.path for change in net.changes]
        churned = [
            path
            for path in self._churned.values()
            if not any(path[: len(c)] == c or c[: len(path)] == path for c in changed)
        ]
        found = [
            edit
            for edit in (*edits(schema, net, view), *restated(schema, churned, view))
            if edit.operation not in on_change.excluded
        ]
        self._churned.clear()
        self._last_look = self._looked = None
        if not found:
            self._seen = contents
            return
        update = self._update("push-change-update")
        changes = etree.SubElement(update, f"{{{self.push.ns}}}datastore-changes")
        changes.append(yang_patch(self.push.ns, str(self._patch_id), found))
        if self._send(update):
            self._reported, self._seen = view, contents
            self._patch_id = (self._patch_id + 1) % 2**32
            self._quiet()

    def _quiet(self) -> None:
        on_change = self.on_change
        if on_change is not None and on_change.dampening:
            self._quiet_until = self.push.clock.now() + on_change.dampening * _CENTISECOND

    # --- periodic --------------------------------------------------------------------------

    def _next_period(self, *, first: bool = False) -> None:
        trigger = self.trigger
        assert isinstance(trigger, PeriodicTrigger)
        now = self.push.clock.now()
        period = trigger.period * _CENTISECOND
        if first:
            # RFC 8641 §4.2: without an anchor-time, the time of the first update
            self._anchor = trigger.anchor or now
        anchor = self._anchor or now
        # the first multiple of the period from the anchor at or after now (later than now
        # once an update has gone)
        steps = -((anchor - now) // period)
        due = anchor + steps * period
        if due <= now and not first:
            due += period
        if due <= now:
            self._push_update(self._contents())
            due += period
        self._timer = self.push.clock.call_at(due, self._periodic)

    async def _periodic(self) -> None:
        self._timer = None
        self._push_update(self._contents())
        self._next_period()

    # --- both ------------------------------------------------------------------------------

    def _contents(self) -> _Contents:
        return self.push.contents(self.target.datastore, on_change=self.on_change is not None)

    def _push_update(self, contents: _Contents) -> None:
        update = self._update("push-update")
        data = self.push.view_xml(self, contents)
        anydata = etree.SubElement(update, f"{{{self.push.ns}}}datastore-contents")
        anydata.extend(list(data))
        if self._send(update):
            self._quiet()
        self._owed = self.state is ReceiverState.SUSPENDED

    def _send(self, update: etree._Element) -> bool:
        """Send an update, unless its user may not receive ietf-yang-push's notifications
        (RFC 8341 §3.4.6: a notification rule)."""
        access = self.push.access
        if access is not None and access.readable(self.context, update, ()) is None:
            self.excluded += 1
            return False
        return self.send(update, self.push.clock.now())

    def _update(self, name: str) -> etree._Element:
        update = self.push.element(name)
        etree.SubElement(update, f"{{{self.push.ns}}}id").text = str(self.id)
        return update

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- state -----------------------------------------------------------------------------

    def target_state(self) -> RawObject:
        found: dict[str, Any] = {
            f"{YANG_PUSH_MODULE}:datastore": f"ietf-datastores:{self.target.datastore}"
        }
        # as for a stream subscription, a filter given in the request is not shown
        if self.target.filter_name is not None:
            found[f"{YANG_PUSH_MODULE}:selection-filter-ref"] = self.target.filter_name
        trigger = self.trigger
        if isinstance(trigger, PeriodicTrigger):
            periodic: dict[str, Any] = {"period": trigger.period}
            if trigger.anchor is not None:
                periodic["anchor-time"] = event_time(trigger.anchor)
            found[f"{YANG_PUSH_MODULE}:periodic"] = periodic
        else:
            on_change: dict[str, Any] = {
                "dampening-period": trigger.dampening,
                "sync-on-start": trigger.sync_on_start,
            }
            if trigger.excluded:
                on_change["excluded-change"] = sorted(trigger.excluded)
            found[f"{YANG_PUSH_MODULE}:on-change"] = on_change
        return found

    def policy(self, parent: etree._Element) -> None:
        ns = self.push.ns
        datastore = etree.SubElement(
            parent,
            f"{{{ns}}}datastore",
            nsmap={"ds": self.push.schema.namespace_of_module["ietf-datastores"]},
        )
        datastore.text = f"ds:{self.target.datastore}"
        self.manager.filter_element(parent, ns, "datastore", self.selection)
        if self.stop is not None:
            etree.SubElement(parent, f"{{{self.manager.ns}}}stop-time").text = event_time(self.stop)
        self.manager.identity(parent, "encoding", f"{SN}:{ENCODE_XML}")
        trigger = self.trigger
        if isinstance(trigger, PeriodicTrigger):
            periodic = etree.SubElement(parent, f"{{{ns}}}periodic")
            etree.SubElement(periodic, f"{{{ns}}}period").text = str(trigger.period)
            if trigger.anchor is not None:
                etree.SubElement(periodic, f"{{{ns}}}anchor-time").text = event_time(trigger.anchor)
        else:
            on_change = etree.SubElement(parent, f"{{{ns}}}on-change")
            etree.SubElement(on_change, f"{{{ns}}}dampening-period").text = str(trigger.dampening)
            etree.SubElement(on_change, f"{{{ns}}}sync-on-start").text = str(
                trigger.sync_on_start
            ).lower()
            for excluded in sorted(trigger.excluded):
                etree.SubElement(on_change, f"{{{ns}}}excluded-change").text = excluded
