"""The exact replies and ``<rpc-error>``s of the subscription RPCs: RFC 8639's establish-,
modify-, delete- and kill-subscription and RFC 8641's resync-subscription over NETCONF (RFC 8640:
the reason as error-app-tag, the RPC's yang-data in error-info, RFC 8640 §2.5's error-tags)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from smartupgrade_server.operations.subscriptions import SubscriptionLimits
from tests.conformance.test_datastore_errors import error
from tests.support.publisher import PREFIXES, SN, YP, Publisher, Session
from tests.support.xml import canonical

STREAM = "<stream>NETCONF</stream>"
ON_CHANGE = "<yp:datastore>ds:operational</yp:datastore><yp:on-change/>"


def establish(body: str) -> str:
    return f"<establish-subscription {PREFIXES}>{body}</establish-subscription>"


def rpc(name: str, identifier: int, namespace: str = SN) -> str:
    return f'<{name} xmlns="{namespace}"><id>{identifier}</id></{name}>'


def stream_info(reason: str, hint: str | None = None, rpc_name: str = "establish") -> str:
    hinted = "" if hint is None else f"<filter-failure-hint>{hint}</filter-failure-hint>"
    return (
        f'<{rpc_name}-subscription-stream-error-info xmlns="{SN}">'
        f'<reason xmlns:sn="{SN}">sn:{reason}</reason>{hinted}'
        f"</{rpc_name}-subscription-stream-error-info>"
    )


def datastore_info(reason: str, prefix: str = "yp", hints: str = "") -> str:
    namespace = YP if prefix == "yp" else SN
    return (
        f'<establish-subscription-datastore-error-info xmlns="{YP}">'
        f'<reason xmlns:{prefix}="{namespace}">{prefix}:{reason}</reason>{hints}'
        "</establish-subscription-datastore-error-info>"
    )


def bad_element(name: str) -> str:
    return f'<bad-element xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">{name}</bad-element>'


@pytest.fixture
def publisher(tmp_path: Path) -> Publisher:
    return Publisher(tmp_path, limits=SubscriptionLimits(per_session=2, per_switch=3))


@pytest.fixture
def session(publisher: Publisher) -> Session:
    return publisher.session()


async def test_establish_replies_with_the_id(publisher: Publisher, session: Session) -> None:
    reply = await publisher.ask(session, establish(STREAM))
    assert isinstance(reply, list)
    assert [canonical(element) for element in reply] == [canonical(f'<id xmlns="{SN}">1</id>')]


async def test_a_replay_from_before_the_log_is_revised_to_its_start(
    publisher: Publisher, session: Session
) -> None:
    await publisher.clock.advance(timedelta(hours=1))
    reply = await publisher.ask(
        session, establish(f"{STREAM}<replay-start-time>2000-01-01T00:00:00Z</replay-start-time>")
    )
    assert isinstance(reply, list)
    assert [canonical(element) for element in reply] == [
        canonical(f'<id xmlns="{SN}">1</id>'),
        canonical(
            f'<replay-start-time-revision xmlns="{SN}">2026-11-27T09:00:00+08:00'
            "</replay-start-time-revision>"
        ),
    ]


SUPERLINEAR = (
    "XPath expression '{}' scans the data inside a predicate (a path from the root, '//' or a "
    "descendant, following or preceding axis); a subscription's filter may only scan outside "
    "predicates"
)

ERRORS: dict[str, tuple[str, str]] = {
    "unknown stream": (
        establish("<stream>SYSLOG</stream>"),
        error(
            "data-missing",
            "no stream 'SYSLOG'; the only one is 'NETCONF'",
            app_tag="instance-required",
        ),
    ),
    "an XPath filter that cannot be evaluated": (
        establish(f"{STREAM}<stream-xpath-filter>/nope:x</stream-xpath-filter>"),
        error(
            "invalid-value",
            "the filter cannot be used",
            app_tag="ietf-subscribed-notifications:filter-unsupported",
            info=stream_info(
                "filter-unsupported",
                "invalid XPath expression '/nope:x': Undefined namespace prefix",
            ),
        ),
    ),
    "a stream XPath filter that scans inside a predicate": (
        establish(f"{STREAM}<stream-xpath-filter>//*[. = //*]</stream-xpath-filter>"),
        error(
            "invalid-value",
            "the filter cannot be used",
            app_tag="ietf-subscribed-notifications:filter-unsupported",
            info=stream_info("filter-unsupported", SUPERLINEAR.format("//*[. = //*]")),
        ),
    ),
    "a datastore XPath selection that scans inside a predicate": (
        establish(
            "<yp:datastore>ds:operational</yp:datastore>"
            "<yp:datastore-xpath-filter>/*[descendant::x]</yp:datastore-xpath-filter>"
            "<yp:on-change/>"
        ),
        error(
            "invalid-value",
            "the filter cannot be used",
            app_tag="ietf-subscribed-notifications:filter-unsupported",
            info=datastore_info(
                "filter-unsupported",
                prefix="sn",
                hints="<filter-failure-hint>"
                + SUPERLINEAR.format("/*[descendant::x]")
                + "</filter-failure-hint>",
            ),
        ),
    ),
    "an encoding the switch does not have": (
        establish(f"{STREAM}<encoding>encode-json</encoding>"),
        error(
            "invalid-value",
            "encoding 'encode-json' is not supported; notifications are XML",
            app_tag="ietf-subscribed-notifications:encoding-unsupported",
            info=stream_info("encoding-unsupported"),
        ),
    ),
    "no target": (
        establish("<stop-time>2030-01-01T00:00:00Z</stop-time>"),
        error(
            "missing-element",
            "establish-subscription needs a target: a stream, or a datastore (ietf-yang-push)",
            info=bad_element("stream"),
        ),
    ),
    "a stream and a datastore": (
        establish(f"{STREAM}<yp:datastore>ds:running</yp:datastore>"),
        error(
            "bad-element",
            "datastore and stream are alternatives: give one",
            info=bad_element("stream"),
        ),
    ),
    "a parameter of a feature the switch lacks (dscp)": (
        establish(f"{STREAM}<dscp>10</dscp>"),
        error(
            "unknown-element",
            "'dscp' is not a parameter of 'establish-subscription'",
            info=bad_element("dscp"),
        ),
    ),
    "a replay that starts in the future": (
        establish(f"{STREAM}<replay-start-time>2030-01-01T00:00:00Z</replay-start-time>"),
        error(
            "bad-element",
            "replay-start-time is not in the past",
            info=bad_element("replay-start-time"),
        ),
    ),
    "a stop-time in the past": (
        establish(f"{STREAM}<stop-time>2000-01-01T00:00:00Z</stop-time>"),
        error("bad-element", "stop-time is not in the future", info=bad_element("stop-time")),
    ),
    "a configured filter that does not exist": (
        establish(f"{STREAM}<stream-filter-name>none</stream-filter-name>"),
        error(
            "data-missing",
            "stream-filter-name 'none' names no configured filter (/sn:filters)",
            app_tag="instance-required",
        ),
    ),
    "dampening out of range": (
        establish(
            "<yp:datastore>ds:operational</yp:datastore>"
            "<yp:on-change><yp:dampening-period>4294967296</yp:dampening-period></yp:on-change>"
        ),
        error(
            "bad-element",
            "'4294967296' is not a valid dampening-period",
            info=bad_element("dampening-period"),
        ),
    ),
    "a datastore that cannot be subscribed to": (
        establish("<yp:datastore>ds:candidate</yp:datastore><yp:on-change/>"),
        error(
            "invalid-value",
            "datastore 'candidate' cannot be subscribed to; these can: running, operational",
            app_tag="ietf-yang-push:datastore-not-subscribable",
            info=datastore_info("datastore-not-subscribable"),
        ),
    ),
    "a period shorter than the switch serves": (
        establish(
            "<yp:datastore>ds:running</yp:datastore><yp:periodic><yp:period>10</yp:period>"
            "</yp:periodic>"
        ),
        error(
            "invalid-value",
            "the period is at least 100 centiseconds",
            app_tag="ietf-yang-push:period-unsupported",
            info=datastore_info("period-unsupported", hints="<period-hint>100</period-hint>"),
        ),
    ),
    "a datastore subscription without a trigger": (
        establish("<yp:datastore>ds:running</yp:datastore>"),
        error(
            "missing-element",
            "a datastore subscription is periodic or on-change: give one",
            info=bad_element("periodic"),
        ),
    ),
    "a periodic subscription without a period": (
        establish("<yp:datastore>ds:running</yp:datastore><yp:periodic/>"),
        error("missing-element", "'periodic' needs 'period'", info=bad_element("period")),
    ),
    "modify of no subscription": (
        rpc("modify-subscription", 9),
        error(
            "invalid-value",
            "no subscription 9 of this session",
            app_tag="ietf-subscribed-notifications:no-such-subscription",
            info=stream_info("no-such-subscription", rpc_name="modify"),
        ),
    ),
    "delete of no subscription": (
        rpc("delete-subscription", 9),
        error(
            "invalid-value",
            "no subscription 9 of this session",
            app_tag="ietf-subscribed-notifications:no-such-subscription",
            info=f'<delete-subscription-error-info xmlns="{SN}"><reason xmlns:sn="{SN}">'
            "sn:no-such-subscription</reason></delete-subscription-error-info>",
        ),
    ),
    "kill of no subscription": (
        rpc("kill-subscription", 9),
        error(
            "invalid-value",
            "no subscription 9",
            app_tag="ietf-subscribed-notifications:no-such-subscription",
            info=f'<delete-subscription-error-info xmlns="{SN}"><reason xmlns:sn="{SN}">'
            "sn:no-such-subscription</reason></delete-subscription-error-info>",
        ),
    ),
    "resync of no subscription": (
        rpc("resync-subscription", 9, YP),
        error(
            "invalid-value",
            "this session has no on-change subscription 9",
            app_tag="ietf-yang-push:no-such-subscription-resync",
            info=f'<resync-subscription-error xmlns="{YP}"><reason xmlns:yp="{YP}">'
            "yp:no-such-subscription-resync</reason></resync-subscription-error>",
        ),
    ),
}


@pytest.mark.parametrize(("request_xml", "expected"), ERRORS.values(), ids=ERRORS.keys())
async def test_rpc_error(
    publisher: Publisher, session: Session, request_xml: str, expected: str
) -> None:
    assert canonical(await publisher.error_of(session, request_xml)) == canonical(expected)


async def test_modifying_another_sessions_subscription_is_no_such_subscription(
    publisher: Publisher, session: Session
) -> None:
    theirs = await publisher.establish(publisher.session(), STREAM)
    for name in ("modify-subscription", "delete-subscription"):
        reply = await publisher.error_of(session, rpc(name, theirs))
        assert b"<error-app-tag>ietf-subscribed-notifications:no-such-subscription" in reply
    # kill-subscription is the operator's way to end another session's subscription
    assert await publisher.ask(session, rpc("kill-subscription", theirs)) is None


async def test_the_limits_per_session_and_per_switch(
    publisher: Publisher, session: Session
) -> None:
    await publisher.establish(session, STREAM)
    await publisher.establish(session, STREAM)
    assert canonical(await publisher.error_of(session, establish(STREAM))) == canonical(
        error(
            "resource-denied",
            "at most 2 subscriptions per session",
            app_tag="ietf-subscribed-notifications:insufficient-resources",
            info=stream_info("insufficient-resources"),
        )
    )
    other = publisher.session()
    await publisher.establish(other, STREAM)
    assert canonical(await publisher.error_of(other, establish(ON_CHANGE))) == canonical(
        error(
            "resource-denied",
            "at most 3 subscriptions on this switch",
            app_tag="ietf-subscribed-notifications:insufficient-resources",
            info=datastore_info("insufficient-resources", prefix="sn"),
        )
    )


async def test_one_kind_of_subscription_per_session(publisher: Publisher, session: Session) -> None:
    await publisher.establish(session, STREAM)
    create = '<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/>'
    assert canonical(await publisher.error_of(session, create)) == canonical(
        error(
            "in-use",
            "this session has subscriptions of establish-subscription; RFC 8639 forbids both "
            "kinds on one session",
            error_type="protocol",
        )
    )
    other = publisher.session()
    await publisher.ask(other, create)
    assert canonical(await publisher.error_of(other, establish(STREAM))) == canonical(
        error(
            "in-use",
            "this session has a create-subscription subscription; RFC 8639 forbids both kinds "
            "on one session",
            error_type="protocol",
        )
    )


async def test_the_switch_keeps_no_configured_subscriptions(
    publisher: Publisher, session: Session
) -> None:
    configured = (
        "<edit-config><target><running/></target><config>"
        f'<subscriptions xmlns="{SN}"><subscription><id>7</id><stream>NETCONF</stream>'
        "</subscription></subscriptions></config></edit-config>"
    )
    assert canonical(await publisher.error_of(session, configured)) == canonical(
        error(
            "resource-denied",
            "list 'subscription' can hold at most 0 entries on this switch",
            path=(f'xmlns:sn="{SN}"', "/sn:subscriptions/sn:subscription"),
        )
    )


async def test_a_configured_filter_that_scans_inside_a_predicate_is_refused(
    publisher: Publisher, session: Session
) -> None:
    configured = (
        "<edit-config><target><running/></target><config>"
        f'<filters xmlns="{SN}"><stream-filter><name>f</name>'
        "<stream-xpath-filter>//*[count(//*) > 1]</stream-xpath-filter>"
        "</stream-filter></filters></config></edit-config>"
    )
    assert canonical(await publisher.error_of(session, configured)) == canonical(
        error(
            "invalid-value",
            "filter 'f': " + SUPERLINEAR.format("//*[count(//*) > 1]"),
            path=(f'xmlns:sn="{SN}"', "/sn:filters/sn:stream-filter[sn:name='f']"),
        )
    )


async def test_an_rfc_5277_filter_that_scans_inside_a_predicate_is_refused(
    publisher: Publisher, session: Session
) -> None:
    create = (
        '<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">'
        '<filter type="xpath" select="//*[. = //*]"/></create-subscription>'
    )
    assert canonical(await publisher.error_of(session, create)) == canonical(
        error("invalid-value", SUPERLINEAR.format("//*[. = //*]"), error_type="protocol")
    )
