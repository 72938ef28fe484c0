"""Replies into the generated dataclasses, driven by their fields."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from smartupgrade_client import parsers
from smartupgrade_client.errors import ReplyParseError
from smartupgrade_client.results import OperationStarted
from smartupgrade_model.convert import SslPolicy
from smartupgrade_model.model import (
    NAMESPACE,
    Ap,
    CancellationStatus,
    CheckResult,
    Schedule,
    SmartUpgrade,
    UpgradeStatus,
    UpgradeTarget,
)
from tests.unit.client.replies import data_reply, example_elements, reply

SU = f"{{{NAMESPACE}}}"


def smart_upgrade(body: str) -> SmartUpgrade:
    return parsers.smart_upgrade(
        parsers.parse_reply(
            reply(f'<data><smart-upgrade xmlns="{NAMESPACE}">{body}</smart-upgrade></data>')
        )
    )


def field_value(state: object, path: list[str]) -> object:
    value = state
    for name in path:
        value = getattr(value, name.replace("-", "_"))
    return value


def test_every_leaf_of_the_state_example_is_parsed() -> None:
    """Each leaf in state-downloading.xml lands in its field with its YANG type."""
    policies, top = example_elements("state-downloading.xml")
    state = parsers.smart_upgrade(parsers.parse_reply(data_reply(policies, top)))
    leaves = [node for node in top.iter() if len(node) == 0]
    assert len(leaves) > 30
    for leaf in leaves:
        ancestors = list(leaf.iterancestors())
        path = [etree.QName(node).localname for node in ancestors[: ancestors.index(top)]][::-1]
        value = field_value(state, [*path, etree.QName(leaf).localname])
        text = (leaf.text or "").strip()
        if isinstance(value, bool):
            assert value == (text == "true")
        elif isinstance(value, UpgradeStatus | CheckResult | CancellationStatus):
            assert value.value == text
        elif isinstance(value, datetime):
            assert value.tzinfo is not None and value == datetime.fromisoformat(text)
        elif isinstance(value, Decimal | int):
            assert value == Decimal(text)
        else:
            assert value == text


def test_types_of_the_state_example() -> None:
    policies, top = example_elements("state-downloading.xml")
    state = parsers.smart_upgrade(parsers.parse_reply(data_reply(policies, top)))
    assert state.version_information.check_result is CheckResult.NEED_UPDATE
    assert state.version_information.software_package_size == 120101636
    assert state.upgrade_information.upgrade_status is UpgradeStatus.RUNNING
    assert state.upgrade_information.software_download_speed == Decimal("516.53")
    assert state.upgrade_information.upgrade_time == datetime(
        2026, 11, 27, 9, 16, 40, tzinfo=timezone(timedelta(hours=8))
    )
    assert state.upgrade_information.patch_download_progress is None
    assert state.ap == Ap(enabled=False)
    assert parsers.ssl_policies(parsers.parse_reply(data_reply(policies, top))) == (
        SslPolicy("houp"),
    )


def test_the_configuration_example() -> None:
    policies, top = example_elements("config-full.xml")
    parsed = parsers.parse_reply(data_reply(policies, top))
    state = parsers.smart_upgrade(parsed)
    assert (state.url, state.https_port, state.ssl_policy) == ("10.10.10.20", 10020, "houp")
    assert (state.verify_server, state.enabled, state.web_prompt) == (False, True, False)
    assert state.ap.enabled is True
    assert state.schedule == Schedule("2030-12-01 00:00:00", "2030-12-01 02:30:00")
    houp, empty = parsers.ssl_policies(parsed)
    assert houp.name == "houp" and len(houp.trusted_ca) == 1
    assert houp.trusted_ca[0].startswith("-----BEGIN CERTIFICATE-----")
    assert empty == SslPolicy("empty_policy")


def test_empty_data_is_every_default() -> None:
    parsed = parsers.parse_reply(reply("<data/>"))
    assert parsers.smart_upgrade(parsed) == SmartUpgrade()
    assert parsers.ssl_policies(parsed) == ()


def test_absent_leaves_keep_the_generated_defaults() -> None:
    state = smart_upgrade("<url>10.1.1.1</url>")
    assert dataclasses.replace(state, url=SmartUpgrade().url) == SmartUpgrade()


def test_unknown_elements_are_ignored() -> None:
    state = smart_upgrade("<https-port> 8443 </https-port><future-leaf>1</future-leaf>")
    assert state.https_port == 8443


def test_elements_of_another_namespace_are_ignored() -> None:
    state = smart_upgrade('<https-port xmlns="urn:other">1</https-port>')
    assert state.https_port == SmartUpgrade().https_port


@pytest.mark.parametrize(
    "document",
    [
        "display-string-is-not-the-value.xml",
        "refresh-time-not-rfc3339.xml",
        "unknown-cancellation-status.xml",
        "unknown-upgrade-status.xml",
    ],
)
def test_invalid_state_examples_are_refused(document: str) -> None:
    (top,) = example_elements(f"invalid-state/{document}")
    with pytest.raises(ReplyParseError):
        parsers.smart_upgrade(parsers.parse_reply(data_reply(top)))


@pytest.mark.parametrize(
    "body",
    [
        "<enabled>yes</enabled>",
        "<https-port>https</https-port>",
        "<upgrade-information><software-download-speed>fast</software-download-speed></upgrade-information>",
        "<version-information><refresh-time>2026-11-27T09:15:02</refresh-time></version-information>",
        "<schedule><reboot-at>2030-12-01 02:30:00</reboot-at></schedule>",
    ],
)
def test_values_that_do_not_fit_the_type_are_refused(body: str) -> None:
    with pytest.raises(ReplyParseError):
        smart_upgrade(body)


def test_strings_keep_their_whitespace() -> None:
    state = smart_upgrade(
        "<version-information><upgrade-description> 1) a\n2) b </upgrade-description>"
        "</version-information>"
    )
    assert state.version_information.upgrade_description == " 1) a\n2) b "


def test_reply_without_data() -> None:
    with pytest.raises(ReplyParseError, match="no <data>"):
        parsers.smart_upgrade(parsers.parse_reply(reply("<ok/>")))


@pytest.mark.parametrize("raw", [b"<rpc-reply", b"<hello/>", b"not xml"])
def test_not_a_reply(raw: bytes) -> None:
    with pytest.raises(ReplyParseError):
        parsers.parse_reply(raw)


def test_entities_are_not_expanded() -> None:
    raw = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><data>'
        b'<smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">'
        b"<url>&x;</url></smart-upgrade></data></rpc-reply>"
    )
    state = parsers.smart_upgrade(parsers.parse_reply(raw))
    assert state.url == ""


def test_ok_reply() -> None:
    parsers.ok(parsers.parse_reply(reply("<ok/>")))
    with pytest.raises(ReplyParseError):
        parsers.ok(parsers.parse_reply(reply("<data/>")))


def test_refresh_output() -> None:
    output = parsers.refresh(
        parsers.parse_reply(
            reply(
                f'<refresh-time xmlns="{NAMESPACE}">2026-11-27T09:15:02Z</refresh-time>'
                f'<check-result xmlns="{NAMESPACE}">version-optimal</check-result>'
            )
        )
    )
    assert output.check_result is CheckResult.VERSION_OPTIMAL
    assert output.refresh_time == datetime(2026, 11, 27, 9, 15, 2, tzinfo=UTC)
    assert output.software_package_name is None


def test_operation_started_output() -> None:
    output = parsers.operation_started(
        parsers.parse_reply(
            reply(
                f'<operation-id xmlns="{NAMESPACE}">7</operation-id>'
                f'<upgrade-status xmlns="{NAMESPACE}">running</upgrade-status>'
                f'<target xmlns="{NAMESPACE}">ap</target>'
            )
        )
    )
    assert output == OperationStarted(7, UpgradeStatus.RUNNING, UpgradeTarget.AP)


def test_operation_started_needs_its_mandatory_leaves() -> None:
    with pytest.raises(ReplyParseError):
        parsers.operation_started(
            parsers.parse_reply(reply(f'<operation-id xmlns="{NAMESPACE}">7</operation-id>'))
        )


def test_cancel_output() -> None:
    output = parsers.cancel(
        parsers.parse_reply(
            reply(f'<cancellation-status xmlns="{NAMESPACE}">cancelling</cancellation-status>')
        )
    )
    assert output is CancellationStatus.CANCELLING
