"""Every datastore operation and capability over real SSH, driven by plain ncclient.

The switch runs in-process on 127.0.0.1 port 0; ncclient is blocking, so each call runs in a
thread while the server serves on the event loop. Confirmed commits are timed by a scheduler
the test fires by hand.
"""

import json
import os
import signal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lxml import etree

from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.persistence import load_config
from smartupgrade_server.datastore.store import STARTUP_FILE, DatastoreName
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.device.identity import FactoryState
from tests.interop.clients import yanglint_validate_reply
from tests.support.blocking import call, rpc_error
from tests.support.defaults import IDENTITY, MODEL
from tests.support.manual_scheduler import ManualScheduler
from tests.support.sim import running_sim
from tests.support.switch import Switches, SwitchRig
from tests.support.waiting import until

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
WD = "urn:ietf:params:xml:ns:netconf:default:1.0"
SMART = "sunc-smart-upgrade:smart-upgrade"
NS = {"nc": NC, "su": SU, "sslp": SSLP, "wd": WD}
FACTORY = FactoryState("V200R020C00")
T = TypeVar("T")

POLICY = f'<ssl-policies xmlns="{SSLP}"><ssl-policy><name>HOUP</name></ssl-policy></ssl-policies>'
ENABLE = (
    f"<config>{POLICY}<smart-upgrade xmlns='{SU}'>"
    "<ssl-policy>houp</ssl-policy><enabled>true</enabled></smart-upgrade></config>"
)


def su_config(body: str) -> str:
    return f'<config xmlns:nc="{NC}"><smart-upgrade xmlns="{SU}">{body}</smart-upgrade></config>'


@pytest.fixture
async def harness(switches_without_houp: Switches) -> SwitchRig:
    """A switch whose confirmed commits end when the test fires their timers."""
    return await switches_without_houp.start(scheduler=ManualScheduler())


def data_of(reply: Any) -> etree._Element:
    element: etree._Element = reply.data_ele
    assert element.tag == f"{{{NC}}}data"
    return element


async def test_capabilities(harness: SwitchRig) -> None:
    m = await harness.session()
    capabilities = set(m.server_capabilities)
    await call(m.close_session)
    assert {
        "urn:ietf:params:netconf:base:1.0",
        "urn:ietf:params:netconf:base:1.1",
        "urn:ietf:params:netconf:capability:writable-running:1.0",
        "urn:ietf:params:netconf:capability:candidate:1.0",
        "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
        "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
        "urn:ietf:params:netconf:capability:validate:1.1",
        "urn:ietf:params:netconf:capability:startup:1.0",
        "urn:ietf:params:netconf:capability:xpath:1.0",
        "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit"
        "&also-supported=report-all,report-all-tagged,trim",
        f"{SU}?module=sunc-smart-upgrade&revision=2026-12-06&features=ap-upgrade",
        f"{SSLP}?module=sunc-ssl-policy&revision=2026-11-27",
        "urn:ietf:params:xml:ns:yang:ietf-inet-types?module=ietf-inet-types&revision=2013-07-15",
        "urn:ietf:params:xml:ns:yang:ietf-yang-types?module=ietf-yang-types&revision=2013-07-15",
    } <= capabilities


