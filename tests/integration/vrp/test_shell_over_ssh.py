"""The command line over real SSH: one datastore with NETCONF (both ways, locks), download and
right-now printing the switch's Info lines live, Ctrl+C cancelling, exec of one command."""

from __future__ import annotations

import re

import asyncssh
import pytest

from smartupgrade_model.model import NAMESPACE, CancellationStatus, UpgradeStatus
from smartupgrade_server.device import messages
from smartupgrade_server.transport.logins import LoginService
from smartupgrade_server.transport.ssh_connection import MAX_AUTH_TRIES, MAX_SESSIONS
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.defaults import POLICY
from tests.support.houp import PATCH, SOFTWARE, SOFTWARE_SIZE
from tests.support.switch import SwitchRig
from tests.support.vrp import open_session


def test_a_cli_change_is_read_by_netconf_and_the_reverse(sim: SwitchRig) -> None:
    async def configure() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            await session.run("smart-upgrade https-port 10020")
            return await session.run("smart-upgrade ssl-policy HOUP")
        finally:
            await session.close()

    assert "Error" not in sim.loop.run(configure())
    with sim.ncclient() as m:
        config = m.get_config(source="running").data_xml
        assert "<https-port>10020</https-port>" in config
        assert f"<ssl-policy>{POLICY}</ssl-policy>" in config
        m.edit_config(
            target="running",
            config=f'<config><smart-upgrade xmlns="{NAMESPACE}"><url>10.1.1.1</url>'
            "<web-prompt>false</web-prompt></smart-upgrade></config>",
        )

    async def show() -> str:
        session = await open_session(sim.cli_port)
        try:
            return await session.run("display current-configuration | include ^smart")
        finally:
            await session.close()

    assert sim.loop.run(show()).splitlines()[1:-1] == [
        "smart-upgrade url 10.1.1.1",
        "smart-upgrade https-port 10020",
        f"smart-upgrade ssl-policy {POLICY}",
        "smart-upgrade web-prompt disable",
    ]


def test_a_netconf_lock_refuses_cli_edits(sim: SwitchRig) -> None:
    async def edit() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            return await session.run("smart-upgrade web-prompt disable")
        finally:
            await session.close()

    with sim.ncclient() as m, m.locked("running"):
        refused = sim.loop.run(edit())
        holder = m.session_id
    assert f"Error: The running datastore is locked by session {holder}." in refused
    assert "Error" not in sim.loop.run(edit())


def enable(sim: SwitchRig) -> None:
    with sim.sdk() as client:
        client.set_ssl_policy(POLICY)
        client.enable()


def test_download_prints_the_switchs_info_lines_live(sim: SwitchRig) -> None:
    enable(sim)

    async def download() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            return await session.run("smart-upgrade download")
        finally:
            await session.close()

    output = sim.loop.run(download())
    lines = [line.strip("\r") for line in output.split("\n")]
    expected = [
        str(messages.GETTING_VERSION),
        str(messages.STOP_DOWNLOAD_HINT),
        str(messages.downloading(SOFTWARE)),
        str(messages.percent(100)),
        str(messages.downloading(SOFTWARE + ".asc")),
        str(messages.downloading(PATCH)),
        str(messages.downloading(PATCH + ".asc")),
        str(messages.VERIFYING_SIGNATURE),
        str(messages.SIGNATURE_PASSED),
        str(messages.next_startup_patch(PATCH)),
        str(messages.SETTING_STARTUP_FILE),
        str(messages.next_startup_file(SOFTWARE)),
    ]
    shown = [line.rstrip() for line in lines if line.rstrip() in expected]
    assert shown[:3] == expected[:3] and shown[-5:] == expected[-5:]
    assert any(re.fullmatch(rf"Info: {SOFTWARE_SIZE} byte\(s\) received in .*", x) for x in lines)
    assert sim.switch.device.state().upgrade_information.upgrade_status is UpgradeStatus.SUCCESS


def test_ctrl_c_cancels_the_download(sim: SwitchRig) -> None:
    enable(sim)
    sim.houp.settings.bandwidth_limit = 50_000

    async def download_then_interrupt() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            session.process.stdin.write("smart-upgrade download\r")
            shown = await session.until(re.escape(str(messages.downloading(SOFTWARE))))
            session.process.stdin.write("\x03")
            return shown + await session.until(r"\[HUAWEI\]$")
        finally:
            await session.close()

    output = sim.loop.run(download_then_interrupt())
    assert str(messages.STOP_DOWNLOAD_HINT) in output
    assert str(messages.CANCELLED) in output
    information = sim.switch.device.state().upgrade_information
    assert information.upgrade_status is UpgradeStatus.UPGRADE_CANCELLED
    assert information.cancellation_status is CancellationStatus.SUCCESSFUL


def test_right_now_ends_the_session_when_the_switch_reboots(sim: SwitchRig) -> None:
    enable(sim)

    async def right_now() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            session.process.stdin.write("smart-upgrade right-now\r")
            return await session.process.stdout.read()
        finally:
            await session.close()

    output = sim.loop.run(right_now())
    assert str(messages.STOP_UPGRADE_HINT) in output
    assert output.rstrip().endswith(str(messages.REBOOTING))


def test_exec_runs_one_command(sim: SwitchRig) -> None:
    async def execute() -> str:
        async with asyncssh.connect(
            "127.0.0.1",
            sim.cli_port,
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            known_hosts=None,
        ) as connection:
            result = await connection.run("display esn", check=True)
            assert isinstance(result.stdout, str)
            return result.stdout

    assert sim.loop.run(execute()) == "ESN of slot 0: 2102351XFR10P0000001\r\n"


def test_the_command_line_has_the_same_limits_as_netconf(sim: SwitchRig) -> None:
    async def limits() -> None:
        # refused keys count as attempts too (and, unlike passwords, delay no later login)
        strangers = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(MAX_AUTH_TRIES)]
        with pytest.raises(asyncssh.PermissionDenied, match="Too many authentication failures"):
            await asyncssh.connect(
                "127.0.0.1", sim.cli_port, username=DEFAULT_USERNAME, client_keys=strangers,
                known_hosts=None, preferred_auth="publickey",
            )  # fmt: skip
        async with asyncssh.connect(
            "127.0.0.1",
            sim.cli_port,
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            known_hosts=None,
        ) as connection:
            for _ in range(MAX_SESSIONS):
                await connection.create_process(term_type="vt100")
            with pytest.raises(asyncssh.ChannelOpenError, match="at most 10 sessions"):
                await connection.create_process(term_type="vt100")

    sim.loop.run(limits())
    assert sim.switch.server.logins.counters.attempt_limits == {LoginService.CLI: 1}
