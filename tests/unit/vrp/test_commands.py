"""Every seed command and its undo, as edits of running with the datastore's and the switch's
rules; the display commands; save; the terminal settings clients send."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import ntc_templates.parse  # type: ignore[import-untyped]
import pytest

from smartupgrade_model.convert import smart_upgrade_config, ssl_policies
from smartupgrade_model.display import render
from smartupgrade_model.model import CONSTRAINTS, Ap, Schedule, SmartUpgrade
from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import Rebooting
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.vrp.shell import CommandLine, FixedChassis
from tests.support.defaults import ESN, IDENTITY, MODEL, START
from tests.support.manual_scheduler import ManualScheduler
from tests.support.terminal import SESSION_ID, CommandLineRig, Terminal
from tests.unit.vrp.conftest import RigFactory


def running(rig: CommandLineRig) -> SmartUpgrade:
    return smart_upgrade_config(rig.datastores.raw(DatastoreName.RUNNING))


async def configure(term: Terminal, *lines: str) -> None:
    await term.command("system-view")
    for line in lines:
        assert await term.command(line) == [], line
    await term.command("return")


async def test_every_configuration_command_and_its_undo(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(
        term,
        "ssl policy houp",
        "quit",
        "smart-upgrade url 10.10.10.20",
        "smart-upgrade https-port 10020",
        "smart-upgrade ssl-policy houp",
        "smart-upgrade verify-server disable",
        "smart-upgrade enable",
        "smart-upgrade web-prompt disable",
        "smart-upgrade ap enable",
        "smart-upgrade schedule download at 2030-12-1 00:00:00 reboot at 2030-12-01 2:30:00",
    )
    expected = SmartUpgrade(
        url="10.10.10.20",
        https_port=10020,
        ssl_policy="houp",
        verify_server=False,
        enabled=True,
        web_prompt=False,
        ap=Ap(enabled=True),
        schedule=Schedule("2030-12-01 00:00:00", "2030-12-01 02:30:00"),
    )
    assert running(rig) == expected
    # the switch took the same configuration
    assert rig.device.state().schedule == expected.schedule
    await configure(
        term,
        "undo smart-upgrade schedule",
        "undo smart-upgrade ap enable",
        "undo smart-upgrade web-prompt disable",
        "undo smart-upgrade enable",
        "undo smart-upgrade verify-server disable",
        "undo smart-upgrade ssl-policy",
        "undo smart-upgrade https-port",
        "undo smart-upgrade url",
        "undo ssl policy houp",
    )
    assert rig.datastores.raw(DatastoreName.RUNNING) == {}


async def test_a_new_schedule_replaces_the_old_one_whole(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(
        term,
        "smart-upgrade schedule download at 2030-1-1 00:00:00 reboot at 2030-1-2 00:00:00",
        "smart-upgrade schedule download at 2030-1-1 01:00:00",
    )
    assert running(rig).schedule == Schedule("2030-01-01 01:00:00")


async def test_prerequisites_are_the_models_and_the_switchs(term: Terminal) -> None:
    await term.command("system-view")
    for line, message in [
        ("smart-upgrade enable", CONSTRAINTS["ssl-policy-not-bound"].message),
        ("smart-upgrade ap enable", CONSTRAINTS["smart-upgrade-not-enabled"].message),
        (
            "smart-upgrade schedule download at 2030-1-1 00:00:00 reboot at 2030-1-1 00:00:00",
            CONSTRAINTS["reboot-not-after-download"].message,
        ),
        (
            "smart-upgrade schedule download at 2020-2-13 20:01:24",
            "The download time 2020-02-13 20:01:24 must be later than the current time of the "
            "switch (2026-11-27 09:00:00).",
        ),
        (
            "smart-upgrade url bad!host",
            "Invalid value 'bad!host' for url. The host must be a host name (letters, digits, "
            "'-', '_' and '.'), an IPv4 address or an IPv6 address.",
        ),
        (
            "smart-upgrade url http://10.10.10.20/houp",
            "Invalid value 'http://10.10.10.20/houp' for url. The switch reaches the HOUP over "
            "HTTPS only: give a host name, an IP address or an https:// URL.",
        ),
        ("smart-upgrade ssl-policy houp", "The SSL policy houp does not exist."),
        ("undo ssl policy houp", "The SSL policy houp does not exist."),
    ]:
        assert await term.command(line) == [f"Error: {message}"], line
    assert await term.command("ssl policy HOUP") == []
    await term.command("quit")
    await term.command("smart-upgrade ssl-policy HOUP")
    assert await term.command("undo ssl policy houp") == [
        "Error: The SSL policy houp is bound to smart upgrade "
        "(undo smart-upgrade ssl-policy first)."
    ]


async def test_an_undo_that_breaks_a_prerequisite_says_what_to_undo_first(
    term: Terminal,
) -> None:
    await configure(
        term, "ssl policy houp", "quit", "smart-upgrade ssl-policy houp", "smart-upgrade enable"
    )
    await term.command("system-view")
    assert await term.command("smart-upgrade ap enable") == []
    for line, message in [
        (
            "undo smart-upgrade enable",
            "Smart upgrade cannot be disabled while smart upgrade for APs is enabled "
            "(undo smart-upgrade ap enable first).",
        ),
        (
            "undo smart-upgrade ssl-policy",
            "The SSL policy cannot be unbound while smart upgrade is enabled "
            "(undo smart-upgrade enable first).",
        ),
    ]:
        assert await term.command(line) == [f"Error: {message}"], line
    assert await term.command("undo smart-upgrade ap enable") == []
    assert await term.command("undo smart-upgrade enable") == []
    assert await term.command("undo smart-upgrade ssl-policy") == []


async def test_ap_commands_do_not_exist_on_a_switch_without_ap_upgrade(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig(model="S2700-52P-EI")
    term = await rig.terminal()
    await term.command("system-view")
    assert (await term.command("smart-upgrade ap enable"))[-1].startswith("Error: Unrecognized")
    assert await term.command("display smart-upgrade information")


async def test_a_running_datastore_locked_by_netconf_refuses_cli_edits(
    rig: CommandLineRig, term: Terminal
) -> None:
    rig.datastores.lock(DatastoreName.RUNNING, 3)
    await term.command("system-view")
    assert await term.command("smart-upgrade web-prompt disable") == [
        "Error: The running datastore is locked by session 3."
    ]
    rig.datastores.unlock(DatastoreName.RUNNING, 3)
    rig.datastores.lock(DatastoreName.RUNNING, SESSION_ID)
    assert await term.command("smart-upgrade web-prompt disable") == []


async def test_display_smart_upgrade_information_is_the_generated_layout(
    rig: CommandLineRig, term: Terminal
) -> None:
    output = await term.command("display smart-upgrade information")
    # smart upgrade is disabled: the switch does not ask the HOUP, and says so
    assert output[:2] == [str(messages.LOADING), str(messages.NOT_ASKED)]
    assert output[2:] == ["", *render(rig.device.state()).splitlines()]
    assert f"    Device name                  : {IDENTITY.device_name}" in output


async def test_display_current_configuration_and_its_filters(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(
        term,
        "ssl policy houp",
        "quit",
        "smart-upgrade ssl-policy houp",
        "smart-upgrade enable",
        "smart-upgrade web-prompt disable",
    )
    output = await term.command("display current-configuration")
    assert output[:3] == ["#", "!Software Version V200R020C00", "sysname HUAWEI"]
    assert output[-1] == "return"
    assert "ssl policy houp" in output
    section = output.index("smart-upgrade ssl-policy houp")
    assert output[section : section + 4] == [
        "smart-upgrade ssl-policy houp",
        "smart-upgrade web-prompt disable",
        "smart-upgrade enable",
        "#",
    ]
    assert await term.command("display current-configuration | inc sysname") == ["sysname HUAWEI"]
    assert await term.command("dis cur | include smart-upgrade (en|web)") == [
        "smart-upgrade web-prompt disable",
        "smart-upgrade enable",
    ]
    excluded = await term.command("display current-configuration | exclude ^(#|interface)")
    assert "#" not in excluded and "sysname HUAWEI" in excluded
    begun = await term.command("display current-configuration | begin ^smart")
    assert begun[0] == "smart-upgrade ssl-policy houp"
    assert (await term.command("display current-configuration | include (")) == [
        " " * len("<HUAWEI>display current-configuration | include ") + "^",
        "Error: Wrong parameter found at '^' position. The expression must be a regular "
        "expression.",
    ]
    assert (await term.command("display current-configuration | grep x"))[-1].startswith(
        "Error: Unrecognized"
    )
    assert (await term.command("screen-length 0 temporary | include x"))[-1].startswith(
        "Error: Too many"
    )


async def test_a_filter_that_would_backtrack_for_seconds_is_refused(term: Terminal) -> None:
    # on "ssl policy aaa…a_" this expression backtracks for seconds (4 s here): the whole
    # switch would wait; it is given FILTER_TIME and refused as a wrong parameter
    await configure(term, "ssl policy " + "a" * 22 + "_", "quit")
    command = "display current-configuration | include "
    assert await term.command(command + "((a|aa|aaa)+)+$") == [
        " " * len("<HUAWEI>" + command) + "^",
        "Error: Wrong parameter found at '^' position. The expression takes too long to match "
        "the output.",
    ]
    assert await term.command(command + "policy a+_$") == ["ssl policy " + "a" * 22 + "_"]


async def test_the_current_configuration_pastes_back(
    rig: CommandLineRig, make_rig: RigFactory
) -> None:
    first = await rig.terminal()
    await configure(
        first,
        "ssl policy houp",
        "quit",
        "smart-upgrade url s.houp.huawei.cn",
        "smart-upgrade ssl-policy houp",
        "smart-upgrade enable",
        "smart-upgrade ap enable",
        "smart-upgrade verify-server disable",
        "smart-upgrade schedule download at 2030-1-1 00:00:00 reboot at 2030-1-2 00:00:00",
    )
    lines = await first.command("display current-configuration")
    other = await make_rig()
    second = await other.terminal()
    await second.command("system-view")
    for line in lines:
        if line.startswith(("ssl policy", "smart-upgrade")):
            assert await second.command(line) == [], line
            await second.command("quit") if line.startswith("ssl") else None
    assert running(other) == running(rig)
    assert ssl_policies(other.datastores.raw(DatastoreName.RUNNING)) == {"houp": ()}


async def test_display_version_parses_with_ntc_templates_and_napalm(term: Terminal) -> None:
    output = "\n".join(await term.command("display version"))
    (parsed,) = ntc_templates.parse.parse_output(
        platform="huawei_vrp", command="display version", data=output
    )
    assert parsed["vrp_version"] == "5.170"
    assert parsed["product_version"] == f"{MODEL} V200R020C00"
    assert parsed["model"] == f"{IDENTITY.device_name} Routing Switch"
    assert parsed["uptime"] == "0 week, 0 day, 0 hour, 0 minute"
    assert parsed["patch_version"] == "V200R020SPH"
    # napalm-huawei-vrp's get_facts expressions
    assert re.search(r"\(S\S+\s+(?P<os_version>V\S+)\)", output)["os_version"] == "V200R020C00"  # type: ignore[index]


async def test_display_esn_and_interface_brief_parse(term: Terminal) -> None:
    esn = "\n".join(await term.command("display esn"))
    assert re.findall(r"ESN\s+of\s+slot\s+\S+\s+(?P<serial_number>\S+)", esn) == [ESN]
    brief = "\n".join(await term.command("display interface brief"))
    rows = ntc_templates.parse.parse_output(
        platform="huawei_vrp", command="display interface brief", data=brief
    )
    assert {row["interface"]: row["phy"] for row in rows}["MEth0/0/1"] == "up"


async def test_save_asks_then_copies_running_to_startup(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(term, "smart-upgrade web-prompt disable")
    assert await term.keys("save\r") == (
        "save\r\nWarning: The current configuration will be written to the device. Continue? [Y/N]:"
    )
    assert await term.command("n") == []
    assert rig.datastores.raw(DatastoreName.STARTUP) == {}
    await term.keys("save\r")
    assert await term.command("y") == [
        "Now saving the current configuration to the slot 0.",
        "Info: Save the configuration successfully.",
    ]
    assert rig.datastores.raw(DatastoreName.STARTUP) == rig.datastores.raw(DatastoreName.RUNNING)


async def test_scraplis_screen_width_write_is_answered(term: Terminal) -> None:
    output = await term.keys("screen-width 256\ny\n\n")
    assert "Continue? [Y/N]:y\r\nInfo: The screen width is set to 256.\r\n<HUAWEI>" in output
    assert output.endswith("<HUAWEI>\r\n<HUAWEI>")
    assert await term.command("screen-length 0 temporary") == [
        "Info: The configuration takes effect on the current user terminal interface only."
    ]


async def test_download_needs_smart_upgrade_enabled(term: Terminal) -> None:
    await term.command("system-view")
    assert await term.command("smart-upgrade download") == ["Error: Smart upgrade is not enabled."]
    assert await term.command("smart-upgrade right-now") == ["Error: Smart upgrade is not enabled."]


@pytest.mark.parametrize("idle", [True, False])
async def test_a_reboot_of_the_switch_ends_the_session(rig: CommandLineRig, idle: bool) -> None:
    term = await rig.terminal()
    if not idle:
        term.shell.feed("display esn\r")
    events: list[object] = []
    rig.device.subscribe(events.append)
    await rig.device.reset()
    await term.task
    assert any(isinstance(e, Rebooting) for e in events)
    # while the switch is down nobody gets a prompt
    late = await rig.terminal()
    await late.task
    assert late.screen == ""


COMPARING = "Info: The system is now comparing the configuration, please wait."
SAVE_FIRST = (
    "Warning: The configuration has been modified, and it will be saved to the next startup "
    "saved-configuration file flash:/vrpcfg.zip. Continue? [Y/N]:"
)
REBOOT = "System will reboot! Continue? [Y/N]:"


async def test_reboot_asks_and_n_keeps_the_switch_up(rig: CommandLineRig, term: Terminal) -> None:
    assert await term.keys("reboot\r") == f"reboot\r\n{COMPARING}\r\n{REBOOT}"
    assert await term.command("n") == []
    assert rig.device.up
    # only from the user view, as VRP has it
    await term.command("system-view")
    assert (await term.command("reboot"))[
        -1
    ] == "Error: Unrecognized command found at '^' position."


async def test_reboot_offers_to_save_a_modified_configuration(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(term, "smart-upgrade web-prompt disable")
    assert await term.keys("reboot\r") == f"reboot\r\n{COMPARING}\r\n{SAVE_FIRST}"
    assert await term.keys("y\r") == (
        "y\r\nNow saving the current configuration to the slot 0.\r\n"
        f"Info: Save the configuration successfully.\r\n{REBOOT}"
    )
    assert rig.datastores.raw(DatastoreName.STARTUP) == rig.datastores.raw(DatastoreName.RUNNING)
    events: list[object] = []
    rig.device.subscribe(events.append)
    term.shell.feed("y\r")
    await term.task  # the reboot ends the session
    assert not rig.device.up
    assert any(isinstance(e, Rebooting) for e in events)


async def test_reboot_without_saving_keeps_the_startup_configuration(
    rig: CommandLineRig, term: Terminal
) -> None:
    await configure(term, "smart-upgrade web-prompt disable")
    await term.keys("reboot\r")
    assert await term.keys("n\r") == f"n\r\n{REBOOT}"
    term.shell.feed("y\r")
    await term.task
    assert rig.datastores.raw(DatastoreName.STARTUP) == {}
    assert not rig.device.up


async def test_reboot_clears_a_saved_schedule(rig: CommandLineRig, term: Terminal) -> None:
    """The seed: resetting the switch disables a scheduled upgrade. Its reboot deletes the
    schedule from running, and the saved one is stopped when the switch next powers on."""
    await configure(
        term,
        "ssl policy houp",
        "quit",
        "smart-upgrade ssl-policy houp",
        "smart-upgrade enable",
        "smart-upgrade schedule download at 2026-11-27 10:00:00",
    )
    await term.keys("save\r")
    await term.command("y")
    assert running(rig).schedule == Schedule("2026-11-27 10:00:00")
    await term.keys("reboot\r")
    term.shell.feed("y\r")
    await term.task
    await asyncio.sleep(0)  # the deletion is the next step of the loop
    assert running(rig).schedule is None
    assert rig.device.state().schedule_information.download_time is None


async def test_a_model_without_smart_upgrade_has_no_smart_upgrade_commands(
    tmp_path: Path,
) -> None:
    model = "S5731-L"
    datastores = Datastores(
        Schema(data_model(ap_upgrade=False, smart_upgrade=False)), tmp_path, ManualScheduler()
    )
    chassis = FixedChassis(
        Identity(model, model, ESN), "V200R020C00", None, SimulatedClock(START), 1024**3
    )
    command_line = CommandLine(datastores, chassis)
    screen: list[str] = []
    term = Terminal(command_line.session(SESSION_ID, "admin", 3, screen.append), screen)
    await term.shell.wait_idle()
    term.new()
    for line in ("display smart-upgrade information", "system-view", "smart-upgrade enable"):
        output = await term.command(line)
        if line != "system-view":
            assert output[-1] == "Error: Unrecognized command found at '^' position."
    assert await term.command("ssl policy houp") == []
    assert model in "\n".join(await term.command("display version"))
    assert ESN in "\n".join(await term.command("display esn"))
    assert "smart-upgrade" not in "\n".join(await term.command("display current-configuration"))
    term.shell.end_of_input()
    await term.task
