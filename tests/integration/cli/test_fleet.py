"""``smartupgrade fleet`` over three switches in-process: configuration, download with
progress and the summary; a switch that cannot be reached fails only its own row."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import AP_FACTORY, POLICY
from tests.support.switch import SwitchRig, ThreadedSwitches


def inventory(tmp_path: Path, sims: list[SwitchRig], *extra: dict[str, object]) -> str:
    path = tmp_path / "switches.yaml"
    switches: list[dict[str, object]] = [
        {"name": f"sw{index}", "host": "127.0.0.1", "port": sim.port}
        for index, sim in enumerate(sims)
    ]
    switches.extend(extra)
    path.write_text(
        yaml.safe_dump(
            {
                "defaults": {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD},
                "switches": switches,
            }
        )
    )
    return str(path)


@pytest.fixture
def three(lab: ThreadedSwitches) -> list[SwitchRig]:
    return [lab.start() for _ in range(3)]


def summary(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]]]:
    code = main(list(argv))
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return code, rows


def test_configure_then_download_on_every_switch(
    capsys: pytest.CaptureFixture[str], three: list[SwitchRig], tmp_path: Path
) -> None:
    path = inventory(tmp_path, three)
    for command in (["ssl-policy", POLICY], ["enable"]):
        code, rows = summary(capsys, "fleet", path, "-c", "2", "--json", *command)
        assert code == ExitCode.OK
        assert [row["exit"] for row in rows] == [0, 0, 0]

    code = main(["fleet", path, "--concurrency", "2", "download"])
    captured = capsys.readouterr()
    assert code == ExitCode.OK, captured
    # the overall progress ends complete (rich draws it on stderr; each switch's end is in the
    # summary table)
    assert "switches" in captured.err
    assert "100%" in captured.err
    for name in ("sw0", "sw1", "sw2"):
        row = next(line for line in captured.out.splitlines() if f" {name} " in line)
        assert " ok " in row
        assert "success software 100% patch 100%" in row
    for sim in three:
        with sim.sdk() as client:
            information = client.upgrade_information()
            assert information.software_download_progress == 100
            assert client.read().local_information.software_version == AP_FACTORY.software


def test_one_unreachable_switch_fails_the_fleet(
    capsys: pytest.CaptureFixture[str], three: list[SwitchRig], tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    path = inventory(tmp_path, three, {"name": "gone", "host": "127.0.0.1", "port": closed})
    code, rows = summary(capsys, "fleet", path, "--json", "display", "--no-refresh")
    assert code == ExitCode.FLEET_FAILED
    by_name = {row["switch"]: row for row in rows}
    assert by_name["gone"]["exit"] == ExitCode.CONNECTION
    assert str(by_name["gone"]["detail"]).startswith("Cannot connect")
    for name in ("sw0", "sw1", "sw2"):
        assert by_name[name]["exit"] == 0
        assert str(by_name[name]["detail"]).startswith(AP_FACTORY.software)
    assert "data" not in by_name["gone"]


def test_display_in_json_gives_each_switch_its_whole_state(
    capsys: pytest.CaptureFixture[str], three: list[SwitchRig], tmp_path: Path
) -> None:
    """The same document as ``smartupgrade display --json`` on each switch, not one line."""
    path = inventory(tmp_path, three)
    assert main(three[1].argv("ssl-policy", POLICY)) == 0
    code, rows = summary(capsys, "fleet", path, "--json", "display", "--no-refresh")
    assert code == ExitCode.OK
    assert main(three[1].argv("display", "--json", "--no-refresh")) == 0
    alone = json.loads(capsys.readouterr().out)
    assert rows[1]["data"] == alone
    for row, sim in zip(rows, three, strict=True):
        data = row["data"]
        assert isinstance(data, dict)
        state = data["sunc-smart-upgrade:smart-upgrade"]
        assert state["local-information"]["software-version"] == AP_FACTORY.software
        assert state["https-port"] == 443
        assert set(state) >= {"url", "enabled", "web-prompt", "local-information"}
        assert row["port"] == sim.port
    assert alone["sunc-smart-upgrade:smart-upgrade"]["ssl-policy"] == POLICY


def test_rpc_errors_per_switch(
    capsys: pytest.CaptureFixture[str], three: list[SwitchRig], tmp_path: Path
) -> None:
    path = inventory(tmp_path, three)
    assert main(three[0].argv("ssl-policy", POLICY)) == 0
    code, rows = summary(capsys, "fleet", path, "--json", "enable")
    assert code == ExitCode.FLEET_FAILED
    assert [row["exit"] for row in rows] == [0, ExitCode.RPC_ERROR, ExitCode.RPC_ERROR]
    assert "app-tag ssl-policy-not-bound" in str(rows[1]["detail"])
