"""RFC 5277 notifications and RFC 8341 access control over real SSH, with ncclient.

The switch runs on the simulated clock against a real HOUP, as in test_upgrade_over_netconf.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError

from smartupgrade_client.errors import UpgradeFailed
from smartupgrade_client.results import Progress
from smartupgrade_model.model import NAMESPACE, FileKind, UpgradeInformation
from smartupgrade_model.model import UpgradeStatus as ClientStatus
from smartupgrade_model.modules import module
from smartupgrade_server.netconf.notification import NOTIFICATION_NS
from tests.integration.test_upgrade_over_netconf import ENABLE, rpc, su_config
from tests.support.blocking import call
from tests.support.defaults import POLICY, START, identity
from tests.support.switch import Switches, SwitchRig
from tests.support.users import Account

NCN = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"
NACM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
PASSWORD = "secret-pass"
# A level-3 user whom NACM rules deny writes, RPCs, one state container and one notification.
# Rule-lists are searched in order, so the auditors' list comes before the factory's.
AUDITOR_RULES = f"""
<config xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
  <nacm xmlns="{NACM_NS}" nc:operation="replace">
    <groups><group><name>auditors</name><user-name>auditor</user-name></group></groups>
    <rule-list>
      <name>auditors</name>
      <group>auditors</group>
      <rule>
        <name>no-upgrade-information</name>
        <path xmlns:su="{NAMESPACE}">/su:smart-upgrade/su:upgrade-information</path>
        <access-operations>read</access-operations>
        <action>deny</action>
      </rule>
      <rule>
        <name>no-port</name>
        <path xmlns:su="{NAMESPACE}">/su:smart-upgrade/su:https-port</path>
        <access-operations>read</access-operations>
        <action>deny</action>
      </rule>
      <rule>
        <name>no-progress</name>
        <module-name>sunc-smart-upgrade</module-name>
        <notification-name>download-progress</notification-name>
        <action>deny</action>
      </rule>
      <rule>
        <name>no-upgrade-operations</name>
        <module-name>sunc-smart-upgrade</module-name>
        <access-operations>exec</access-operations>
        <action>deny</action>
      </rule>
      <rule>
        <name>look-only</name>
        <module-name>*</module-name>
        <access-operations>create update delete</access-operations>
        <action>deny</action>
      </rule>
    </rule-list>
    <rule-list>
      <name>management-level</name>
      <group>level-3</group>
      <rule><name>permit-all</name><module-name>*</module-name><action>permit</action></rule>
    </rule-list>
  </nacm>
