"""YANG-push (RFC 8641) and dynamic subscriptions (RFC 8639, RFC 8640) over real SSH, with plain
ncclient as a controller would use it: the switch on the simulated clock, a real HOUP, every
notification validated by yanglint (``-t nc-notif``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import asyncssh
import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError

from smartupgrade_model.model import NAMESPACE, UpgradeStatus
from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import encode_end_of_message
from smartupgrade_server.netconf.notification import NOTIFICATION_NS
from smartupgrade_server.operations.subscriptions import ReceiverState, SubscriptionLimits
from tests.integration.test_upgrade_over_netconf import ENABLE, make_rig, rig, rpc, su_config
from tests.interop.clients import yanglint_validate_notification
from tests.support.blocking import call
from tests.support.defaults import REBOOT
from tests.support.publisher import edits_of
from tests.support.raw_netconf import RawSession
from tests.support.switch import SwitchRig

# the switches of test_upgrade_over_netconf: managing an AP, wired to the HOUP
__all__ = ["make_rig", "rig"]

SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
YP = "urn:ietf:params:xml:ns:yang:ietf-yang-push"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
AP_FEATURES = ["sunc-smart-upgrade:ap-upgrade"]
HELLO = (
    f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
    f"<capability>{BASE_1_1}</capability></capabilities></hello>"
).encode()


def establish(body: str) -> etree._Element:
    return etree.fromstring(
        f'<establish-subscription xmlns="{SN}" xmlns:yp="{YP}" xmlns:ds="{DS}" '
        f'xmlns:su="{NAMESPACE}">{body}</establish-subscription>'
    )


def on_change(datastore: str = "operational", selection: str = "", extra: str = "") -> str:
    return (
        f"<yp:datastore>ds:{datastore}</yp:datastore>{selection}"
        f"<yp:on-change>{extra}</yp:on-change>"
    )


def subscription_id(reply: Any) -> int:
    found = etree.fromstring(reply.xml.encode()).find(f"{{{SN}}}id")
    assert found is not None
    return int(found.text or "")


async def take(session: manager.Manager) -> etree._Element:
    """The next notification's envelope, validated by yanglint."""
    while (notification := await call(session.take_notification, True, 1.0)) is None:
        pass
    envelope: etree._Element = notification.notification_ele
    checked = yanglint_validate_notification(notification.notification_xml, AP_FEATURES)
    assert checked.valid, checked.output + notification.notification_xml
    assert envelope.tag == f"{{{NOTIFICATION_NS}}}notification"
    return envelope


def content(envelope: etree._Element) -> etree._Element:
    found: etree._Element = envelope[1]
    return found


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def leaves(element: etree._Element, base: str) -> Iterator[tuple[str, str]]:
    """The leaves under ``element`` as (resource path, text); ``base`` is its path."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        yield base, (element.text or "").strip()
        return
    for child in children:
        yield from leaves(child, f"{base}/{local(child)}")


class Mirror:
    """A controller's copy of the selected data, kept by push-update and push-change-update
    alone; leaves by RFC 8040 resource path."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.patch_ids: list[int] = []

    def apply(self, update: etree._Element) -> None:
        if local(update) == "push-update":
            self.data = {}
            self.patch_ids = []
            contents = update.find(f"{{{YP}}}datastore-contents")
            assert contents is not None
            for top in contents:
                name = f"/{_module(top)}:{local(top)}"
                self.data.update(leaves(top, name))
            return
        assert local(update) == "push-change-update"
        patch = update.find(f"{{{YP}}}datastore-changes/{{{YP}}}yang-patch")
        assert patch is not None
        self.patch_ids.append(int(patch.findtext(f"{{{YP}}}patch-id") or ""))
        for edit in patch.iterfind(f"{{{YP}}}edit"):
            operation = edit.findtext(f"{{{YP}}}operation")
            target = edit.findtext(f"{{{YP}}}target") or ""
            for path in [
                path for path in self.data if path == target or path.startswith(target + "/")
            ]:
                del self.data[path]
            if operation in ("create", "replace", "merge", "insert"):
                value = edit.find(f"{{{YP}}}value")
                assert value is not None
                (node,) = list(value)
                self.data.update(leaves(node, target))
            else:
                assert operation == "delete", operation

    def leaf(self, path: str) -> str | None:
        return self.data.get(f"/sunc-smart-upgrade:smart-upgrade/{path}")


def _module(element: etree._Element) -> str:
    namespace = etree.QName(element).namespace
    return {NAMESPACE: "sunc-smart-upgrade"}.get(namespace or "", namespace or "")


