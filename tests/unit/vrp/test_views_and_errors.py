"""Views, prompts, levels, abbreviations, help and the VRP parser's errors."""

from __future__ import annotations

import pytest

from smartupgrade_model.model import CONFIG_LEAVES
from tests.support.terminal import CommandLineRig, Terminal
from tests.unit.vrp.conftest import RigFactory

UNRECOGNIZED = "Error: Unrecognized command found at '^' position."
WRONG = "Error: Wrong parameter found at '^' position."
INCOMPLETE = "Error: Incomplete command found at '^' position."
AMBIGUOUS = "Error: Ambiguous command found at '^' position."
TOO_MANY = "Error: Too many parameters found at '^' position."


def marker(prompt: str, line: str, word: str) -> str:
    """The ^ line under ``word`` of ``line`` echoed after ``prompt``."""
    return " " * (len(prompt) + line.index(word)) + "^"


async def test_the_session_starts_in_the_user_view_with_the_sysname(rig: CommandLineRig) -> None:
    term = await rig.terminal()
    assert term.screen.endswith("\r\n<HUAWEI>")


async def test_the_sysname_is_the_prompt(make_rig: RigFactory) -> None:
    rig = await make_rig(sysname="CORE-SW1")
    term = await rig.terminal()
    assert term.screen.endswith("<CORE-SW1>")
    await term.command("system-view")
    assert (await term.keys("\r")).endswith("[CORE-SW1]")


async def test_views_system_view_quit_and_return(term: Terminal) -> None:
    assert await term.command("system-view") == ["Enter system view, return user view with Ctrl+Z."]
    assert term.screen.endswith("[HUAWEI]")
    await term.command("ssl policy HOUP")
    assert term.screen.endswith("[HUAWEI-ssl-policy-houp]")
    await term.command("quit")
    assert term.screen.endswith("[HUAWEI]")
    await term.command("ssl policy houp")
    await term.command("return")
    assert term.screen.endswith("<HUAWEI>")
    await term.command("system-view")
    assert (await term.keys("smart\x1a")).endswith("^Z\r\n<HUAWEI>")


async def test_quit_in_the_user_view_ends_the_session(term: Terminal) -> None:
    assert await term.command("quit") == []
    await term.task
    assert term.task.done()


async def test_commands_exist_only_in_their_view(term: Terminal) -> None:
    line = "smart-upgrade enable"
    assert await term.command(line) == [marker("<HUAWEI>", line, "smart-upgrade"), UNRECOGNIZED]
    await term.command("system-view")
    assert await term.command("system-view") == [" " * 8 + "^", UNRECOGNIZED]
    assert await term.command("screen-length 0 temporary") == [" " * 8 + "^", UNRECOGNIZED]


async def test_display_works_in_all_views(term: Terminal) -> None:
    assert await term.command("display esn") == ["ESN of slot 0: 2102351XFR10P0000001"]
    await term.command("system-view")
    assert await term.command("display esn") == ["ESN of slot 0: 2102351XFR10P0000001"]
    await term.command("ssl policy houp")
    assert await term.command("display esn") == ["ESN of slot 0: 2102351XFR10P0000001"]


@pytest.mark.parametrize(
    ("level", "allowed", "refused"),
    [
        (0, ["screen-length 0 temporary"], ["display version", "system-view"]),
        (1, ["display version", "display esn"], ["system-view", "save"]),
        (2, ["display interface brief"], ["display smart-upgrade information", "save", "reboot"]),
    ],
)
async def test_commands_above_the_users_level_do_not_exist(
    rig: CommandLineRig, level: int, allowed: list[str], refused: list[str]
) -> None:
    term = await rig.terminal(level=level)
    for line in allowed:
        assert UNRECOGNIZED not in await term.command(line)
    for line in refused:
        assert (await term.command(line))[-1] == UNRECOGNIZED


async def test_a_level_2_user_cannot_run_the_seeds_level_3_commands(rig: CommandLineRig) -> None:
    term = await rig.terminal(level=2)
    await term.command("system-view")
    line = "smart-upgrade web-prompt disable"
    assert await term.command(line) == [marker("[HUAWEI]", line, "smart-upgrade"), UNRECOGNIZED]


async def test_unrecognized_word_is_marked_where_it_starts(term: Terminal) -> None:
    line = "display  smart-upgrade informatoin"
    assert await term.command(line) == [marker("<HUAWEI>", line, "informatoin"), UNRECOGNIZED]
    assert await term.command("dispaly version") == [" " * 8 + "^", UNRECOGNIZED]


