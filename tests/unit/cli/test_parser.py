"""The command line without a switch: the grammar, the seed's parameter checks (limits from the
generated model), and that a wrong command line exits with the usage status before connecting
(the port given is closed: reaching it would be a connection failure, status 3)."""

from __future__ import annotations

import socket

import pytest

from smartupgrade_client import edits
from smartupgrade_client.cli import checks, commands, parser
from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import MEANINGS, ExitCode
from smartupgrade_model.commands import CONFIG_COMMANDS
from smartupgrade_model.model import CONFIG_LEAVES, CONSTRAINTS, SSL_POLICY_NAME

PORT = CONFIG_LEAVES["/smart-upgrade/https-port"]
URL = CONFIG_LEAVES["/smart-upgrade/url"]
SCHEDULE = "schedule download at YYYY-MM-DD HH:MM:SS [reboot at YYYY-MM-DD HH:MM:SS]"
TIME = (
    "A schedule time must be YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to 2099, "
    "MM from 1 to 12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59."
)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_defaults_are_the_local_sim() -> None:
    args = parser.parse(["display"])
    assert (args.host, args.port, args.user) == ("127.0.0.1", 8830, "admin")
    assert parser.password(args) == "admin"
    assert args.refresh is True
    assert args.json is False


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parser.PASSWORD_VARIABLE, "from-env")
    assert parser.password(parser.parse(["display"])) == "from-env"
    assert parser.password(parser.parse(["--password", "given", "display"])) == "given"


def test_a_key_replaces_the_default_password() -> None:
    assert parser.password(parser.parse(["--key", "/k", "display"])) is None


def test_connection_options_may_follow_the_command() -> None:
    args = parser.parse(["--host", "10.0.0.1", "url", "--port", "2022", "s.houp.huawei.cn"])
    assert (args.host, args.port, args.url) == ("10.0.0.1", 2022, "s.houp.huawei.cn")


def test_url_is_not_the_switch_address() -> None:
    args = parser.parse(["url", "10.10.10.20"])
    assert args.host == "127.0.0.1"
    assert args.url == "10.10.10.20"


def https_port(text: str) -> str | int:
    (parameter,) = CONFIG_COMMANDS["https-port"].parameters
    return checks.argument(parameter, text)


def url(text: str) -> str | int:
    (parameter,) = CONFIG_COMMANDS["url"].parameters
    return checks.argument(parameter, text)


@pytest.mark.parametrize("low, high", PORT.ranges)
def test_https_port_range_from_the_model(low: int, high: int) -> None:
    assert https_port(str(low)) == low
    assert https_port(str(high)) == high
    for wrong in (str(low - 1), str(high + 1), "x"):
        with pytest.raises(checks.UsageError) as refused:
            https_port(wrong)
        assert str(refused.value) == (
            f"Invalid value '{wrong}' for https-port. The HTTPS port must be an integer from "
            f"{low} to {high}."
        )


def test_url_length_from_the_model() -> None:
    ((low, high),) = URL.lengths
    assert url("a" * high) == "a" * high
    for wrong in ("a" * (high + 1), "a\tb"):
        with pytest.raises(checks.UsageError) as refused:
            url(wrong)
        assert str(refused.value) == (
            f"Invalid value '{wrong}' for host. The URL must be {low} to {high} characters "
            "without spaces: a host name, an IP address or an https:// URL."
        )


def test_policy_name_length_and_pattern_from_the_model() -> None:
    ((_, high),) = SSL_POLICY_NAME.lengths
    assert checks.policy_name("HOUP_1") == "HOUP_1"
    for wrong in ("no spaces", "p" * (high + 1)):
        with pytest.raises(checks.UsageError) as refused:
            checks.policy_name(wrong)
        assert str(refused.value) == (
            f"Invalid value '{wrong}' for policy-name. An SSL policy name must be 1 to {high} "
            "letters, digits or underscores (_)."
        )


@pytest.mark.parametrize(
    "words, expected",
    [
        (["download", "at", "2020-2-13", "20:01:24"], ("2020-02-13 20:01:24", None)),
        (["download", "at", "2020-12-01 00:00:00"], ("2020-12-01 00:00:00", None)),
        (
            ["download", "at", "2020-2-13 20:01:24", "reboot", "at", "2020-2-13", "21:0:0"],
            ("2020-02-13 20:01:24", "2020-02-13 21:00:00"),
        ),
    ],
)
def test_schedule_pads_the_switch_form(words: list[str], expected: tuple[str, str | None]) -> None:
    assert commands.keyword_arguments(CONFIG_COMMANDS["schedule"], words) == expected


