"""RFC 5277 ``<notification>`` messages: built here, framed by the session. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
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
