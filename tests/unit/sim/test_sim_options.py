"""The options ``smartupgrade-sim`` and its fleet take from the environment (a container's way),
the admin password of a first start, and the HOUP route from a HOUP on every address."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from smartupgrade_server.fleet import command as fleet_command
from smartupgrade_server.sim.command import _parser, parse_arguments
from smartupgrade_server.sim.options import (
    LogSettings,
    configure_logging,
    first_start_users,
    houp_route,
)
from smartupgrade_server.transport.users import (
    DEFAULT_USERNAME,
    USERS_FILE,
    UserDatabase,
)


def test_an_option_not_given_takes_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMARTUPGRADE_SIM_NETCONF_PORT", "830")
    monkeypatch.setenv("SMARTUPGRADE_SIM_HOST", "0.0.0.0")
    monkeypatch.setenv("SMARTUPGRADE_SIM_VERBOSE", "yes")
    monkeypatch.setenv("SMARTUPGRADE_SIM_FLASH_CAPACITY", "8M")
    arguments = parse_arguments(["--host=127.0.0.2"])
    # typed as on the command line; the command line wins
    assert arguments.netconf_port == 830
    assert arguments.flash_capacity == 8 * 1024 * 1024
    assert arguments.verbose is True
    assert arguments.host == "127.0.0.2"


def test_the_fleet_reads_its_own_options_a_positional_and_a_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMARTUPGRADE_SIM_COUNT", "4")
    monkeypatch.setenv("SMARTUPGRADE_SIM_MODEL", "S5732-H, S2720-EI")
    monkeypatch.setenv("SMARTUPGRADE_SIM_HOUP_HOST", "0.0.0.0")
    arguments = fleet_command.parse_arguments([])
    assert (arguments.count, arguments.model) == (4, ["S5732-H", "S2720-EI"])
    spec = fleet_command.fleet_spec(arguments)
    assert spec.houp_host == "0.0.0.0"

    monkeypatch.delenv("SMARTUPGRADE_SIM_COUNT")
    monkeypatch.delenv("SMARTUPGRADE_SIM_MODEL")
    monkeypatch.setenv("SMARTUPGRADE_SIM_FLEET_FILE", str(tmp_path / "fleet.yaml"))
    assert fleet_command.parse_arguments([]).fleet_file == tmp_path / "fleet.yaml"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SMARTUPGRADE_SIM_NETCONFPORT", "830", "unknown environment variable"),
        ("SMARTUPGRADE_SIM_NETCONF_PORT", "eight", "argument --netconf-port: invalid int"),
        ("SMARTUPGRADE_SIM_VERBOSE", "maybe", "SMARTUPGRADE_SIM_VERBOSE: expected 1/true"),
    ],
)
def test_a_wrong_variable_is_an_error_that_names_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exit_:
        parse_arguments([])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_a_single_switch_refuses_a_fleet_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMARTUPGRADE_SIM_BASE_PORT", "8830")
    with pytest.raises(SystemExit):
        parse_arguments([])
    assert "SMARTUPGRADE_SIM_BASE_PORT" in capsys.readouterr().err


def test_the_help_names_each_variable() -> None:
    assert "[env SMARTUPGRADE_SIM_NETCONF_PORT]" in " ".join(_parser().format_help().split())


def test_a_first_start_takes_the_admin_password_and_later_starts_keep_the_file(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first_start_users(data_dir, "ci-secret")
    users = UserDatabase.load(data_dir / USERS_FILE)
    assert not users.uses_default_credentials()
    assert [user.name for user in users.administrators()] == [DEFAULT_USERNAME]
    before = (data_dir / USERS_FILE).read_bytes()
    first_start_users(data_dir, "another")
    assert (data_dir / USERS_FILE).read_bytes() == before
    first_start_users(tmp_path / "none", None)
    assert not (tmp_path / "none").exists()
    with pytest.raises(ValueError, match="must not be empty"):
        first_start_users(tmp_path / "empty", "")


@pytest.mark.parametrize(
    ("host", "reached"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("h.lab", "h.lab")],
)
def test_the_switch_reaches_a_houp_on_every_address_on_the_loopback(
    host: str, reached: str
) -> None:
    hosts, forwards = houp_route(host, 9443)
    assert hosts == {"s.houp.huawei.com": reached}
    assert forwards == {443: 9443}


def test_both_commands_say_their_version(capsys: pytest.CaptureFixture[str]) -> None:
    for parse in (parse_arguments, fleet_command.parse_arguments):
        with pytest.raises(SystemExit) as exit_:
            parse(["--version"])
        assert exit_.value.code == 0
    single, fleet = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"smartupgrade-sim \S+ \(smart-upgrade-netconf\)", single)
    assert fleet.startswith("smartupgrade-sim fleet ")


def test_json_logs_are_one_object_a_line() -> None:
    stream = io.StringIO()
    configure_logging(LogSettings.of(parse_arguments(["--log-format=json", "--log-level=info"])))
    root = logging.getLogger()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        logging.getLogger("smartupgrade_server.test").info("session %d opened", 7)
        logging.getLogger("smartupgrade_server.test").debug("not written")
    finally:
        configure_logging(LogSettings.of(parse_arguments([])))
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO"
    assert record["logger"] == "smartupgrade_server.test"
    assert record["message"] == "session 7 opened"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", record["time"])
    assert logging.getLogger().level == logging.WARNING