@pytest.mark.parametrize(
    "words, message",
    [
        (["download"], f"Incomplete command: give {SCHEDULE}."),
        (["reboot", "at", "2020-2-13 20:01:24"], f"Incomplete command: give {SCHEDULE}."),
        (
            ["download", "at", "2020-2-13 20:01:24", "reboot"],
            "Incomplete command: give reboot at YYYY-MM-DD HH:MM:SS.",
        ),
        (
            ["download", "at", "1999-2-13 20:01:24"],
            f"'1999-2-13 20:01:24' for download-time. {TIME}",
        ),
        (
            ["download", "at", "2020-13-13 20:01:24"],
            f"'2020-13-13 20:01:24' for download-time. {TIME}",
        ),
        (
            ["download", "at", "2021-2-29 20:01:24"],
            "'2021-2-29 20:01:24' for download-time. The date does not exist: February 2021 has "
            "28 days.",
        ),
        (
            ["download", "at", "2020-2-13 24:00:00"],
            f"'2020-2-13 24:00:00' for download-time. {TIME}",
        ),
        (
            ["download", "at", "2020-2-13 20:01:24", "reboot", "at", "2020-2-13 20:01"],
            f"'2020-2-13 20:01' for reboot-time. {TIME}",
        ),
        (
            ["download", "at", "2020-2-13 20:01:24", "reboot", "at", "2020-2-13 20:01:24"],
            CONSTRAINTS["reboot-not-after-download"].message,
        ),
    ],
)
def test_schedule_errors(words: list[str], message: str) -> None:
    with pytest.raises(checks.UsageError) as raised:
        commands.keyword_arguments(CONFIG_COMMANDS["schedule"], words)
    refused = message if message.startswith(("Incomplete", "The")) else f"Invalid value {message}"
    assert str(raised.value) == refused


def test_every_undo_form_is_an_edit_of_the_sdk() -> None:
    for words, build in commands.UNDO_FORMS.items():
        assert commands.undo_edit(words) == build()
    assert commands.undo_edit(["ap", "enable"]) == edits.disable_ap()
    with pytest.raises(checks.UsageError, match="undo one of url, https-port"):
        commands.undo_edit(["ap"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["https-port", "0"],
            "Invalid value '0' for https-port. The HTTPS port must be an integer from 1 to 65535.",
        ),
        (
            ["https-port", "65536"],
            "Invalid value '65536' for https-port. The HTTPS port must be an integer from 1 to "
            "65535.",
        ),
        (["url", "h" * 128], f"Invalid value '{'h' * 128}' for host. The URL must be 1 to 127"),
        (
            ["ssl-policy", "bad-name"],
            "Invalid value 'bad-name' for policy-name. An SSL policy name must be 1 to 23 "
            "letters, digits or underscores (_).",
        ),
        (
            ["ssl-policy-create", "a b"],
            "Invalid value 'a b' for policy-name. An SSL policy name must be 1 to 23 letters, "
            "digits or underscores (_).",
        ),
        (
            ["schedule", "download", "at", "2020-2-30", "1:00:00"],
            "Invalid value '2020-2-30 1:00:00' for download-time. The date does not exist: "
            "February 2020 has 29 days.",
        ),
        (["undo", "verify-server"], "Unrecognized command 'undo verify-server'"),
        (["ap", "disable"], "invalid choice: 'disable'"),
        (
            ["ssl-policy-create", "houp", "--trusted-ca", "/nonexistent.pem"],
            "Error: Cannot read the CA certificate /nonexistent.pem: No such file or directory.",
        ),
        (["display", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "required: COMMAND"),
    ],
)
def test_parameter_errors_exit_2_before_connecting(
    capsys: pytest.CaptureFixture[str], closed_port: int, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--port", str(closed_port), *argv)
    assert code == ExitCode.USAGE
    assert out == ""
    assert err.startswith("Error: ")
    assert message in err


def test_fleet_checks_the_command_before_reading_the_inventory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "fleet", "/nonexistent.yaml", "https-port", "0")
    assert code == ExitCode.USAGE
    assert err.splitlines()[0] == (
        "Error: argument PORT: Invalid value '0' for https-port. The HTTPS port must be an "
        "integer from 1 to 65535."
    )


def test_help_lists_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == ExitCode.OK
    for status, meaning in MEANINGS.items():
        assert f"{int(status):>3}  {meaning}" in out


def test_exit_statuses_are_distinct() -> None:
    assert len({int(code) for code in ExitCode}) == len(ExitCode)
    assert set(MEANINGS) == set(ExitCode)
