"""The AP upgraded end to end from the switch's command line over SSH, observed over NETCONF:
with smart upgrade for APs enabled, `display smart-upgrade information` is the seed's second
example, and `smart-upgrade right-now` reboots the AP into the version the switch runs."""

from __future__ import annotations

import pytest
from lxml import etree
from ncclient import manager

from smartupgrade_model.model import NAMESPACE
from smartupgrade_server.device import messages
from smartupgrade_server.device.identity import FactoryState
from tests.support.defaults import AP_DEVICE, AP_ESN, REBOOT, factory, identity
from tests.support.houp import AP_PACKAGE, NEW_SOFTWARE
from tests.support.switch import SwitchRig, ThreadedSwitches
from tests.support.vrp import open_session
from tests.unit.yang.seed import display_examples, display_sections

# the switch already runs the version of the HOUP's AP software (an AP runs its switch's)
FACTORY = FactoryState(NEW_SOFTWARE, None, factory(ap=True).ap_software)
SU = f"{{{NAMESPACE}}}"
AP_FILTER = (
    f'<smart-upgrade xmlns="{NAMESPACE}"><ap-information/><upgrade-information/></smart-upgrade>'
)


@pytest.fixture
def ap_sim(lab: ThreadedSwitches) -> SwitchRig:
    return lab.start(identity=identity(ap=AP_DEVICE), factory=FACTORY, cli=True)


def _ap_state(m: manager.Manager) -> etree._Element:
    data: etree._Element = m.get(filter=("subtree", AP_FILTER)).data_ele
    found = data.find(f"{SU}smart-upgrade")
    assert found is not None
    return found


def test_the_ap_upgraded_from_the_command_line(ap_sim: SwitchRig) -> None:
    sim = ap_sim

    async def configure_and_display() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            for command in ("ssl-policy houp", "enable", "ap enable"):
                assert "Error" not in await session.run(f"smart-upgrade {command}")
            return await session.run("display smart-upgrade information")
        finally:
            await session.close()

    shown = display_sections(sim.loop.run(configure_and_display()).replace("\r", ""))
    seed = display_examples()[1]
    # the seed's second example, section by section and label by label
    assert [(s.title, [label for label, _ in s.fields]) for s in shown] == [
        (s.title, [label for label, _ in s.fields]) for s in seed
    ]
    # and its values, where they are not of the seed's own switch (times, sizes, its ESN)
    own = {"Refresh time", "ESN", "Software package size(B)", "Patch package name",
           "Patch package size(B)", "Upgrade Time", "Upgrade status", "Last upgrade time",
           "Last upgrade result"}  # fmt: skip
    values = {label: value for s in shown for label, value in s.fields}
    for section in seed:
        for label, value in section.fields:
            if label not in own:
                assert values[label] == value, label
    assert values["ESN"] == AP_ESN
    assert values["Patch package name"] == "-"  # the AP's offer has no patch (seed: xxx.pat)

    async def right_now() -> str:
        session = await open_session(sim.cli_port)
        try:
            await session.run("system-view")
            return await session.run("smart-upgrade right-now")
        finally:
            await session.close()

    output = sim.loop.run(right_now()).replace("\r", "")
    assert str(messages.downloading(AP_PACKAGE)) in output
    assert str(messages.next_startup_file(AP_PACKAGE)) in output
    assert output.splitlines()[-2] == str(messages.AP_REBOOTING)  # then the prompt: still up

    with sim.ncclient() as m:
        m.create_subscription()
        state = _ap_state(m)
        assert state.findtext(f"{SU}upgrade-information/{SU}upgrade-status") is None
        ap = state.find(f"{SU}ap-information")
        assert ap is not None
        assert ap.findtext(f"{SU}upgrade-information/{SU}upgrade-status") == "running"
        assert ap.findtext(f"{SU}upgrade-information/{SU}software-download-progress") == "100"
        assert ap.findtext(f"{SU}local-information/{SU}software-version") == "V200R019C10"

        sim.loop.run(sim.clock.advance(REBOOT))
        notification = m.take_notification(timeout=10)
        assert notification is not None
        changed = notification.notification_ele.find(f".//{SU}upgrade-status-changed")
        assert changed is not None
        assert changed.findtext(f"{SU}upgrade-status") == "success"
        assert changed.findtext(f"{SU}target") == "ap"

        ap = _ap_state(m).find(f"{SU}ap-information")
        assert ap is not None
        assert ap.findtext(f"{SU}local-information/{SU}software-version") == "V200R024C00"
        assert ap.findtext(f"{SU}upgrade-information/{SU}last-upgrade-result") == "success"
