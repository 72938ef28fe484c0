"""Text from the network cannot break the switch (issue #13 item 3): a real HOUP serves
control characters and hostile names; `<get>` over NETCONF stays valid XML and the VRP display
over SSH carries no control byte, also after a restart from a state file that holds such text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from lxml import etree

from smartupgrade_model.model import NAMESPACE, CheckResult, UpgradeStatus
from smartupgrade_server.houp.server import HoupServer
from tests.integration.device.conftest import SwitchFactory
from tests.support.defaults import POLICY
from tests.support.houp import SMALL_CATALOGUE
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.users import ADMIN, Credentials

# YAML escapes: ESC ] 0 ; ... BEL retitles a terminal, ESC [ 2 J clears it, \x01 is what the
# issue found; a line break and a right-to-left override ride along.
HOSTILE_DESCRIPTION = r"\e]0;pwned\a\e[2J\x01 two\nlines \u202e"
HOSTILE_CATALOGUE = SMALL_CATALOGUE.replace(
    'upgrade_description: "upgrade"', f'upgrade_description: "{HOSTILE_DESCRIPTION}"'
).replace('"1)description:2)CC+SPH"', r'"1)description\e[31m:2)CC+SPH\x01"')
CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
"""Every C0 and C1 control but the line ends a terminal's output needs."""
NS = {"su": NAMESPACE}


def display_of(sim: SwitchRig) -> str:
    """`display smart-upgrade information` typed on an interactive SSH terminal."""

    async def typed() -> str:
        async with asyncssh.connect(
            "127.0.0.1", sim.cli_port, username=ADMIN.name, password=ADMIN.password,
            known_hosts=None,
        ) as connection:  # fmt: skip
            process = await connection.create_process(term_type="vt100", encoding=None)
            await process.stdout.readuntil(b"<HUAWEI>")
            process.stdin.write(b"display smart-upgrade information\r")
            text: bytes = await process.stdout.readuntil(b"<HUAWEI>")
            process.close()
            return text.decode("utf-8")

    return sim.loop.run(typed())


@pytest.fixture
def lab(tmp_path: Path, credentials: Credentials, houp_dir: Path) -> Iterator[ThreadedSwitches]:
    """A HOUP whose offer carries hostile text."""
    with ThreadedSwitches(tmp_path, credentials, houp_dir, HOSTILE_CATALOGUE) as switches:
        yield switches


@pytest.fixture
def sim(lab: ThreadedSwitches) -> SwitchRig:
    return lab.start(cli=True)


def enable(sim: SwitchRig) -> None:
    with sim.ncclient() as session:
        session.edit_config(
            target="running",
            config=f'<config><smart-upgrade xmlns="{NAMESPACE}"><ssl-policy>{POLICY}</ssl-policy>'
            "<enabled>true</enabled></smart-upgrade></config>",
        )


def version_information(sim: SwitchRig) -> etree._Element:
    with sim.ncclient() as session:
        reply = session.get(filter=("subtree", f'<smart-upgrade xmlns="{NAMESPACE}"/>'))
    info = etree.fromstring(reply.xml.encode()).find(".//su:version-information", NS)
    assert info is not None
    return info


def test_control_characters_reach_neither_a_reply_nor_a_terminal(sim: SwitchRig) -> None:
    enable(sim)
    display = display_of(sim)  # refreshes: the HOUP's offer carries the hostile text
    assert not CONTROL.findall(display)
    assert "\ufffd]0;pwned\ufffd\ufffd[2J\ufffd two lines \ufffd" in display
    info = version_information(sim)  # a reply that is valid XML (ncclient parsed it)
    assert info.findtext("su:check-result", namespaces=NS) == CheckResult.NEED_UPDATE.value
    assert info.findtext("su:description-in-english", namespaces=NS) == (
        "1)description\ufffd[31m:2)CC+SPH\ufffd"
    )
    # the state file keeps only the cleaned text: a restart has nothing hostile to load
    assert not CONTROL.findall((sim.data_dir / "state.json").read_text("utf-8"))


def test_a_state_file_with_control_characters_loads_cleaned(
    sim: SwitchRig, lab: ThreadedSwitches
) -> None:
    lab.run(sim.close())
    path = sim.data_dir / "state.json"
    saved = json.loads(path.read_text("utf-8"))
    # as a switch without the rule saved it
    saved["state"]["version"].update(
        check_result=CheckResult.NEED_UPDATE.value,
        recommended_software_version="V200R024C00\x1b[2J",
        upgrade_description="\x1b]0;pwned\x07\x01",
    )
    path.write_text(json.dumps(saved), "utf-8")
    sim = lab.start(cli=True, data_dir=sim.data_dir)
    info = version_information(sim)
    assert info.findtext("su:upgrade-description", namespaces=NS) == "\ufffd]0;pwned\ufffd\ufffd"
    display = display_of(sim)  # smart upgrade is disabled: no refresh replaces the text
    assert not CONTROL.findall(display)
    assert "V200R024C00\ufffd[2J" in display


async def test_a_name_that_is_not_a_plain_file_name_is_refused(
    make_rig: SwitchFactory, houp: HoupServer, tmp_path: Path
) -> None:
    rig = await make_rig()
    houp.faults.offer_other_model = "../../escaped"  # package names that leave the flash
    assert (await rig.switch.refresh()).check_result is CheckResult.NET_ERROR
    assert await (await rig.switch.download()).wait() is UpgradeStatus.OTHER
    assert "is not a plain name" in rig.lines()[-1]
    assert not rig.switch.flash.files()
    assert not list(tmp_path.rglob("escaped*"))


async def test_a_version_that_is_not_a_plain_name_is_refused(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    rig = await make_rig()
    houp.faults.offer_older_version = "V200R019C10\x1b]0;pwned\x07"
    info = await rig.switch.refresh()
    assert info.check_result is CheckResult.NET_ERROR
    assert info.recommended_software_version is None
    assert not CONTROL.findall("".join(rig.lines()))
