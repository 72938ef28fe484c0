"""Each configuration command of the console script, and its undo, changes the switch; parameter
errors are caught before sending; server rpc-errors and connection failures have their own exit
status and say what happened."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from smartupgrade_client.cli.app import main
from smartupgrade_client.cli.exit_codes import ExitCode
from smartupgrade_model.model import CONSTRAINTS, Schedule, SmartUpgrade
from tests.support.defaults import POLICY
from tests.support.switch import SwitchRig, ThreadedSwitches

DEFAULT = SmartUpgrade()
Check = Callable[[SmartUpgrade], bool]

# command, its undo, what the command sets; the undo brings back the module's default.
COMMANDS: list[tuple[list[str], list[str], Check, Check]] = [
    (
        ["url", "10.10.10.20"],
        ["undo", "url"],
        lambda s: s.url == "10.10.10.20",
        lambda s: s.url == DEFAULT.url,
    ),
    (
        ["https-port", "10020"],
        ["undo", "https-port"],
        lambda s: s.https_port == 10020,
        lambda s: s.https_port == DEFAULT.https_port,
    ),
    (
        ["verify-server", "disable"],
        ["undo", "verify-server", "disable"],
        lambda s: s.verify_server is False,
        lambda s: s.verify_server is DEFAULT.verify_server,
    ),
    (
        ["web-prompt", "disable"],
        ["undo", "web-prompt", "disable"],
        lambda s: s.web_prompt is False,
        lambda s: s.web_prompt is DEFAULT.web_prompt,
    ),
    (
        ["ssl-policy", "HOUP"],
        ["undo", "ssl-policy"],
        lambda s: s.ssl_policy == POLICY,
        lambda s: s.ssl_policy is None,
    ),
    (
        ["schedule", "download", "at", "2030-2-13", "20:01:24", "reboot", "at", "2030-2-13 21:0:0"],
        ["undo", "schedule"],
        lambda s: s.schedule == Schedule("2030-02-13 20:01:24", "2030-02-13 21:00:00"),
        lambda s: s.schedule is None,
    ),
]


def config(sim: SwitchRig) -> SmartUpgrade:
    with sim.sdk() as client:
        return client.read_config()


@pytest.mark.parametrize(
    "command, undo, applied, undone", COMMANDS, ids=[c[0][0] for c in COMMANDS]
)
def test_command_and_undo_change_the_switch(
    sim: SwitchRig, command: list[str], undo: list[str], applied: Check, undone: Check
) -> None:
    if command[0] == "schedule":
        assert main(sim.argv("ssl-policy", POLICY)) == 0
        assert main(sim.argv("enable")) == 0
    assert main(sim.argv(*command)) == ExitCode.OK
    assert applied(config(sim))
    assert main(sim.argv(*undo)) == ExitCode.OK
    assert undone(config(sim))
    # undoing what is not configured is no error, as on the switch
    assert main(sim.argv(*undo)) == ExitCode.OK


def test_enable_ap_enable_and_their_undo(sim: SwitchRig) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0
    assert main(sim.argv("ap", "enable")) == 0
    state = config(sim)
    assert state.enabled and state.ap.enabled
    assert main(sim.argv("undo", "ap", "enable")) == 0
    assert main(sim.argv("undo", "enable")) == 0
    state = config(sim)
    assert not state.enabled and not state.ap.enabled


def test_ssl_policy_create_and_delete(
    sim: SwitchRig, lab: ThreadedSwitches, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(lab.houp.ca_cert_pem)
    assert main(sim.argv("ssl-policy-create", "Proxy_1", "--trusted-ca", str(ca))) == 0
    with sim.sdk() as client:
        policies = {policy.name: policy for policy in client.ssl_policies()}
    assert policies["proxy_1"].trusted_ca == (lab.houp.ca_cert_pem,)
    assert main(sim.argv("ssl-policy-delete", "PROXY_1")) == 0
    with sim.sdk() as client:
        assert "proxy_1" not in {policy.name for policy in client.ssl_policies()}


def test_rpc_error_prints_message_and_app_tag(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    code = main(sim.argv("enable"))  # no SSL policy bound yet
    err = capsys.readouterr().err
    assert code == ExitCode.RPC_ERROR
    constraint = CONSTRAINTS["ssl-policy-not-bound"]
    assert err.startswith(f"Error: {constraint.message}")
    assert f"app-tag {constraint.app_tag}" in err
    assert "error-tag operation-failed" in err
    assert not config(sim).enabled


def test_a_download_time_in_the_switch_s_past_is_refused_by_the_switch(
    capsys: pytest.CaptureFixture[str], sim: SwitchRig
) -> None:
    assert main(sim.argv("ssl-policy", POLICY)) == 0
    assert main(sim.argv("enable")) == 0
    code = main(sim.argv("schedule", "download", "at", "2001-1-1", "0:0:0"))
    assert code == ExitCode.RPC_ERROR
    assert "Error: " in capsys.readouterr().err
    assert config(sim).schedule is None


def test_parameter_error_sends_nothing(capsys: pytest.CaptureFixture[str], sim: SwitchRig) -> None:
    code = main(sim.argv("https-port", "65536"))
    assert code == ExitCode.USAGE
    assert capsys.readouterr().err.splitlines()[0] == (
        "Error: argument PORT: Invalid value '65536' for https-port. The HTTPS port must be an "
        "integer from 1 to 65535."
    )
    assert config(sim).https_port == DEFAULT.https_port


def test_wrong_password_exits_4(capsys: pytest.CaptureFixture[str], sim: SwitchRig) -> None:
    code = main(["--port", str(sim.port), "--password", "wrong", "display", "--no-refresh"])
    assert code == ExitCode.AUTHENTICATION
    assert capsys.readouterr().err.splitlines()[0] == (
        f"Error: Authentication failed: admin@127.0.0.1:{sim.port}: the switch refused the "
        "credentials"
    )


def test_no_server_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(["--port", str(port), "display"])
    assert code == ExitCode.CONNECTION
    assert capsys.readouterr().err.splitlines()[0] == (
        f"Error: Cannot connect: 127.0.0.1:{port}: Connection refused"
    )
