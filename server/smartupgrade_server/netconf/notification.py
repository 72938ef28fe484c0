"""RFC 5277 ``<notification>`` messages: built here, framed by the session; and the backlog of
those a session has not written yet. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import cast

from lxml import etree

NOTIFICATION_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
# the namespace of replayComplete and notificationComplete (RFC 5277 §4, nc-notifications)
NETMOD_NOTIFICATION_NS = "urn:ietf:params:xml:ns:netmod:notification"
NOTIFICATION_CAPABILITY = "urn:ietf:params:netconf:capability:notification:1.0"
INTERLEAVE_CAPABILITY = "urn:ietf:params:netconf:capability:interleave:1.0"

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NSMAP = cast(Mapping[str, str], {None: NOTIFICATION_NS})


def event_time(when: datetime) -> str:
    """An RFC 3339 date-and-time; a naive time is taken as UTC."""
    text = when.isoformat()
    return text if when.tzinfo is not None else text + "Z"


def notification_message(when: datetime, content: etree._Element) -> bytes:
    """A whole ``<notification>`` document, unframed; ``content`` is serialised, not moved."""
    envelope = etree.Element(f"{{{NOTIFICATION_NS}}}notification", nsmap=_NSMAP)
    etree.SubElement(envelope, f"{{{NOTIFICATION_NS}}}eventTime").text = event_time(when)
    empty = etree.tostring(envelope)
    closing = b"</notification>"
    assert empty.endswith(closing)
    return _XML_DECLARATION + empty[: -len(closing)] + etree.tostring(content) + closing


def stream_marker(local_name: str) -> etree._Element:
    """``<replayComplete/>`` or ``<notificationComplete/>``."""
    return etree.Element(
        f"{{{NETMOD_NOTIFICATION_NS}}}{local_name}",
        nsmap=cast(Mapping[str, str], {None: NETMOD_NOTIFICATION_NS}),
    )


class NotificationBacklog:
    """The notifications queued for one session and not yet written: the transport counts
    them in and out, a publisher reads the backlog and may wait for it to fall (RFC 8639
    suspends a subscription whose receiver falls behind, and resumes it once it caught up)."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        # (at most this many bytes waiting, callback), each called once
        self._waiting: list[tuple[int, Callable[[], None]]] = []

    def queued(self, message: bytes) -> None:
        self.messages += 1
        self.bytes += len(message)

    def written(self, message: bytes) -> None:
        self.messages -= 1
        self.bytes -= len(message)
        due = [entry for entry in self._waiting if self.bytes <= entry[0]]
        if due:
            self._waiting = [entry for entry in self._waiting if self.bytes > entry[0]]
            for _, callback in due:
                callback()

    def when_at_most(self, size: int, callback: Callable[[], None]) -> None:
        """Call ``callback`` once no more than ``size`` bytes wait (at once if so already)."""
        if self.bytes <= size:
            callback()
        elif all(existing is not callback for _, existing in self._waiting):
            self._waiting.append((size, callback))
