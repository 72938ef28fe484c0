"""The command line's writes pass the datastores' authorize step as the logged-in user's, and
NACM's refusal reaches the terminal as the switch's Error line."""

from __future__ import annotations

from smartupgrade_server.datastore.diff import ChangeKind
from smartupgrade_server.datastore.store import DatastoreName
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.netconf.registry import SessionContext
from tests.support.terminal import SESSION_ID, CommandLineRig
from tests.unit.datastore.test_authorize_step import Authorizer


async def test_a_command_and_save_are_writes_of_the_user(rig: CommandLineRig) -> None:
    authorizer = Authorizer()
    rig.datastores.set_authorizer(authorizer)
    term = await rig.terminal(level=3)
    await term.command("system-view")
    assert await term.command("smart-upgrade web-prompt disable") == []
    await term.command("return")
    await term.keys("save\r")
    await term.command("y")
    user = SessionContext(SESSION_ID, "admin", 3, peer="")
    web_prompt = (ChangeKind.CREATE, "/su:smart-upgrade")
    assert authorizer.seen() == [
        (user, "running", [web_prompt]),
        (user, "startup", [web_prompt]),
    ]


async def test_nacm_refuses_a_command_of_a_user_its_rules_deny(rig: CommandLineRig) -> None:
    """A level-3 user passes the command line's own level check; NACM, as the authorize step,
    has the last word (here: rules that let nobody write smart upgrade)."""
    access = AccessControl(rig.datastores)
    rig.datastores.set_authorizer(access)
    nacm = factory_nacm()["ietf-netconf-acm:nacm"]
    deny = {"name": "deny", "module-name": "sunc-smart-upgrade", "action": "deny"}
    nacm["rule-list"].insert(0, {"name": "all", "group": ["*"], "rule": [deny]})
    rig.datastores.system_edit(lambda running: running.update({"ietf-netconf-acm:nacm": nacm}))
    term = await rig.terminal(level=3)
    await term.command("system-view")
    assert await term.command("smart-upgrade web-prompt disable") == [
        "Error: User 'admin' may not create this node."
    ]
    assert "sunc-smart-upgrade:smart-upgrade" not in rig.datastores.raw(DatastoreName.RUNNING)
    assert access.denied_data_writes == 1
