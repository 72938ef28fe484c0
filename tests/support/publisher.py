"""One switch's notification machinery without sockets: the datastores, the NETCONF stream,
dynamic subscriptions and YANG-push wired as the emulated switch wires them, sessions that
collect what they are sent (and a backlog the test drains), the switch's state set by the
test, time on a simulated clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.persistence import save_config
from smartupgrade_server.datastore.store import STARTUP_FILE, Datastores
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import Rebooting
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.netconf.errors import RpcError
from smartupgrade_server.netconf.notification import NotificationBacklog
from smartupgrade_server.netconf.registry import SessionContext, SessionRegistry
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.dispatcher import NetconfOperations
from smartupgrade_server.operations.notifications import NotificationStream
from smartupgrade_server.operations.subscriptions import SubscriptionLimits, Subscriptions
from smartupgrade_server.operations.yang_push import YangPush
from tests.interop.clients import yanglint_validate_notification
from tests.support.manual_scheduler import ManualScheduler

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NOTIFICATION = "urn:ietf:params:xml:ns:netconf:notification:1.0"
SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
YP = "urn:ietf:params:xml:ns:yang:ietf-yang-push"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone(timedelta(hours=8)))
# what an establish-subscription's elements are written with
PREFIXES = f'xmlns="{SN}" xmlns:yp="{YP}" xmlns:ds="{DS}" xmlns:su="{SU}"'


@dataclass
class Session:
    context: SessionContext
    backlog: NotificationBacklog
    # every notification sent, as the transport would write it (unframed)
    sent: list[bytes] = field(default_factory=list)
    # how many of them the client has read
    read: int = 0

    def take(self) -> list[etree._Element]:
        """The events (the element after eventTime) not taken yet, each written out and
        validated by yanglint as a whole notification."""
        taken = []
        while self.read < len(self.sent):
            message = self.sent[self.read]
            self.read += 1
            self.backlog.written(message)
            event = etree.fromstring(message)[1]
            # RFC 6470's edits name nodes of running as instance-identifiers that must exist,
            # which yanglint could check only against running itself (and a deleted node's
            # does not)
            if etree.QName(event).localname != "netconf-config-change":
                checked = yanglint_validate_notification(message, ["sunc-smart-upgrade:ap-upgrade"])
                assert checked.valid, checked.output + message.decode()
            taken.append(event)
        return taken

    def names(self) -> list[str]:
        return [etree.QName(event).localname for event in self.take()]


class Publisher:
    """The subscriptions of one switch, driven without sockets."""

    def __init__(
        self, directory: Path, *, access: bool = False, limits: SubscriptionLimits | None = None
    ) -> None:
        schema = Schema(data_model(ap_upgrade=True))
        self.clock = SimulatedClock(START)
        if access:
            # the switch's factory rules (below level 3: nothing of smart upgrade)
            save_config(directory / STARTUP_FILE, factory_nacm())
        self.datastores = Datastores(schema, directory, ManualScheduler())
        self.operations = NetconfOperations(self.datastores)
        # the switch's state, as the device link gives it
        self.state: RawObject = {}
        control = AccessControl(self.datastores) if access else None
        self.access = control
        if control is not None:
            self.datastores.set_authorizer(control)
        self.stream = NotificationStream(schema, self.clock, control)
        self.stream.register(self.operations.register)
        self.datastores.subscribe(self.stream)
        self.subscriptions = Subscriptions(
            self.datastores, self.clock, self.stream, limits=limits or SubscriptionLimits()
        )
        self.subscriptions.register(self.operations.register)
        self.datastores.subscribe(self.subscriptions)
        self.datastores.set_state_provider(lambda: self.state)
        if control is not None:
            self.datastores.add_state_provider(control.state)
        self.datastores.add_state_provider(self.subscriptions.state)
        self.push = YangPush(self.subscriptions, control, lambda: self.state)
        self.push.register(self.operations.register)
        self.datastores.subscribe(self.push)
        self.registry = SessionRegistry()
        self.stream.attach(self.registry)
        self.subscriptions.attach(self.registry)

    def session(self, username: str = "admin", level: int = 3) -> Session:
        backlog = NotificationBacklog()
        sent: list[bytes] = []

        def notify(message: bytes) -> None:
            sent.append(message)
            backlog.queued(message)

        context = self.registry.open(
            username, level, "127.0.0.1:1", lambda: None, notify, backlog=backlog
        )
        return Session(context, backlog, sent)

    async def ask(self, session: Session, operation: str) -> ReplyContent:
        rpc = etree.fromstring(f'<rpc xmlns="{NC}" message-id="1">{operation}</rpc>')
        request = RpcRequest("1", {"message-id": "1"}, rpc[0], rpc)
        return await self.operations.dispatch(session.context, request)

    async def error_of(self, session: Session, operation: str) -> bytes:
        with pytest.raises(RpcError) as caught:
            await self.ask(session, operation)
        return etree.tostring(caught.value.to_xml())

    async def establish(self, session: Session, body: str) -> int:
        reply = await self.ask(
            session, f"<establish-subscription {PREFIXES}>{body}</establish-subscription>"
        )
        assert isinstance(reply, list)
        return int(reply[0].text or "")

    def switch_changed(self, **state: Any) -> None:
        """The switch's smart-upgrade state is now ``state`` (leaves of upgrade-information),
        and it tells its observers."""
        self.state = {"sunc-smart-upgrade:smart-upgrade": {"upgrade-information": dict(state)}}
        self.push.device_event(Rebooting())


def edits_of(event: etree._Element) -> Iterator[tuple[str, str, str]]:
    """(operation, target, the value's text) of each edit of a push-change-update."""
    for edit in event.iterfind(f".//{{{YP}}}edit"):
        value = edit.find(f"{{{YP}}}value")
        yield (
            edit.findtext(f"{{{YP}}}operation") or "",
            edit.findtext(f"{{{YP}}}target") or "",
            "" if value is None or len(value) == 0 else "".join(map(str, value[0].itertext())),
        )
