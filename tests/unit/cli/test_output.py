"""What the command line prints without a switch: RFC 7951 JSON of the module's example state
(checked by yangson and by yanglint), sections in the switch's layout, error lines and exit
statuses of the SDK's exceptions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from yangson.enumerations import ContentType

from smartupgrade_client import parsers, rfc7951
from smartupgrade_client.cli.exit_codes import ExitCode, exit_code_for
from smartupgrade_client.cli.ui import error_lines
from smartupgrade_client.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ConnectionLost,
    InvalidArgument,
    OperationFailed,
    ReplyParseError,
    RpcErrorInfo,
    RpcTimeout,
    SmartUpgradeError,
    UpgradeCancelled,
    UpgradeFailed,
    WaitTimeout,
)
from smartupgrade_model.model import MODULE, UpgradeInformation, UpgradeStatus
from smartupgrade_model.modules import yang_dir
from tests.unit.client.replies import data_reply, example_elements

YANG = Path(__file__).resolve().parents[3] / "yang"


def downloading() -> dict[str, object]:
    reply = parsers.parse_reply(data_reply(*example_elements("state-downloading.xml")))
    return rfc7951.data_json(reply)


def test_the_client_reads_the_same_module_files_as_the_repository() -> None:
    assert yang_dir().resolve() == YANG.resolve()


def test_json_is_rfc7951() -> None:
    document = downloading()
    top = document[f"{MODULE}:smart-upgrade"]
    assert isinstance(top, dict)
    version = top["version-information"]
    upgrade = top["upgrade-information"]
    # uint64 and decimal64 are strings, uint8/uint16 numbers, date-and-time text (RFC 7951 §6)
    assert version["software-package-size"] == "120101636"
    assert upgrade["software-download-speed"] == "516.53"
    assert upgrade["software-download-progress"] == 45
    assert top["https-port"] == 443
    assert upgrade["upgrade-time"] == "2026-11-27T09:16:40+08:00"
    assert version["check-result"] == "need-update"
    instance = rfc7951.data_model().from_raw(document)
    instance[f"{MODULE}:smart-upgrade"].validate(ctype=ContentType.all)


@pytest.mark.skipif(shutil.which("yanglint") is None, reason="yanglint (libyang2-tools) missing")
def test_json_passes_yanglint(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(downloading()))
    # our modules; yang/ietf is only searched for imports, so /nacm need not be present
    modules = [str(p) for p in sorted(YANG.glob("*.yang"))]
    done = subprocess.run(
        [
            "yanglint",
            "-p",
            str(YANG),
            "-p",
            str(YANG / "ietf"),
            "-F",
            f"{MODULE}:*",
            "-t",
            "data",
            *modules,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_reply_off_the_module_is_a_parse_error() -> None:
    reply = parsers.parse_reply(
        b'<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>'
        b'<smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">'
        b"<https-port>0</https-port></smart-upgrade></data></rpc-reply>"
    )
    with pytest.raises(ReplyParseError):
        rfc7951.data_json(reply)


RPC_ERROR = RpcErrorInfo(
    error_type="application",
    error_tag="operation-failed",
    severity="error",
    app_tag="ssl-policy-not-bound",
    path="/su:smart-upgrade/su:enabled",
    message="Smart upgrade cannot be enabled before an SSL policy is bound.",
)


def test_an_rpc_error_shows_message_and_tags() -> None:
    first, details = error_lines(OperationFailed([RPC_ERROR]))
    assert first == f"Error: {RPC_ERROR.message}"
    assert "error-tag operation-failed" in details
    assert "app-tag ssl-policy-not-bound" in details
    assert "path /su:smart-upgrade/su:enabled" in details


@pytest.mark.parametrize(
    "error, code",
    [
        (InvalidArgument("x"), ExitCode.USAGE),
        (AuthenticationFailed("x"), ExitCode.AUTHENTICATION),
        (ConnectionFailed("x"), ExitCode.CONNECTION),
        (ConnectionLost("x"), ExitCode.CONNECTION),
        (OperationFailed([RPC_ERROR]), ExitCode.RPC_ERROR),
        (UpgradeFailed(UpgradeInformation(upgrade_status=UpgradeStatus.NET_ERROR)), 6),
        (UpgradeCancelled(UpgradeInformation(upgrade_status=UpgradeStatus.UPGRADE_CANCELLED)), 7),
        (RpcTimeout("x"), ExitCode.TIMEOUT),
        (WaitTimeout("x"), ExitCode.TIMEOUT),
        (ReplyParseError("x"), ExitCode.ERROR),
    ],
)
def test_exit_status_of_each_exception(error: SmartUpgradeError, code: int) -> None:
    assert exit_code_for(error) == code


def test_an_empty_string_leaf_is_an_empty_json_string() -> None:
    reply = parsers.parse_reply(
        b'<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>'
        b'<smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">'
        b"<version-information><upgrade-description/></version-information>"
        b"</smart-upgrade></data></rpc-reply>"
    )
    top = rfc7951.data_json(reply)[f"{MODULE}:smart-upgrade"]
    assert isinstance(top, dict)
    assert top["version-information"] == {"upgrade-description": ""}
