"""The notification encoder and the session's framing of it."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import FrameDecoder
from smartupgrade_server.netconf.notification import (
    NETMOD_NOTIFICATION_NS,
    NOTIFICATION_NS,
    notification_message,
    stream_marker,
)
from smartupgrade_server.netconf.registry import SessionRegistry, Termination, TerminationReason
from smartupgrade_server.netconf.session import ServerSession

WHEN = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_notification_has_its_event_time_then_its_content() -> None:
    content = etree.fromstring(
        '<download-progress xmlns="urn:x"><percent>5</percent></download-progress>'
    )
    root = etree.fromstring(notification_message(WHEN, content))
    assert root.tag == f"{{{NOTIFICATION_NS}}}notification"
    assert [etree.QName(child).localname for child in root] == ["eventTime", "download-progress"]
    assert root[0].text == "2026-11-27T09:00:00+00:00"
    assert root[1].findtext("{urn:x}percent") == "5"
    # the content stays where it was
    assert content.getparent() is None


def test_a_naive_event_time_is_utc() -> None:
    root = etree.fromstring(
        notification_message(datetime(2026, 1, 1), stream_marker("replayComplete"))
    )
    assert root[0].text == "2026-01-01T00:00:00Z"
    assert root[1].tag == f"{{{NETMOD_NOTIFICATION_NS}}}replayComplete"


def test_the_session_frames_a_notification_as_it_frames_replies() -> None:
    session = ServerSession(7)
    hello = (
        f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
        f"<capability>{BASE_1_1}</capability></capabilities></hello>]]>]]>"
    )
    session.receive_data(hello.encode())
    framed = session.notification(notification_message(WHEN, stream_marker("replayComplete")))
    decoder = FrameDecoder()
    decoder.switch_to_chunked()
    decoder.receive_data(framed)
    message = decoder.next_message()
    assert isinstance(message, bytes)
    assert etree.fromstring(message).tag == f"{{{NOTIFICATION_NS}}}notification"


def test_the_registry_tells_how_a_session_ended() -> None:
    registry = SessionRegistry()
    seen: list[tuple[int, Termination]] = []
    started: list[int] = []
    registry.add_start_hook(lambda context: started.append(context.session_id))
    registry.add_termination_hook(lambda context, how: seen.append((context.session_id, how)))
    first = registry.open("admin", 3, "127.0.0.1:1000", lambda: None)
    second = registry.open("admin", 3, "127.0.0.1:1001", lambda: None)
    assert started == [first.session_id, second.session_id]
    assert first.host == "127.0.0.1"
    registry.kill(second.session_id, by=first.session_id)
    registry.end(first.session_id, Termination(TerminationReason.CLOSED))
    assert seen == [
        (second.session_id, Termination(TerminationReason.KILLED, killed_by=first.session_id)),
        (first.session_id, Termination(TerminationReason.CLOSED)),
    ]
