"""<rpc-error> into typed exceptions."""

from __future__ import annotations

import pytest
from lxml import etree
from ncclient.operations import RPCError
from ncclient.operations.rpc import RPCReply

from smartupgrade_client import parsers
from smartupgrade_client.client import from_ncclient
from smartupgrade_client.errors import (
    RPC_FAILED_BY_TAG,
    DataMissing,
    InvalidValue,
    OperationFailed,
    ReplyParseError,
    RpcErrorInfo,
    RpcFailed,
    UpgradeCancelled,
    UpgradeFailed,
    rpc_failed,
    upgrade_failure,
)
from smartupgrade_model.model import CONSTRAINTS, UpgradeInformation, UpgradeStatus
from smartupgrade_server.netconf.errors import ErrorTag
from tests.unit.client.replies import reply

ENABLE_WITHOUT_POLICY = """
<rpc-error>
  <error-type>application</error-type>
  <error-tag>invalid-value</error-tag>
  <error-severity>error</error-severity>
  <error-app-tag>ssl-policy-not-bound</error-app-tag>
  <error-path xmlns:su="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
    >/su:smart-upgrade/su:enabled</error-path>
  <error-message xml:lang="en">Smart upgrade cannot be enabled</error-message>
  <error-info>
    <bad-element>enabled</bad-element>
    <detail xmlns="urn:example"><why>policy</why></detail>
  </error-info>
</rpc-error>
"""

WARNING = """
<rpc-error>
  <error-type>application</error-type>
  <error-tag>operation-failed</error-tag>
  <error-severity>warning</error-severity>
</rpc-error>
"""

DATA_MISSING = """
<rpc-error>
  <error-type>application</error-type>
  <error-tag>data-missing</error-tag>
  <error-severity>error</error-severity>
</rpc-error>
"""


def test_every_field_is_kept() -> None:
    with pytest.raises(InvalidValue) as caught:
        parsers.parse_reply(reply(ENABLE_WITHOUT_POLICY))
    error = caught.value
    assert (error.error_type, error.tag, error.severity) == (
        "application",
        "invalid-value",
        "error",
    )
    assert error.app_tag == "ssl-policy-not-bound"
    assert error.path == "/su:smart-upgrade/su:enabled"
    assert error.message == "Smart upgrade cannot be enabled"
    assert error.info["bad-element"] == "enabled"
    assert "<why>policy</why>" in error.info["detail"]
    assert error.constraint == CONSTRAINTS["ssl-policy-not-bound"]
    assert "ssl-policy-not-bound" in str(error)


def test_there_is_a_class_for_every_tag_the_server_can_send() -> None:
    assert {tag.value for tag in ErrorTag} <= set(RPC_FAILED_BY_TAG)
    for tag, cls in RPC_FAILED_BY_TAG.items():
        error = rpc_failed([RpcErrorInfo("protocol", tag, "error")])
        assert type(error) is cls and isinstance(error, RpcFailed)


def test_an_unknown_tag_is_still_an_rpc_failure() -> None:
    error = rpc_failed([RpcErrorInfo("application", "vendor-specific", "error")])
    assert type(error) is RpcFailed
    assert error.constraint is None


def test_warnings_alone_do_not_fail() -> None:
    parsers.parse_reply(reply(WARNING + "<ok/>"))


def test_the_first_error_types_the_exception_and_all_are_kept() -> None:
    with pytest.raises(DataMissing) as caught:
        parsers.parse_reply(reply(WARNING + DATA_MISSING + ENABLE_WITHOUT_POLICY))
    assert [e.error_tag for e in caught.value.errors] == [
        "operation-failed",
        "data-missing",
        "invalid-value",
    ]


def test_an_rpc_error_needs_its_mandatory_fields() -> None:
    with pytest.raises(ReplyParseError, match="error-severity"):
        parsers.parse_reply(
            reply("<rpc-error><error-type>rpc</error-type><error-tag>x</error-tag></rpc-error>")
        )


def ncclient_error(body: str) -> RPCError:
    """The exception ncclient itself raises for a reply (one error, or several)."""
    raw = reply(body).decode()
    parsed = RPCReply(raw)
    parsed.parse()
    errors = parsed.errors
    if len(errors) > 1:
        return RPCError(etree.fromstring(raw.encode()), errs=errors)
    error: RPCError = errors[0]
    return error


def test_from_ncclient_single_error() -> None:
    error = from_ncclient(ncclient_error(ENABLE_WITHOUT_POLICY))
    assert isinstance(error, InvalidValue)
    assert error.app_tag == "ssl-policy-not-bound"
    assert error.info["bad-element"] == "enabled"


def test_from_ncclient_several_errors() -> None:
    error = from_ncclient(ncclient_error(DATA_MISSING + WARNING))
    assert isinstance(error, DataMissing)
    assert len(error.errors) == 2


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (UpgradeStatus.UPGRADE_CANCELLED, UpgradeCancelled),
        (UpgradeStatus.NET_ERROR, UpgradeFailed),
        (UpgradeStatus.FILE_CHECK_FAILED, UpgradeFailed),
    ],
)
def test_upgrade_failures(status: UpgradeStatus, cls: type[UpgradeFailed]) -> None:
    information = UpgradeInformation(upgrade_status=status)
    error = upgrade_failure(information)
    assert type(error) is cls
    assert error.status is status and error.information is information
    assert status.display in str(error)


def test_operation_failed_is_distinct_from_upgrade_failed() -> None:
    assert not issubclass(OperationFailed, UpgradeFailed)
