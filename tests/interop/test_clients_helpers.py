"""The interop helpers' parts that need no server: argument lists, output parsing, yanglint."""

import shutil
from pathlib import Path

import pytest
from lxml import etree

from tests.interop.clients import (
    NC_NS,
    NETCONF_CONSOLE2,
    ClientRun,
    netconf_console2_argv,
    parse_console_output,
    reply_data,
    scrapli_driver_arguments,
    yangcli_argv,
    yangcli_failure,
    yangcli_replies,
    yanglint_validate_reply,
)
from tests.support.sim import listening_address, log_problems
from tests.support.users import Server

SU_NS = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SERVER = Server("127.0.0.1", 8830, "admin", password="-secret")


def test_netconf_console2_is_installed() -> None:
    assert NETCONF_CONSOLE2.exists()


def test_netconf_console2_argv_keeps_a_password_that_looks_like_an_option() -> None:
    argv = netconf_console2_argv(SERVER, ["--get-config"])
    assert argv == [
        str(NETCONF_CONSOLE2),
        "--host=127.0.0.1",
        "--port=8830",
        "--user=admin",
        "--password=-secret",
        "--get-config",
    ]


def test_netconf_console2_argv_with_a_key() -> None:
    server = Server("::1", 1, "u", password="p", private_key=Path("/k"))
    assert netconf_console2_argv(server, [])[-1] == "--privKeyFile=/k"


def test_parse_console_output_splits_documents() -> None:
    stdout = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<data xmlns="{NC_NS}"><smart-upgrade xmlns="{SU_NS}"/></data>\n'
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<ok xmlns="{NC_NS}"/>\n'
    )
    documents = parse_console_output(stdout)
    assert [etree.QName(d).localname for d in documents] == ["data", "ok"]


def test_scrapli_arguments() -> None:
    arguments = scrapli_driver_arguments(SERVER, timeout=5.0)
    assert arguments["transport"] == "paramiko"
    assert arguments["auth_password"] == "-secret"
    assert arguments["auth_strict_key"] is False
    assert "auth_private_key" not in arguments


def test_scrapli_netconf_imports_with_the_pinned_scrapli() -> None:
    from importlib.metadata import version

    assert version("scrapli") == "2025.1.30"


def test_yangcli_argv() -> None:
    argv = yangcli_argv(SERVER, "sget /su:smart-upgrade", modpath=[Path("/a"), Path("/b")])
    assert argv[0] == "yangcli"
    assert "--batch-mode" in argv
    assert "--autoload=false" in argv
    assert "--run-command=sget /su:smart-upgrade" in argv
    assert "--password=-secret" in argv
    assert argv[-1] == "--modpath=/a:/b"


def test_yangcli_argv_for_a_script_with_modules() -> None:
    argv = yangcli_argv(SERVER, None, [Path("/a")], modules=["m1", "m2"], script=Path("/s.yc"))
    assert "--run-script=/s.yc" in argv
    assert not any(a.startswith("--run-command") for a in argv)
    assert argv[-3:] == ["--module=m1", "--module=m2", "--modpath=/a"]


def test_yangcli_replies_in_order() -> None:
    stdout = (
        "Default target set to: <candidate> (<running> also supported)\n"
        "RPC OK Reply 1 for session 3:\n\n"
        "RPC Data Reply 2 for session 3:\n\n"
        f'<rpc-reply xmlns="{NC_NS}">\n  <data><a xmlns="urn:a"/></data>\n</rpc-reply>\n\n'
        "Saving configuration to non-volative storage\n"
        "RPC OK Reply 4 for session 3:\n"
    )
    ok, data, saved = yangcli_replies(stdout)
    assert ok is None and saved is None
    assert data is not None and [c.tag for c in reply_data(data)] == ["{urn:a}a"]


def test_listening_address() -> None:
    line = "NETCONF over SSH on 127.0.0.1:40123 (subsystem netconf)\n"
    assert listening_address(line) == ("127.0.0.1", 40123)
    assert listening_address("  credentials: admin/admin\n") is None


def test_log_problems() -> None:
    log = (
        "2026-01-01 00:00:00,000 WARNING smartupgrade_server.transport.ssh: session 3: closing\n"
        "2026-01-01 00:00:00,000 ERROR smartupgrade_server.transport.ssh: session 4: failed\n"
        "Traceback (most recent call last):\n"
    )
    assert log_problems(log) == [log.splitlines()[1], "Traceback (most recent call last):"]


def test_yangcli_failure_is_read_from_the_output() -> None:
    failed = ClientRun(
        ("yangcli",),
        0,
        "yangcli: Starting NETCONF session for a on 127.0.0.1\n"
        "yangcli: Start session failed for user a on 127.0.0.1 (connect failed)\n\n"
        "Error: The sget command is not allowed in this mode\n",
        "",
    )
    assert yangcli_failure(failed) == (
        "yangcli: Start session failed for user a on 127.0.0.1 (connect failed)"
    )
    assert yangcli_failure(ClientRun(("yangcli",), 0, "RPC Data Reply 2\n<data/>", "")) is None


def test_reply_data_accepts_a_reply_or_its_data() -> None:
    reply = etree.fromstring(
        f'<rpc-reply xmlns="{NC_NS}" message-id="1"><data><a xmlns="urn:a"/></data></rpc-reply>'
    )
    assert [c.tag for c in reply_data(reply)] == ["{urn:a}a"]
    assert [c.tag for c in reply_data(reply[0])] == ["{urn:a}a"]
    with pytest.raises(ValueError, match="no NETCONF <data>"):
        reply_data(etree.fromstring(f'<rpc-reply xmlns="{NC_NS}"><ok/></rpc-reply>'))


needs_yanglint = pytest.mark.skipif(shutil.which("yanglint") is None, reason="no yanglint")


def reply(inner: str) -> str:
    return f'<rpc-reply xmlns="{NC_NS}" message-id="1"><data>{inner}</data></rpc-reply>'


@needs_yanglint
def test_yanglint_accepts_valid_data() -> None:
    result = yanglint_validate_reply(
        reply(f'<smart-upgrade xmlns="{SU_NS}"><https-port>443</https-port></smart-upgrade>'),
        "get-config",
    )
    assert result.valid, result.output


@needs_yanglint
def test_yanglint_rejects_an_out_of_range_value() -> None:
    result = yanglint_validate_reply(
        reply(f'<smart-upgrade xmlns="{SU_NS}"><https-port>0</https-port></smart-upgrade>'), "get"
    )
    assert result.returncode == 7
    assert "https-port" in result.output


@needs_yanglint
def test_yanglint_rejects_state_data_in_get_config_only() -> None:
    state = f"""
      <smart-upgrade xmlns="{SU_NS}">
        <local-information><esn>2102351931P0K4000123</esn></local-information>
      </smart-upgrade>"""
    assert not yanglint_validate_reply(reply(state), "get-config").valid
    data = etree.fromstring(reply(state).encode())
    get = yanglint_validate_reply(data, "get")
    assert "Unexpected data state node" not in get.output


def test_an_empty_data_is_valid_without_asking_yanglint() -> None:
    assert yanglint_validate_reply(reply(""), "get-config").valid
