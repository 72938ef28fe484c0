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
    for wrong in (low - 1, high + 1):
        with pytest.raises(checks.UsageError, match=f"from {low} to {high}"):
            https_port(str(wrong))
    with pytest.raises(checks.UsageError, match="Invalid HTTPS port 'x'"):
        https_port("x")


def test_url_length_from_the_model() -> None:
    ((low, high),) = URL.lengths
    assert url("a" * high) == "a" * high
    with pytest.raises(checks.UsageError, match=f"{low} to {high} characters"):
        url("a" * (high + 1))


def test_policy_name_length_and_pattern_from_the_model() -> None:
    ((_, high),) = SSL_POLICY_NAME.lengths
    assert checks.policy_name("HOUP_1") == "HOUP_1"
    with pytest.raises(checks.UsageError, match=SSL_POLICY_NAME.patterns[0].replace("[", r"\[")):
        checks.policy_name("no spaces")
    with pytest.raises(checks.UsageError, match=f"1 to {high} characters"):
        checks.policy_name("p" * (high + 1))


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
        (["download"], "Incomplete command"),
        (["reboot", "at", "2020-2-13 20:01:24"], "Incomplete command"),
        (["download", "at", "2020-2-13 20:01:24", "reboot"], "give reboot at"),
        (["download", "at", "1999-2-13 20:01:24"], "Invalid download time"),
        (["download", "at", "2020-13-13 20:01:24"], "Invalid download time"),
        (["download", "at", "2021-2-29 20:01:24"], "day is out of range"),
        (["download", "at", "2020-2-13 24:00:00"], "Invalid download time"),
        (
            ["download", "at", "2020-2-13 20:01:24", "reboot", "at", "2020-2-13 20:01:24"],
            CONSTRAINTS["reboot-not-after-download"].message,
        ),
    ],
)
def test_schedule_errors(words: list[str], message: str) -> None:
    with pytest.raises(checks.UsageError) as raised:
        commands.keyword_arguments(CONFIG_COMMANDS["schedule"], words)
    assert message in str(raised.value)


def test_every_undo_form_is_an_edit_of_the_sdk() -> None:
    for words, build in commands.UNDO_FORMS.items():
        assert commands.undo_edit(words) == build()
    assert commands.undo_edit(["ap", "enable"]) == edits.disable_ap()
    with pytest.raises(checks.UsageError, match="undo one of url, https-port"):
        commands.undo_edit(["ap"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["https-port", "0"], "HTTPS port 0 is out of range"),
        (["https-port", "65536"], "HTTPS port 65536 is out of range"),
        (["url", "h" * 128], "Invalid host"),
        (["ssl-policy", "bad-name"], "Invalid SSL policy name 'bad-name'"),
        (["ssl-policy-create", "a b"], "Invalid SSL policy name 'a b'"),
        (["schedule", "download", "at", "2020-2-30", "1:00:00"], "day is out of range"),
        (["undo", "verify-server"], "Unrecognized command 'undo verify-server'"),
        (["ap", "disable"], "invalid choice: 'disable'"),
        (["ssl-policy-create", "houp", "--trusted-ca", "/nonexistent.pem"], "Cannot read"),
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
    assert "HTTPS port 0 is out of range" in err


def test_help_lists_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == ExitCode.OK
    for status, meaning in MEANINGS.items():
        assert f"{int(status):>3}  {meaning}" in out


def test_exit_statuses_are_distinct() -> None:
    assert len({int(code) for code in ExitCode}) == len(ExitCode)
    assert set(MEANINGS) == set(ExitCode)