async def test_wrong_parameter_uses_the_models_ranges(term: Terminal) -> None:
    ((low, high),) = CONFIG_LEAVES["/smart-upgrade/https-port"].ranges
    ((_, longest),) = CONFIG_LEAVES["/smart-upgrade/url"].lengths
    ((_, policy_longest),) = CONFIG_LEAVES["/smart-upgrade/ssl-policy"].lengths
    port = f"The HTTPS port must be an integer from {low} to {high}."
    url = (
        f"The URL must be 1 to {longest} characters without spaces: a host name, an IP address "
        "or an https:// URL."
    )
    policy = f"An SSL policy name must be 1 to {policy_longest} letters, digits or underscores (_)."
    time = (
        "A schedule time must be YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to "
        "2099, MM from 1 to 12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59."
    )
    await term.command("system-view")
    for line, word, rule in [
        (f"smart-upgrade https-port {low - 1}", str(low - 1), port),
        (f"smart-upgrade https-port {high + 1}", str(high + 1), port),
        ("smart-upgrade https-port 44x", "44x", port),
        (f"smart-upgrade url {'h' * (longest + 1)}", "hhh", url),
        (f"smart-upgrade ssl-policy {'p' * (policy_longest + 1)}", "ppp", policy),
        ("smart-upgrade ssl-policy ho-up", "ho-up", policy),
        ("ssl policy ho.up", "ho.up", policy),
        ("smart-upgrade schedule download at 2100-1-1 00:00:00", "2100", time),
        (
            "smart-upgrade schedule download at 2030-2-30 00:00:00",
            "2030",
            "The date does not exist: February 2030 has 28 days.",
        ),
        ("smart-upgrade schedule download at 2030-13-1 00:00:00", "2030", time),
        ("smart-upgrade schedule download at 2030-1-1 24:00:00", "24:", time),
        ("smart-upgrade schedule download at 2030-1-1 0:60:0", "0:60", time),
    ]:
        shown = await term.command(line)
        assert shown == [marker("[HUAWEI]", line, word), f"{WRONG} {rule}"], line
    assert await term.command(f"smart-upgrade https-port {high}") == []


async def test_incomplete_command_is_marked_after_the_line(term: Terminal) -> None:
    await term.command("system-view")
    line = "smart-upgrade url"
    assert await term.command(line) == [" " * (8 + len(line) + 1) + "^", INCOMPLETE]
    line = "smart-upgrade schedule download at 2030-1-1"
    assert (await term.command(line))[-1] == INCOMPLETE


async def test_ambiguous_and_too_many(term: Terminal) -> None:
    await term.command("system-view")
    assert await term.command("s policy houp") == [" " * 8 + "^", AMBIGUOUS]
    line = "smart-upgrade enable now"
    assert await term.command(line) == [marker("[HUAWEI]", line, "now"), TOO_MANY]


async def test_keywords_may_be_abbreviated_to_a_unique_prefix(
    rig: CommandLineRig, term: Terminal
) -> None:
    output = await term.command("dis smart-upgrade info")
    assert output[0] == "Info: Loading the information, please wait ."
    await term.command("sys")
    assert await term.command("smart web dis") == []
    assert rig.device.state().web_prompt is False
    assert await term.command("UNDO Smart-Upgrade WEB-PROMPT DISABLE") == []
    assert rig.device.state().web_prompt is True


async def test_question_mark_lists_the_commands_of_the_view(term: Terminal) -> None:
    output = await term.keys("?")
    lines = output.split("\r\n")
    names = [line.split()[0] for line in lines[1:] if line.startswith("  ")]
    assert names == [
        "display", "quit", "reboot", "save", "screen-length", "screen-width", "system-view",
    ]  # fmt: skip
    assert lines[-1] == "<HUAWEI>"
    await term.keys("\r")
    await term.command("system-view")
    output = await term.keys("smart-upgrade ?")
    names = [line.split()[0] for line in output.split("\r\n") if line.startswith("  ")]
    assert names == [
        "ap", "download", "enable", "https-port", "right-now", "schedule", "ssl-policy",
        "url", "verify-server", "web-prompt",
    ]  # fmt: skip
    # the line typed so far is shown again after the help
    assert output.endswith("[HUAWEI]smart-upgrade ")
    output = await term.keys("https-port ?")
    assert "  INTEGER<1-65535>" in output
    output = await term.keys("443 ?")
    assert "  <cr>" in output


async def test_question_mark_after_a_partial_word_lists_what_it_begins(term: Terminal) -> None:
    output = await term.keys("s?")
    names = [line.split()[0] for line in output.split("\r\n") if line.startswith("  ")]
    assert names == ["save", "screen-length", "screen-width", "system-view"]
    assert output.endswith("<HUAWEI>s")


async def test_tab_completes_a_unique_keyword(term: Terminal) -> None:
    assert await term.keys("dis sm\t") == "dis smart-upgrade "
    assert await term.keys("in\t") == "information "
    assert (await term.keys("\r")).startswith("\r\nInfo: Loading")


async def test_ctrl_c_at_the_prompt_drops_the_line(term: Terminal) -> None:
    assert await term.keys("display ver\x03") == "display ver^C\r\n<HUAWEI>"
    assert await term.command("") == []


async def test_typed_ahead_lines_run_one_after_another(term: Terminal) -> None:
    output = await term.keys("display esn\rsystem-view\nquit\r\ndisplay esn\n")
    assert output.count("ESN of slot 0") == 2
    assert output.endswith("<HUAWEI>")