UPGRADE_SELECTION = (
    "<yp:datastore-xpath-filter>/su:smart-upgrade/su:upgrade-information | "
    "/su:smart-upgrade/su:local-information</yp:datastore-xpath-filter>"
)


async def test_a_controller_follows_a_whole_upgrade_by_yang_push_alone(rig: SwitchRig) -> None:
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    await call(m.dispatch, rpc("refresh"))
    reply = await call(m.dispatch, establish(on_change(selection=UPGRADE_SELECTION)))
    identifier = subscription_id(reply)
    mirror = Mirror()
    first = content(await take(m))
    assert local(first) == "push-update"
    assert first.findtext(f"{{{YP}}}id") == str(identifier)
    mirror.apply(first)
    assert mirror.leaf("local-information/software-version") == "V200R020C00"
    assert mirror.leaf("upgrade-information/upgrade-status") is None

    await call(m.dispatch, rpc("right-now"))
    statuses: list[str] = []
    percents: list[int] = []
    while True:
        notification = await call(m.take_notification, True, 0.2)
        if notification is None:
            if not m.connected:
                break
            continue
        checked = yanglint_validate_notification(notification.notification_xml, AP_FEATURES)
        assert checked.valid, checked.output
        mirror.apply(content(notification.notification_ele))
        status = mirror.leaf("upgrade-information/upgrade-status")
        if status is not None and (not statuses or statuses[-1] != status):
            statuses.append(status)
        percent = mirror.leaf("upgrade-information/software-download-progress")
        if percent is not None and (not percents or percents[-1] != int(percent)):
            percents.append(int(percent))
    # every patch was in order, and the download's progress only grew to 100
    assert mirror.patch_ids == list(range(len(mirror.patch_ids)))
    assert statuses == [UpgradeStatus.RUNNING.value]
    assert percents == sorted(percents) and percents[-1] == 100
    assert mirror.leaf("upgrade-information/software-download-speed") is not None

    # the switch reboots into the new version; a new session subscribes again
    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    m = await rig.session()
    await call(m.dispatch, establish(on_change(selection=UPGRADE_SELECTION)))
    mirror.apply(content(await take(m)))
    assert mirror.leaf("upgrade-information/upgrade-status") == UpgradeStatus.SUCCESS.value
    assert mirror.leaf("local-information/software-version") == "V200R024C00"
    assert mirror.leaf("local-information/patch-version") == "V200R020SPH001"
    assert mirror.leaf("upgrade-information/last-upgrade-result") == "success"
    await call(m.close_session)


async def test_configuration_edits_from_netconf_and_the_switch_are_patches(rig: SwitchRig) -> None:
    watcher, editor = await rig.session(), await rig.session()
    selection = "<yp:datastore-xpath-filter>/su:smart-upgrade</yp:datastore-xpath-filter>"
    await call(watcher.dispatch, establish(on_change("running", selection)))
    mirror = Mirror()
    mirror.apply(content(await take(watcher)))
    assert mirror.data == {}
    await call(editor.edit_config, target="running", config=su_config(ENABLE))
    update = content(await take(watcher))
    mirror.apply(update)
    (edit,) = update.iterfind(f".//{{{YP}}}edit")
    assert edit.findtext(f"{{{YP}}}operation") == "create"
    assert edit.findtext(f"{{{YP}}}target") == "/sunc-smart-upgrade:smart-upgrade"
    assert mirror.leaf("enabled") == "true"
    await call(
        editor.edit_config, target="running", config=su_config("<https-port>8443</https-port>")
    )
    update = content(await take(watcher))
    (edit,) = update.iterfind(f".//{{{YP}}}edit")
    assert edit.findtext(f"{{{YP}}}target") == "/sunc-smart-upgrade:smart-upgrade/https-port"
    assert edit.findtext(f"{{{YP}}}operation") == "create"
    mirror.apply(update)
    assert mirror.leaf("https-port") == "8443"
    await call(
        editor.edit_config,
        target="running",
        config=su_config('<https-port nc:operation="delete"/>'),
    )
    update = content(await take(watcher))
    mirror.apply(update)
    assert mirror.leaf("https-port") is None
    assert mirror.patch_ids == [0, 1, 2]