</config>
"""


ACCOUNTS = (
    Account("admin", PASSWORD),
    Account("operator", PASSWORD, 2),
    Account("auditor", PASSWORD),
)


@pytest.fixture
async def rig(switches: Switches) -> SwitchRig:
    """A switch without AP upgrade, whose users are those of ``ACCOUNTS``."""
    return await switches.start(identity=identity("S5735-L"), accounts=ACCOUNTS)


Connect = Callable[[str], Awaitable[manager.Manager]]


@pytest.fixture
async def connect(rig: SwitchRig) -> AsyncIterator[Connect]:
    sessions: list[manager.Manager] = []

    async def open_session(username: str) -> manager.Manager:
        session = await rig.session(username)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        if session.connected:
            await call(session.close_session)


async def take(session: manager.Manager) -> etree._Element:
    """The content of the next notification (bounded by the test timeout)."""
    # short blocking takes, so that the test timeout can interrupt a wait that never ends
    while (notification := await call(session.take_notification, True, 1.0)) is None:
        pass
    envelope = notification.notification_ele
    assert envelope.tag == f"{{{NOTIFICATION_NS}}}notification"
    assert envelope[0].tag == f"{{{NOTIFICATION_NS}}}eventTime"
    content: etree._Element = envelope[1]
    return content


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def leaves(element: etree._Element) -> dict[str, str]:
    return {local(child): child.text or "" for child in element if len(child) == 0}


async def denied(function: Callable[..., object], *args: Any, **kwargs: Any) -> RPCError:
    with pytest.raises(RPCError) as caught:
        await call(function, *args, **kwargs)
    assert caught.value.tag == "access-denied", caught.value
    return caught.value


def yanglint_notification(content: etree._Element, tmp_path: Path) -> None:
    if shutil.which("yanglint") is None:
        pytest.skip("yanglint (libyang2-tools) missing")
    path = tmp_path / f"{local(content)}.xml"
    path.write_bytes(etree.tostring(content))
    smart_upgrade = module("sunc-smart-upgrade").path
    done = subprocess.run(
        [
            "yanglint",
            "-p",
            str(smart_upgrade.parent),
            "-p",
            str(smart_upgrade.parent / "ietf"),
            "-t",
            "notif",
            str(smart_upgrade),
            str(module("ietf-netconf-notifications").path),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_capabilities_announce_notifications(connect: Connect) -> None:
    admin = await connect("admin")
    assert "urn:ietf:params:netconf:capability:notification:1.0" in admin.server_capabilities
    assert "urn:ietf:params:netconf:capability:interleave:1.0" in admin.server_capabilities


async def test_a_download_reports_progress_in_order_then_its_final_status(
    connect: Connect, tmp_path: Path
) -> None:
    admin = await connect("admin")
    watched = (
        f'<filter type="subtree"><download-progress xmlns="{NAMESPACE}"/>'
        f'<upgrade-status-changed xmlns="{NAMESPACE}"/></filter>'
    )
    await call(admin.create_subscription, filter=etree.fromstring(watched))
    await call(admin.edit_config, target="running", config=su_config(ENABLE))
    await call(admin.dispatch, rpc("refresh"))
    await call(admin.dispatch, rpc("download"))
    percents: dict[str, list[int]] = {}
    while True:
        content = await take(admin)
        values = leaves(content)
        if local(content) == "download-progress":
            percents.setdefault(values["file-kind"], []).append(int(values["percent"]))
            yanglint_notification(content, tmp_path)
        else:
            assert local(content) == "upgrade-status-changed"
            if values["upgrade-status"] != "running":
                break
    assert values["upgrade-status"] == "success"
    yanglint_notification(content, tmp_path)
    assert percents["software"][-1] == 100
    for series in percents.values():
        assert series == sorted(series)


async def test_config_change_replay_and_interleave(connect: Connect) -> None:
    watcher, editor = await connect("admin"), await connect("admin")
    await call(watcher.create_subscription)
    await call(
        editor.edit_config, target="running", config=su_config("<https-port>8443</https-port>")
    )
    while local(content := await take(watcher)) != "netconf-config-change":
        pass
    by = content.find(f"{{{NCN}}}changed-by")
    assert by is not None and by.findtext(f"{{{NCN}}}username") == "admin"
    target = content.find(f"{{{NCN}}}edit/{{{NCN}}}target")
    # running had no /smart-upgrade yet, so the container itself was created
    assert target is not None and target.text == "/su:smart-upgrade"
    assert content.findtext(f"{{{NCN}}}edit/{{{NCN}}}operation") == "create"
    # interleave: the subscribed session still runs RPCs
    got = await call(watcher.get_config, source="running")
    assert got.data_ele.find(f".//{{{NAMESPACE}}}https-port").text == "8443"

    late = await connect("admin")
    start = (START - timedelta(hours=1)).isoformat()
    await call(late.create_subscription, start_time=start)
    replayed = []
    while local(content := await take(late)) != "replayComplete":
        replayed.append(local(content))
    assert "netconf-session-start" in replayed
    assert "netconf-config-change" in replayed


async def test_create_subscription_errors(connect: Connect) -> None:
    admin = await connect("admin")
    # ncclient refuses this itself, so the request is sent as it is
    request = etree.fromstring(
        f'<create-subscription xmlns="{NOTIFICATION_NS}">'
        f"<stopTime>{START.isoformat()}</stopTime></create-subscription>"
    )
    with pytest.raises(RPCError) as caught:
        await call(admin.dispatch, request)
    assert caught.value.tag == "missing-element"
    with pytest.raises(RPCError) as caught:
        await call(admin.create_subscription, start_time=(START + timedelta(days=1)).isoformat())
    assert caught.value.tag == "bad-element"
    with pytest.raises(RPCError) as caught:
        await call(admin.create_subscription, stream_name="SYSLOG")
    assert caught.value.tag == "invalid-value"
    await call(admin.create_subscription)
    with pytest.raises(RPCError) as caught:
        await call(admin.create_subscription)
    assert caught.value.tag == "in-use"


async def test_a_level_2_user_is_refused_smart_upgrade(connect: Connect) -> None:
    admin, operator = await connect("admin"), await connect("operator")
    await call(operator.create_subscription)
    error = await denied(operator.edit_config, target="running", config=su_config(ENABLE))
    assert error.path is not None and "smart-upgrade" in error.path
    for name in ("refresh", "download", "right-now", "cancel"):
        await denied(operator.dispatch, rpc(name))
    # NMDA's edit-data is a write like edit-config
    edit_data = etree.fromstring(
        f'<edit-data xmlns="{NMDA_NS}" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">'
        f'<datastore>ds:running</datastore><config><smart-upgrade xmlns="{NAMESPACE}">'
        "<web-prompt>false</web-prompt></smart-upgrade></config></edit-data>"
    )
    await denied(operator.dispatch, edit_data)
    # kill-session is default-deny-all in ietf-netconf
    kill = etree.fromstring(
        f'<kill-session xmlns="{NC_NS}"><session-id>{admin.session_id}</session-id></kill-session>'
    )
    await denied(operator.dispatch, kill)
    # so is ietf-system's system-restart: a level-2 user resets nothing
    restart = etree.Element("{urn:ietf:params:xml:ns:yang:ietf-system}system-restart")
    await denied(operator.dispatch, restart)
    got = await call(operator.get)
    assert got.data_ele.find(f"{{{NAMESPACE}}}smart-upgrade") is None
    assert got.data_ele.find(f"{{{NACM_NS}}}nacm") is None
    assert admin.connected
    # version-checked comes between two config changes and is not sent; the config changes
    # are, without the edits of nodes the operator may not read
    await call(admin.edit_config, target="running", config=su_config(ENABLE))
    await call(admin.dispatch, rpc("refresh"))
    await call(
        admin.edit_config, target="running", config=su_config("<web-prompt>false</web-prompt>")
    )
    changes = 0
    while changes < 2:
        content = await take(operator)
        assert etree.QName(content).namespace != NAMESPACE
        if local(content) == "netconf-config-change":
            assert content.find(f"{{{NCN}}}edit") is None
            changes += 1


async def test_nacm_rules_deny_a_level_3_user(connect: Connect) -> None:
    admin = await connect("admin")
    await call(admin.edit_config, target="running", config=AUDITOR_RULES)
    auditor = await connect("auditor")
    await call(auditor.create_subscription)
    await denied(
        auditor.edit_config, target="running", config=su_config("<https-port>1</https-port>")
    )
    for name in ("refresh", "download", "right-now", "cancel"):
        await denied(auditor.dispatch, rpc(name))
    got = await call(auditor.get)
    smart_upgrade = got.data_ele.find(f"{{{NAMESPACE}}}smart-upgrade")
    assert smart_upgrade is not None
    assert smart_upgrade.find(f"{{{NAMESPACE}}}upgrade-information") is None
    assert smart_upgrade.find(f"{{{NAMESPACE}}}local-information") is not None
    # a download: the auditor gets its status changes but none of its progress
    await call(admin.edit_config, target="running", config=su_config(ENABLE))
    await call(admin.dispatch, rpc("refresh"))
    await call(admin.dispatch, rpc("download"))
    while True:
        content = await take(auditor)
        assert local(content) != "download-progress"
        if (
            local(content) == "upgrade-status-changed"
            and leaves(content)["upgrade-status"] != "running"
        ):
            break
    # a config change of a node the auditor may not read comes without its edit
    await call(admin.edit_config, target="running", config=su_config("<https-port>99</https-port>"))
    while local(content := await take(auditor)) != "netconf-config-change":
        pass
    assert content.find(f"{{{NCN}}}edit") is None
    assert content.findtext(f"{{{NCN}}}datastore") == "running"
    counters = (await call(admin.get)).data_ele.find(f"{{{NACM_NS}}}nacm")
    assert counters is not None
    assert int(counters.findtext(f"{{{NACM_NS}}}denied-operations") or 0) >= 4
    assert int(counters.findtext(f"{{{NACM_NS}}}denied-data-writes") or 0) >= 1
    assert int(counters.findtext(f"{{{NACM_NS}}}denied-notifications") or 0) >= 1


async def test_the_sdk_waits_on_rfc_5277_notifications_when_subscribed_so(
    rig: SwitchRig,
) -> None:
    def run() -> tuple[list[Progress], UpgradeInformation, bool]:
        with rig.sdk() as client:
            client.set_ssl_policy(POLICY)
            client.enable()
            client.refresh()
            # an RFC 5277 subscription first: the switch refuses this session YANG-push
            # (RFC 8639 §1.4), and wait falls back to the module's notifications
            assert client.offers_yang_push() and client.subscribe_to_progress()
            client.download()
            seen: list[Progress] = []
            final = client.wait(progress=seen.append)
            # wait used this session's subscription; a second one is not needed
            return seen, final, client.subscribe_to_progress()

    seen, final, subscribed = await call(run)
    assert subscribed
    assert final.upgrade_status is ClientStatus.SUCCESS
    software = [p.percent for p in seen if p.file_kind is FileKind.SOFTWARE]
    assert software[-1] == 100
    assert software == sorted(software)


async def test_a_failure_carries_what_the_switch_said(rig: SwitchRig) -> None:
    # what VRP prints as the run ends: from a replay beside YANG-push, or from RFC 5277
    rig.houp.faults.corrupt_content = {"*"}

    def run(rfc_5277: bool) -> UpgradeFailed:
        with rig.sdk() as client:
            client.set_ssl_policy(POLICY)
            client.enable()
            if rfc_5277:
                assert client.subscribe_to_progress()
            client.download()
            with pytest.raises(UpgradeFailed) as caught:
                client.wait()
            return caught.value

    async def run_async() -> UpgradeFailed:
        async with await rig.async_sdk() as client:
            await client.download()
            with pytest.raises(UpgradeFailed) as caught:
                await client.wait()
            return caught.value

    for failed in (await call(run, False), await call(run, True), await run_async()):
        assert failed.status is ClientStatus.FILE_CHECK_FAILED
        assert failed.said == "Signature verification failed."


async def test_confirmed_commit_events(connect: Connect, tmp_path: Path) -> None:
    watcher, editor = await connect("admin"), await connect("admin")
    confirmed = f'<filter type="subtree"><netconf-confirmed-commit xmlns="{NCN}"/></filter>'
    await call(watcher.create_subscription, filter=etree.fromstring(confirmed))
    await call(
        editor.edit_config, target="candidate", config=su_config("<https-port>8443</https-port>")
    )
    await call(editor.commit, confirmed=True, timeout="120")
    await call(editor.commit)
    started, completed = await take(watcher), await take(watcher)
    assert leaves(started)["confirm-event"] == "start"
    assert leaves(started)["timeout"] == "120"
    assert leaves(started)["username"] == "admin"
    assert leaves(completed)["confirm-event"] == "complete"
    yanglint_notification(started, tmp_path)