async def test_get_and_get_config_with_filters_and_defaults_pass_yanglint(
    harness: SwitchRig,
) -> None:
    m = await harness.session()
    await call(m.edit_config, target="running", config=ENABLE)
    got = await call(m.get, with_defaults="report-all")
    assert yanglint_validate_reply(got.xml, "get", features=["sunc-smart-upgrade:ap-upgrade"]).valid
    assert data_of(got).findtext("su:smart-upgrade/su:local-information/su:esn", namespaces=NS) == (
        IDENTITY.esn
    )
    config = await call(m.get_config, source="running", with_defaults="report-all")
    assert yanglint_validate_reply(
        config.xml, "get-config", features=["sunc-smart-upgrade:ap-upgrade"]
    ).valid
    assert data_of(config).find("su:smart-upgrade/su:local-information", NS) is None

    subtree = f'<smart-upgrade xmlns="{SU}"><https-port/></smart-upgrade>'
    filtered = data_of(await call(m.get, filter=("subtree", subtree), with_defaults="report-all"))
    assert [e.text for e in filtered.iter(f"{{{SU}}}https-port")] == ["443"]
    assert len(filtered[0]) == 1
    xpath = await call(m.get_config, source="running", filter=("xpath", "/sslp:ssl-policies"))
    assert [e.text for e in data_of(xpath).iter(f"{{{SSLP}}}name")] == ["houp"]

    explicit = data_of(await call(m.get_config, source="running"))
    assert explicit.find("su:smart-upgrade/su:url", NS) is None
    tagged = data_of(await call(m.get_config, source="running", with_defaults="report-all-tagged"))
    url = tagged.find("su:smart-upgrade/su:url", NS)
    assert url is not None and url.get(f"{{{WD}}}default") == "true"
    await call(m.edit_config, target="running", config=su_config("<https-port>443</https-port>"))
    trimmed = data_of(await call(m.get_config, source="running", with_defaults="trim"))
    assert trimmed.find("su:smart-upgrade/su:https-port", NS) is None
    assert harness.running()[SMART]["https-port"] == 443
    await call(m.close_session)


async def test_edit_config_operations(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="running", config=ENABLE)
    schedule = "<schedule><download-at>2030-01-01 00:00:00</download-at></schedule>"
    await call(m.edit_config, target="running", config=su_config(schedule))
    error = await rpc_error(
        m.edit_config,
        target="running",
        config=su_config(schedule.replace("<schedule>", '<schedule nc:operation="create">')),
    )
    assert error.tag == "data-exists"
    replace = (
        '<schedule nc:operation="replace"><download-at>2031-01-01 00:00:00</download-at></schedule>'
    )
    await call(m.edit_config, target="running", config=su_config(replace))
    assert harness.running()[SMART]["schedule"] == {"download-at": "2031-01-01 00:00:00"}
    await call(
        m.edit_config, target="running", config=su_config('<schedule nc:operation="delete"/>')
    )
    error = await rpc_error(
        m.edit_config, target="running", config=su_config('<schedule nc:operation="delete"/>')
    )
    assert error.tag == "data-missing"
    await call(
        m.edit_config, target="running", config=su_config('<schedule nc:operation="remove"/>')
    )
    await call(
        m.edit_config,
        target="running",
        config=su_config("<web-prompt>false</web-prompt>"),
        default_operation="none",
    )
    assert "web-prompt" not in harness.running()[SMART]
    await call(m.edit_config, target="running", config=ENABLE, default_operation="replace")
    assert harness.running()[SMART] == {"ssl-policy": "houp", "enabled": True}
    await call(m.close_session)