async def test_periodic_updates_fall_on_the_anchor_time_of_the_switchs_clock(
    rig: SwitchRig,
) -> None:
    m = await rig.session()
    anchor = rig.clock.now() + timedelta(seconds=30)
    body = (
        "<yp:datastore>ds:operational</yp:datastore>"
        "<yp:datastore-xpath-filter>/su:smart-upgrade/su:local-information"
        "</yp:datastore-xpath-filter>"
        f"<yp:periodic><yp:period>6000</yp:period>"
        f"<yp:anchor-time>{anchor.isoformat()}</yp:anchor-time></yp:periodic>"
    )
    await call(m.dispatch, establish(body))
    times = []
    for _ in range(3):
        await rig.clock.advance(timedelta(seconds=60))
        envelope = await take(m)
        assert local(content(envelope)) == "push-update"
        times.append(envelope.findtext(f"{{{NOTIFICATION_NS}}}eventTime"))
    # anchor - 60 s + k * 60 s: 30 s, 90 s, 150 s after the start
    start = rig.clock.now() - timedelta(seconds=180)
    assert times == [(start + timedelta(seconds=s)).isoformat() for s in (30, 90, 150)]
    assert await call(m.take_notification, False) is None


async def test_rpc_errors(rig: SwitchRig) -> None:
    m, other = await rig.session(), await rig.session()
    with pytest.raises(RPCError) as caught:
        await call(m.dispatch, establish("<stream>SYSLOG</stream>"))
    assert (caught.value.tag, caught.value.app_tag) == ("data-missing", "instance-required")
    reply = await call(other.dispatch, establish("<stream>NETCONF</stream>"))
    theirs = subscription_id(reply)
    modify = etree.fromstring(
        f'<modify-subscription xmlns="{SN}"><id>{theirs}</id>'
        "<stream-xpath-filter>/*</stream-xpath-filter></modify-subscription>"
    )
    with pytest.raises(RPCError) as caught:
        await call(m.dispatch, modify)
    assert caught.value.tag == "invalid-value"
    assert caught.value.app_tag == "ietf-subscribed-notifications:no-such-subscription"


async def test_the_sdk_waits_on_an_on_change_subscription(rig: SwitchRig) -> None:
    def run() -> tuple[Any, list[int], bool, int, bool]:
        with rig.sdk() as client:
            client.set_ssl_policy("houp")
            client.enable()
            client.download()
            seen: list[int] = []
            final = client.wait(progress=lambda p: seen.append(p.percent), poll_interval=0.01)
            session_id = int(client.manager.session_id)
            sent = rig.switch.server.counters.sessions[session_id].out_notifications
            return (
                final,
                seen,
                client.offers_yang_push(),
                sent,
                rig.switch.notifications.subscribed(session_id),
            )

    final, seen, offered, notifications, create_subscription = await call(run)
    assert offered
    assert final.upgrade_status.value == UpgradeStatus.SUCCESS.value
    assert seen and seen[-1] == 100
    # followed by updates (no polling), of a subscription that is gone (no RFC 5277 one)
    assert notifications > 0 and not create_subscription
    assert list(rig.switch.subscriptions) == []


async def test_a_subscriber_that_stops_reading_is_suspended_then_resumed(rig: SwitchRig) -> None:
    limits = SubscriptionLimits(suspend_at=16 * 1024, resume_at=0)
    rig.switch.subscriptions.limits = limits
    server = rig.server()
    connection = await asyncssh.connect(
        server.host, server.port, username=server.username, password=server.password,
        known_hosts=None,
    )  # fmt: skip
    # a small SSH window: the switch soon has to keep what the client does not read
    writer, reader, _ = await connection.open_session(
        subsystem="netconf", encoding=None, window=4096
    )
    slow = RawSession(connection, writer, reader)
    await slow.read_message()
    writer.write(encode_end_of_message(HELLO))
    slow.decoder.switch_to_chunked()
    slow.send_rpc("1", etree.tostring(establish(on_change("running"))).decode())
    assert b"</id></rpc-reply>" in await slow.read_message()
    (subscription,) = rig.switch.subscriptions
    backlog = subscription.context.backlog
    assert backlog is not None

    # the client reads no more; another session edits on (the SDK: no ncclient tick)
    def edit_until_suspended_then(more: int) -> tuple[int, int]:
        with rig.sdk() as editor:
            port = 1000
            while subscription.state is ReceiverState.ACTIVE:
                port += 1
                editor.set_https_port(port)
            held = backlog.bytes
            for _ in range(more):
                port += 1
                editor.set_https_port(port)
            return port, held

    port, held = await call(edit_until_suspended_then, 50)
    # bounded: nothing more is kept for it while it is suspended
    assert backlog.bytes == held <= limits.suspend_at + 4096
    # it reads again: resumed, with the patch from its last update to now
    names: list[str] = []
    while "subscription-resumed" not in names or names[-1] != "push-change-update":
        last = etree.fromstring(await slow.read_message())[1]
        names.append(local(last))
    assert names.index("subscription-suspended") < names.index("subscription-resumed")
    assert [value for *_, value in edits_of(last)] == [str(port)]
    slow.close()
