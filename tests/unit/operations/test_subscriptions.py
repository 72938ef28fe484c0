"""Dynamic subscriptions (RFC 8639) and YANG-push (RFC 8641) without sockets: what each
subscription sends, when, and what its receiver is told about it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from yangson.enumerations import ContentType

from smartupgrade_server.datastore.store import DatastoreName
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.operations.subscriptions import ReceiverState, SubscriptionLimits
from smartupgrade_server.vrp.shell import CommandLine, FixedChassis
from tests.support.publisher import PREFIXES, SN, SU, YP, Publisher, edits_of
from tests.support.terminal import Terminal

STREAM = "<stream>NETCONF</stream>"
NCN = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"


def edit(body: str) -> str:
    return (
        "<edit-config><target><running/></target><config>"
        f'<smart-upgrade xmlns="{SU}">{body}</smart-upgrade></config></edit-config>'
    )


@pytest.fixture
def publisher(tmp_path: Path) -> Publisher:
    return Publisher(tmp_path)


async def test_a_stream_filter_tests_events_and_never_strips_them(publisher: Publisher) -> None:
    watcher, editor = publisher.session(), publisher.session()
    await publisher.establish(
        watcher,
        f'{STREAM}<stream-subtree-filter><netconf-config-change xmlns="{NCN}"/>'
        "</stream-subtree-filter>",
    )
    publisher.session()  # a session start: not chosen
    await publisher.ask(editor, edit("<https-port>8443</https-port>"))
    (event,) = watcher.take()
    assert etree.QName(event).localname == "netconf-config-change"
    # the whole event: who changed what
    assert event.find(f"{{{NCN}}}changed-by") is not None
    assert event.find(f"{{{NCN}}}edit") is not None


async def test_a_replay_then_replay_completed_then_what_happens(publisher: Publisher) -> None:
    early = publisher.session()
    await publisher.clock.advance(timedelta(minutes=1))
    late = publisher.session()
    start = (publisher.clock.now() - timedelta(minutes=2)).isoformat()
    await publisher.establish(late, f"{STREAM}<replay-start-time>{start}</replay-start-time>")
    publisher.session()
    assert late.names() == [
        "netconf-session-start",
        "netconf-session-start",
        "replay-completed",
        "netconf-session-start",
    ]
    del early


async def test_at_its_stop_time_a_subscription_ends_silently(publisher: Publisher) -> None:
    session = publisher.session()
    stop = (publisher.clock.now() + timedelta(minutes=1)).isoformat()
    await publisher.establish(session, f"{STREAM}<stop-time>{stop}</stop-time>")
    await publisher.clock.advance(timedelta(minutes=2))
    publisher.session()
    assert session.take() == []
    assert list(publisher.subscriptions) == []


async def test_killed_its_receiver_is_told_deleted_it_is_not(publisher: Publisher) -> None:
    owner, operator = publisher.session(), publisher.session()
    first = await publisher.establish(owner, STREAM)
    second = await publisher.establish(owner, STREAM)
    await publisher.ask(
        operator, f'<kill-subscription xmlns="{SN}"><id>{first}</id></kill-subscription>'
    )
    await publisher.ask(
        owner, f'<delete-subscription xmlns="{SN}"><id>{second}</id></delete-subscription>'
    )
    (terminated,) = owner.take()
    assert etree.QName(terminated).localname == "subscription-terminated"
    assert terminated.findtext(f"{{{SN}}}id") == str(first)
    assert terminated.findtext(f"{{{SN}}}reason") == "sn:no-such-subscription"
    assert list(publisher.subscriptions) == []


async def test_a_receiver_that_falls_behind_is_suspended_then_resumed(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path, limits=SubscriptionLimits(suspend_at=2000, resume_at=0))
    slow = publisher.session()
    await publisher.establish(slow, "<yp:datastore>ds:operational</yp:datastore><yp:on-change/>")
    for progress in range(1, 40):
        publisher.switch_changed(
            **{"upgrade-status": "running", "software-download-progress": progress}
        )
    # bounded: a few updates, then one subscription-suspended and nothing more
    assert sum(len(message) for message in slow.sent) < 4000
    waiting = len(slow.sent)
    assert etree.QName(etree.fromstring(slow.sent[-1])[1]).localname == "subscription-suspended"
    # the client reads: once the backlog has drained, the subscription resumes
    events = slow.take()
    names = [etree.QName(event).localname for event in events]
    assert names[waiting - 1 :] == [
        "subscription-suspended",
        "subscription-resumed",
        "push-change-update",
    ]
    suspended, resumed, patch = events[waiting - 1 :]
    assert suspended.findtext(f"{{{SN}}}reason") == "sn:unsupportable-volume"
    assert resumed.findtext(f"{{{SN}}}id") == suspended.findtext(f"{{{SN}}}id")
    # a patch from the last update it had to now (RFC 8641 §3.11.1)
    assert (
        "replace",
        "/sunc-smart-upgrade:smart-upgrade/upgrade-information/software-download-progress",
        "39",
    ) in list(edits_of(patch))


async def test_on_change_waits_for_the_dampening_period_and_sends_the_last_values(
    publisher: Publisher,
) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        "<yp:datastore>ds:operational</yp:datastore>"
        "<yp:on-change><yp:dampening-period>500</yp:dampening-period></yp:on-change>",
    )
    (sync,) = session.take()
    assert etree.QName(sync).localname == "push-update"
    # the period runs from the first update: these changes wait for its end
    for progress in (10, 20, 30):
        publisher.switch_changed(
            **{"upgrade-status": "running", "software-download-progress": progress}
        )
    assert session.take() == []
    await publisher.clock.advance(timedelta(seconds=5))
    (dampened,) = session.take()
    ((operation, target, value),) = edits_of(dampened)
    assert (operation, target) == ("create", "/sunc-smart-upgrade:smart-upgrade")
    assert value == "running30"
    publisher.switch_changed(**{"upgrade-status": "success", "software-download-progress": 100})
    assert session.take() == []
    await publisher.clock.advance(timedelta(seconds=5))
    (last,) = session.take()
    assert [edit[2] for edit in edits_of(last)] == ["success", "100"]
    assert last.findtext(f".//{{{YP}}}patch-id") == "1"


async def test_excluded_changes_are_not_reported(publisher: Publisher) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        "<yp:datastore>ds:running</yp:datastore><yp:on-change><yp:sync-on-start>false"
        "</yp:sync-on-start><yp:excluded-change>replace</yp:excluded-change></yp:on-change>",
    )
    editor = publisher.session()
    await publisher.ask(editor, edit("<https-port>8443</https-port>"))
    await publisher.ask(editor, edit("<https-port>9443</https-port>"))
    await publisher.ask(
        editor,
        edit(
            '<https-port xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"/>'
        ),
    )
    created, deleted = session.take()
    assert [e[0] for e in edits_of(created)] == ["create"]
    assert [e[0] for e in edits_of(deleted)] == ["delete"]


async def test_resync_sends_the_whole_selection_and_counts_patches_from_0(
    publisher: Publisher,
) -> None:
    session = publisher.session()
    identifier = await publisher.establish(
        session, "<yp:datastore>ds:operational</yp:datastore><yp:on-change/>"
    )
    publisher.switch_changed(**{"upgrade-status": "running"})
    publisher.switch_changed(**{"upgrade-status": "success"})
    await publisher.ask(
        session, f'<resync-subscription xmlns="{YP}"><id>{identifier}</id></resync-subscription>'
    )
    publisher.switch_changed(**{"upgrade-status": "running"})
    events = session.take()
    assert [etree.QName(e).localname for e in events] == [
        "push-update",
        "push-change-update",
        "push-change-update",
        "push-update",
        "push-change-update",
    ]
    assert [e.findtext(f".//{{{YP}}}patch-id") for e in events[1:3]] == ["0", "1"]
    assert events[-1].findtext(f".//{{{YP}}}patch-id") == "0"
    assert events[3].findtext(f".//{{{SU}}}upgrade-status") == "success"


async def test_periodic_without_an_anchor_starts_at_once(publisher: Publisher) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        "<yp:datastore>ds:running</yp:datastore><yp:periodic><yp:period>1000</yp:period>"
        "</yp:periodic>",
    )
    assert session.names() == ["push-update"]
    await publisher.clock.advance(timedelta(seconds=25))
    assert session.names() == ["push-update", "push-update"]


async def test_a_configured_filter_that_changes_modifies_its_subscriptions(
    publisher: Publisher,
) -> None:
    admin = publisher.session()

    async def configure(filters: str) -> None:
        await publisher.ask(
            admin,
            "<edit-config><target><running/></target><config>"
            f'<filters xmlns="{SN}" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
            f"{filters}</filters></config></edit-config>",
        )

    await configure(
        "<stream-filter><name>sessions</name><stream-xpath-filter>"
        "/ietf-netconf-notifications:netconf-session-start</stream-xpath-filter></stream-filter>"
    )
    session = publisher.session()
    identifier = await publisher.establish(
        session, f"{STREAM}<stream-filter-name>sessions</stream-filter-name>"
    )
    publisher.session()
    assert session.names() == ["netconf-session-start"]
    await configure(
        "<stream-filter><name>sessions</name><stream-xpath-filter>"
        "/ietf-netconf-notifications:netconf-config-change</stream-xpath-filter></stream-filter>"
    )
    # after the events of the old terms (the change itself was not a session start)
    (modified,) = session.take()
    assert etree.QName(modified).localname == "subscription-modified"
    assert modified.findtext(f"{{{SN}}}id") == str(identifier)
    assert modified.findtext(f"{{{SN}}}stream-xpath-filter") == (
        "/ietf-netconf-notifications:netconf-config-change"
    )
    await configure('<stream-filter nc:operation="delete"><name>sessions</name></stream-filter>')
    change, terminated = session.take()
    assert etree.QName(change).localname == "netconf-config-change"
    assert terminated.findtext(f"{{{SN}}}reason") == "sn:filter-unavailable"
    assert list(publisher.subscriptions) == []


async def test_a_user_never_sees_a_node_it_may_not_read(tmp_path: Path) -> None:
    # the factory rules: below level 3, nothing of sunc-smart-upgrade
    publisher = Publisher(tmp_path, access=True)
    admin = publisher.session()
    await publisher.ask(
        admin,
        "<edit-config><target><running/></target><config>"
        f'<ssl-policies xmlns="{SSLP}"><ssl-policy><name>houp</name></ssl-policy>'
        "</ssl-policies></config></edit-config>",
    )
    operator = publisher.session("operator", 2)
    on_change = "<yp:datastore>ds:operational</yp:datastore><yp:on-change/>"
    await publisher.establish(operator, on_change)
    await publisher.establish(admin, on_change)
    publisher.switch_changed(**{"upgrade-status": "running"})
    await publisher.ask(admin, edit("<https-port>8443</https-port>"))
    (sync,) = operator.take()
    assert sync.find(f".//{{{SU}}}smart-upgrade") is None
    assert sync.find(f".//{{{SSLP}}}ssl-policy") is not None
    _, state, config = admin.take()
    assert [edit[1] for edit in edits_of(state)] == ["/sunc-smart-upgrade:smart-upgrade"]
    assert [edit[1] for edit in edits_of(config)] == [
        "/sunc-smart-upgrade:smart-upgrade/https-port"
    ]


async def test_streams_and_subscriptions_are_valid_operational_state(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path, access=True)
    session = publisher.session()
    await publisher.establish(session, f"{STREAM}<stream-xpath-filter>/*</stream-xpath-filter>")
    await publisher.establish(
        session,
        "<yp:datastore>ds:running</yp:datastore><yp:periodic><yp:period>500</yp:period>"
        "</yp:periodic>",
    )
    raw = publisher.datastores.operational().raw_value()
    validated(publisher.datastores.schema, raw, ContentType.all)
    listed = raw["ietf-subscribed-notifications:subscriptions"]["subscription"]
    assert [entry["id"] for entry in listed] == [1, 2]
    assert listed[1]["ietf-yang-push:periodic"] == {"period": 500}
    assert listed[0]["receivers"]["receiver"][0]["state"] == "active"
    stream = raw["ietf-subscribed-notifications:streams"]["stream"][0]
    assert stream["name"] == "NETCONF" and stream["replay-support"] == [None]
    # dynamic subscriptions are state: running has none
    assert "ietf-subscribed-notifications:subscriptions" not in publisher.datastores.raw_view(
        DatastoreName.RUNNING
    )


async def test_a_notification_rule_keeps_push_updates_from_a_user(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path, access=True)
    admin = publisher.session()
    await publisher.ask(
        admin,
        "<edit-config><target><running/></target><config>"
        '<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm" '
        'xmlns:yang="urn:ietf:params:xml:ns:yang:1"><rule-list>'
        '<name>management-level</name><rule yang:insert="first"><name>no-push</name>'
        "<module-name>ietf-yang-push</module-name><notification-name>push-update"
        "</notification-name><action>deny</action></rule></rule-list></nacm>"
        "</config></edit-config>",
    )
    await publisher.establish(admin, "<yp:datastore>ds:running</yp:datastore><yp:on-change/>")
    await publisher.ask(admin, edit("<https-port>8443</https-port>"))
    # the first update is denied; the patches are not push-updates
    assert admin.names() == ["push-change-update"]
    (subscription,) = publisher.subscriptions
    assert subscription.excluded == 1


async def test_a_change_undone_within_the_dampening_period_is_still_reported(
    publisher: Publisher,
) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        "<yp:datastore>ds:operational</yp:datastore>"
        "<yp:on-change><yp:dampening-period>500</yp:dampening-period></yp:on-change>",
    )
    publisher.switch_changed(**{"upgrade-status": "running"})
    await publisher.clock.advance(timedelta(seconds=5))
    session.take()
    # within the next period: the status changes and changes back, a progress comes and goes
    publisher.switch_changed(**{"upgrade-status": "success"})
    publisher.switch_changed(**{"upgrade-status": "running", "software-download-progress": 5})
    publisher.switch_changed(**{"upgrade-status": "running"})
    await publisher.clock.advance(timedelta(seconds=5))
    (patch,) = session.take()
    information = "/sunc-smart-upgrade:smart-upgrade/upgrade-information"
    assert sorted(edits_of(patch)) == [
        ("delete", f"{information}/software-download-progress", ""),
        ("replace", f"{information}/upgrade-status", "running"),
    ]


async def test_the_command_line_s_edits_are_patches_too(publisher: Publisher) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        f'<yp:datastore>ds:running</yp:datastore><yp:datastore-xpath-filter xmlns:sslp="{SSLP}">'
        "/sslp:ssl-policies</yp:datastore-xpath-filter>"
        "<yp:on-change><yp:sync-on-start>false</yp:sync-on-start></yp:on-change>",
    )
    chassis = FixedChassis(
        Identity("S5732-H", "S5732-H24UM2CC", "2102351XFR10P0000001"),
        "V200R020C00",
        None,
        publisher.clock,
        512 * 1024 * 1024,
    )
    command_line = CommandLine(publisher.datastores, chassis)
    screen: list[str] = []
    terminal = Terminal(command_line.session(9, "admin", 3, screen.append), screen)
    await terminal.shell.wait_idle()
    terminal.new()
    await terminal.command("system-view")
    await terminal.command("ssl policy houp")
    terminal.shell.end_of_input()
    await terminal.task
    (patch,) = session.take()
    assert list(edits_of(patch)) == [("create", "/sunc-ssl-policy:ssl-policies", "houp")]


def modify(identifier: int, body: str) -> str:
    return f"<modify-subscription {PREFIXES}><id>{identifier}</id>{body}</modify-subscription>"


async def test_a_datastore_subtree_selection_reports_what_it_selects(
    publisher: Publisher,
) -> None:
    session = publisher.session()
    await publisher.establish(
        session,
        "<yp:datastore>ds:operational</yp:datastore><yp:datastore-subtree-filter>"
        f'<smart-upgrade xmlns="{SU}"><upgrade-information><upgrade-status/>'
        "</upgrade-information></smart-upgrade></yp:datastore-subtree-filter><yp:on-change/>",
    )
    (sync,) = session.take()
    assert list(sync.iter(f"{{{SU}}}smart-upgrade")) == []
    publisher.switch_changed(**{"upgrade-status": "running", "software-download-progress": 5})
    publisher.switch_changed(**{"upgrade-status": "running", "software-download-progress": 9})
    publisher.switch_changed(**{"upgrade-status": "success", "software-download-progress": 100})
    # the progress is not selected: two changes of the status, nothing for the second event
    created, replaced = session.take()
    assert list(edits_of(created)) == [("create", "/sunc-smart-upgrade:smart-upgrade", "running")]
    assert list(edits_of(replaced)) == [
        (
            "replace",
            "/sunc-smart-upgrade:smart-upgrade/upgrade-information/upgrade-status",
            "success",
        )
    ]


async def test_a_modification_changes_the_selection_and_keeps_what_cannot_change(
    publisher: Publisher,
) -> None:
    session, editor = publisher.session(), publisher.session()
    identifier = await publisher.establish(
        session,
        "<yp:datastore>ds:running</yp:datastore><yp:on-change><yp:sync-on-start>false"
        "</yp:sync-on-start><yp:excluded-change>replace</yp:excluded-change></yp:on-change>",
    )
    assert (
        await publisher.ask(
            session,
            modify(
                identifier,
                "<yp:datastore>ds:running</yp:datastore><yp:datastore-xpath-filter>"
                "/su:smart-upgrade/su:https-port</yp:datastore-xpath-filter>"
                "<yp:on-change><yp:dampening-period>500</yp:dampening-period></yp:on-change>",
            ),
        )
        is None
    )
    # sync-on-start and excluded-change are not modifiable (RFC 8641): still as established
    ((subscription),) = publisher.subscriptions
    state = subscription.target_state()["ietf-yang-push:on-change"]
    assert state == {
        "dampening-period": 500,
        "sync-on-start": False,
        "excluded-change": ["replace"],
    }
    assert session.take() == []
    await publisher.ask(editor, edit("<web-prompt>false</web-prompt><https-port>8443</https-port>"))
    await publisher.ask(editor, edit("<https-port>9443</https-port>"))
    await publisher.clock.advance(timedelta(seconds=5))
    # the selection: the port alone; its replace within the dampening period is excluded
    (created,) = session.take()
    assert list(edits_of(created)) == [
        ("create", "/sunc-smart-upgrade:smart-upgrade", "8443"),
    ]
    assert created.findtext(f".//{{{YP}}}patch-id") == "0"


async def test_a_stream_subscription_modified_chooses_by_its_new_filter(
    publisher: Publisher,
) -> None:
    session = publisher.session()
    identifier = await publisher.establish(
        session,
        f"{STREAM}<stream-xpath-filter>/ietf-netconf-notifications:netconf-session-start"
        "</stream-xpath-filter>",
    )
    publisher.session()
    await publisher.ask(
        session,
        modify(
            identifier,
            f'<stream-subtree-filter><netconf-config-change xmlns="{NCN}"/>'
            "</stream-subtree-filter>",
        ),
    )
    publisher.session()
    await publisher.ask(session, edit("<https-port>8443</https-port>"))
    assert session.names() == ["netconf-session-start", "netconf-config-change"]


async def test_a_suspended_subscription_modified_owes_its_receiver_the_whole_view(
    tmp_path: Path,
) -> None:
    publisher = Publisher(tmp_path, limits=SubscriptionLimits(suspend_at=2000, resume_at=0))
    slow = publisher.session()
    identifier = await publisher.establish(
        slow, "<yp:datastore>ds:operational</yp:datastore><yp:on-change/>"
    )
    progress = 0
    (subscription,) = publisher.subscriptions
    while subscription.state is ReceiverState.ACTIVE:
        progress += 1
        publisher.switch_changed(
            **{"upgrade-status": "running", "software-download-progress": progress}
        )
    # modified while its receiver is still behind: active, its first update suspends it again
    await publisher.ask(
        slow,
        modify(
            identifier,
            "<yp:datastore>ds:operational</yp:datastore><yp:datastore-xpath-filter>"
            "/su:smart-upgrade/su:upgrade-information</yp:datastore-xpath-filter>",
        ),
    )
    assert subscription.state is ReceiverState.SUSPENDED
    events = slow.take()
    names = [etree.QName(event).localname for event in events]
    assert names.count("subscription-suspended") == 2
    # resumed: the push-update it missed, not a patch of it
    assert names[-2:] == ["subscription-resumed", "push-update"]
    assert events[-1].findtext(f".//{{{SU}}}software-download-progress") == str(progress)
    publisher.switch_changed(**{"upgrade-status": "success", "software-download-progress": 100})
    (patch,) = slow.take()
    assert patch.findtext(f".//{{{YP}}}patch-id") == "0"


async def test_only_a_user_with_a_rule_for_it_may_kill_a_subscription(tmp_path: Path) -> None:
    # ietf-subscribed-notifications marks kill-subscription nacm:default-deny-all
    publisher = Publisher(tmp_path, access=True)
    access = publisher.access
    assert access is not None
    admin, operator = publisher.session(), publisher.session("operator", 2)
    kill, establish = (
        etree.QName(SN, "kill-subscription"),
        etree.QName(SN, "establish-subscription"),
    )
    assert access.may_exec(admin.context, kill)
    assert not access.may_exec(operator.context, kill)
    assert access.may_exec(operator.context, establish)