async def test_test_options_and_error_options(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(
        m.edit_config,
        target="running",
        config=su_config("<https-port>8443</https-port>"),
        test_option="test-only",
    )
    assert harness.running() == {}
    await call(
        m.edit_config,
        target="candidate",
        config=su_config("<enabled>true</enabled>"),
        test_option="set",
    )
    assert harness.switch.datastores.candidate_modified
    await call(m.discard_changes)
    error = await rpc_error(
        m.edit_config,
        target="running",
        config=su_config("<https-port>0</https-port><web-prompt>false</web-prompt>"),
        error_option="rollback-on-error",
    )
    assert error.tag == "invalid-value"
    assert harness.running() == {}

    body = su_config(
        '<url nc:operation="delete"/><https-port>8443</https-port><ap nc:operation="delete"/>'
    )
    error = await rpc_error(
        m.dispatch,
        etree.fromstring(
            f'<edit-config xmlns="{NC}"><target><running/></target>'
            f"<error-option>continue-on-error</error-option>{body}</edit-config>"
        ),
    )
    assert [e.tag for e in error.errors] == ["data-missing", "data-missing"]
    assert harness.running() == {SMART: {"https-port": 8443}}
    await call(m.close_session)


async def test_an_invalid_edit_leaves_the_datastore_unchanged(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="running", config=ENABLE)
    before = harness.running()
    error = await rpc_error(
        m.edit_config,
        target="running",
        config=f'<config><ssl-policies xmlns="{SSLP}"><ssl-policy xmlns:nc="{NC}" '
        'nc:operation="delete"><name>houp</name></ssl-policy></ssl-policies></config>',
    )
    assert (error.tag, error.app_tag) == ("data-missing", "instance-required")
    assert harness.running() == before
    await call(m.close_session)


async def test_ansible_style_config_without_namespace(harness: SwitchRig) -> None:
    m = await harness.session()
    rpc = (
        f'<edit-config xmlns="{NC}"><target><running/></target>'
        '<config xmlns=""><smart-upgrade><https-port>9443</https-port></smart-upgrade></config>'
        "</edit-config>"
    )
    assert (await call(m.dispatch, etree.fromstring(rpc))).ok
    assert harness.running() == {SMART: {"https-port": 9443}}
    url = f'<edit-config xmlns="{NC}"><target><running/></target><url>file:///x</url></edit-config>'
    error = await rpc_error(m.dispatch, etree.fromstring(url))
    assert error.tag == "operation-not-supported"
    await call(m.close_session)


async def test_copy_config_delete_config_and_startup(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="running", config=ENABLE)
    await call(m.copy_config, source="running", target="startup")
    assert load_config(harness.data_dir / STARTUP_FILE) == harness.switch.datastores.raw(
        DatastoreName.RUNNING
    )
    inline = (
        f'<copy-config xmlns="{NC}"><target><candidate/></target><source>'
        + su_config("<https-port>1</https-port>")
        + "</source></copy-config>"
    )
    assert (await call(m.dispatch, etree.fromstring(inline))).ok
    assert harness.switch.datastores.raw(DatastoreName.CANDIDATE) == {SMART: {"https-port": 1}}
    with_defaults = (
        f'<copy-config xmlns="{NC}"><target><candidate/></target><source><running/></source>'
        f'<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">'
        "report-all</with-defaults></copy-config>"
    )
    assert (await call(m.dispatch, etree.fromstring(with_defaults))).ok
    assert harness.switch.datastores.raw(DatastoreName.CANDIDATE)[SMART]["https-port"] == 443
    await call(m.delete_config, target="startup")
    assert load_config(harness.data_dir / STARTUP_FILE) == {}
    error = await rpc_error(m.delete_config, target="running")
    assert error.tag == "operation-not-supported"
    await call(m.close_session)


async def test_lock_denied_from_another_session_and_released_on_disconnect(
    harness: SwitchRig,
) -> None:
    first, second = await harness.session(), await harness.session()
    await call(first.lock, target="running")
    error = await rpc_error(second.lock, target="running")
    assert error.tag == "lock-denied"
    assert etree.fromstring(error.info.encode()).findtext("nc:session-id", namespaces=NS) == (
        first.session_id
    )
    error = await rpc_error(
        second.edit_config, target="running", config=su_config("<https-port>1</https-port>")
    )
    assert error.tag == "in-use"
    await call(first.unlock, target="running")
    await call(second.lock, target="running")
    await call(second.close_session)
    assert harness.switch.datastores.locked_by(DatastoreName.RUNNING) is None

    third = await harness.session()
    await call(third.edit_config, target="candidate", config=ENABLE)
    error = await rpc_error(first.lock, target="candidate")
    assert error.tag == "lock-denied"
    assert etree.fromstring(error.info.encode()).findtext("nc:session-id", namespaces=NS) == (
        third.session_id
    )
    await call(first.close_session)
    await call(third.close_session)


async def test_validate_commit_and_discard(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="candidate", config=ENABLE)
    await call(m.validate, source="candidate")
    inline = (
        f'<validate xmlns="{NC}"><source>{su_config("<enabled>true</enabled>")}</source></validate>'
    )
    error = await rpc_error(m.dispatch, etree.fromstring(inline))
    assert (error.tag, error.app_tag) == ("operation-failed", "ssl-policy-not-bound")
    assert harness.running() == {}
    await call(m.commit)
    assert harness.running()[SMART] == {"ssl-policy": "houp", "enabled": True}
    await call(m.edit_config, target="candidate", config=su_config("<https-port>2</https-port>"))
    await call(m.discard_changes)
    config = data_of(await call(m.get_config, source="candidate"))
    assert config.find("su:smart-upgrade/su:https-port", NS) is None
    await call(m.close_session)


async def test_confirmed_commit_rolls_back_on_timeout(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="candidate", config=ENABLE)
    await call(m.commit, confirmed=True, timeout="5")
    assert harness.running()[SMART]["enabled"] is True
    assert harness.scheduler.timers[-1].delay == 5
    harness.scheduler.fire()
    assert harness.running() == {}
    assert data_of(await call(m.get_config, source="running")).find("su:smart-upgrade", NS) is None
    await call(m.close_session)


async def test_confirmed_commit_rolls_back_when_its_session_drops(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="candidate", config=ENABLE)
    await call(m.commit, confirmed=True)
    # no close-session: the client just goes away
    await call(m._session.close)
    await until(lambda: not harness.switch.datastores.confirmed_commit_pending)
    assert harness.running() == {}


async def test_persisted_confirmed_commit_survives_its_session(harness: SwitchRig) -> None:
    m = await harness.session()
    await call(m.edit_config, target="candidate", config=ENABLE)
    await call(m.commit, confirmed=True, persist="token-1")
    await call(m.close_session)
    other = await harness.session()
    assert harness.switch.datastores.confirmed_commit_pending
    error = await rpc_error(other.cancel_commit, persist_id="wrong")
    assert error.tag == "invalid-value"
    await call(other.commit, persist_id="token-1")
    harness.scheduler.fire()
    assert harness.running()[SMART]["enabled"] is True
    await call(
        other.edit_config, target="candidate", config=su_config("<https-port>7</https-port>")
    )
    await call(other.commit, confirmed=True, persist="token-2")
    await call(other.cancel_commit, persist_id="token-2")
    assert "https-port" not in harness.running()[SMART]
    await call(other.close_session)


def test_kill_9_during_writes_leaves_a_loadable_startup(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    with running_sim(data_dir, MODEL) as sim:
        m = sim.server.ncclient()
        written: list[dict[str, Any]] = [{}]
        for port in range(1, 30):
            m.edit_config(target="running", config=su_config(f"<https-port>{port}</https-port>"))
            m.copy_config(source="running", target="startup")
            written.append({SMART: {"https-port": port}})
        # one more write in flight when the process dies
        m.edit_config(target="running", config=su_config("<https-port>30</https-port>"))
        copy_rpc = etree.fromstring(
            f'<copy-config xmlns="{NC}"><target><startup/></target><source><running/></source>'
            "</copy-config>"
        )
        m.async_mode = True
        m.dispatch(copy_rpc)
        os.kill(sim.pid, signal.SIGKILL)
        written.append({SMART: {"https-port": 30}})
    loaded = load_config(data_dir / STARTUP_FILE)
    assert loaded is not None
    # the factory configuration (the sim's SSL policy) is in every write
    assert {SMART: loaded[SMART]} in written[-2:]
    validated(Schema(data_model(ap_upgrade=True)), loaded)
    assert json.loads((data_dir / STARTUP_FILE).read_text()) == loaded
