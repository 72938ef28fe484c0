"""Smart upgrade end to end over NETCONF: plain ncclient (and the SDK) over real SSH, the switch
emulator behind the datastores, real HTTPS to the HOUP, time on a simulated clock.

The switch and the HOUP run in-process on 127.0.0.1, port 0; ncclient blocks, so each call runs
in a thread while the servers serve on the test's event loop. The switch reaches the HOUP the
way smartupgrade-sim wires it: the default URL through its host table, 443 forwarded to the
HOUP's port, the CA in a factory SSL policy.
"""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lxml import etree
from ncclient.transport.errors import SSHError
from ncclient.xml_ import to_ele

from smartupgrade_client.errors import InUse, InvalidValue, OperationFailed
from smartupgrade_model.convert import SMART_UPGRADE
from smartupgrade_model.model import (
    NAMESPACE,
    CancellationStatus,
    CheckResult,
    Triggered,
    UpgradeStatus,
)
from smartupgrade_model.model import UpgradeStatus as ClientStatus
from smartupgrade_server.device.events import Rebooting
from smartupgrade_server.sim.command import quick_start_snippet
from tests.support.blocking import call, rpc_error
from tests.support.defaults import AP_DEVICE, MODEL, POLICY, REBOOT, START, identity
from tests.support.houp import SOFTWARE, SOFTWARE_SIZE
from tests.support.sim import Sim, running_sim
from tests.support.switch import Switches, SwitchRig
from tests.support.users import Credentials
from tests.support.waiting import until

T = TypeVar("T")
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NS = {"nc": NC, "su": NAMESPACE}
REPO = Path(__file__).resolve().parents[2]
ENABLE = f"<ssl-policy>{POLICY}</ssl-policy><enabled>true</enabled>"


def su_config(body: str) -> str:
    smart_upgrade = f'<smart-upgrade xmlns="{NAMESPACE}">{body}</smart-upgrade>'
    return f'<config xmlns:nc="{NC}">{smart_upgrade}</config>'


def rpc(name: str, body: str = "") -> etree._Element:
    element: etree._Element = to_ele(f'<{name} xmlns="{NAMESPACE}">{body}</{name}>')
    return element


def output(reply: Any) -> dict[str, str]:
    """The leaves of an RPC reply in the module's namespace."""
    root = etree.fromstring(reply.xml.encode())
    return {
        etree.QName(child).localname: child.text or ""
        for child in root
        if etree.QName(child).namespace == NAMESPACE
    }


def leaf(reply: Any, path: str) -> str | None:
    """``path`` below /smart-upgrade in a get reply, e.g. 'su:upgrade-information/su:x'."""
    found = reply.data_ele.find(f"su:smart-upgrade/{path}", NS)
    return None if found is None else str(found.text or "")


RigFactory = Callable[..., Awaitable[SwitchRig]]


@pytest.fixture
def make_rig(switches: Switches) -> RigFactory:
    """A switch of ``model`` managing the AP ``ap``."""

    async def make(model: str = MODEL, ap: str | None = AP_DEVICE) -> SwitchRig:
        return await switches.start(identity=identity(model, ap=ap))

    return make


@pytest.fixture
async def rig(make_rig: RigFactory) -> SwitchRig:
    return await make_rig()


async def test_full_upgrade_from_need_update_to_the_new_running_version(rig: SwitchRig) -> None:
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))

    checked = output(await call(m.dispatch, rpc("refresh")))
    assert checked["check-result"] == CheckResult.NEED_UPDATE.value
    assert checked["recommended-software-version"] == "V200R024C00"
    assert datetime.fromisoformat(checked["refresh-time"]) == START
    got = await call(m.get)
    assert leaf(got, "su:version-information/su:check-result") == CheckResult.NEED_UPDATE.value
    rig.check_state(got)

    started = output(await call(m.dispatch, rpc("right-now")))
    assert started["upgrade-status"] == UpgradeStatus.RUNNING.value
    # the download runs over real HTTPS; then the switch reboots and drops the session
    await until(lambda: any(isinstance(e, Rebooting) for e in rig.events))
    await until(lambda: not m.connected)
    with pytest.raises(SSHError):
        await rig.session()  # nothing listens while the switch is down

    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    m = await rig.session()
    got = await call(m.get)
    assert leaf(got, "su:local-information/su:software-version") == "V200R024C00"
    assert leaf(got, "su:local-information/su:patch-version") == "V200R020SPH001"
    assert leaf(got, "su:upgrade-information/su:upgrade-status") == UpgradeStatus.SUCCESS.value
    assert leaf(got, "su:upgrade-information/su:last-upgrade-result") == "success"
    assert leaf(got, "su:upgrade-information/su:last-upgrade-time") == (START + REBOOT).isoformat()
    assert started["operation-id"] == "1"
    rig.check_state(got)
    # running outlives the switch's reboot
    assert leaf(await call(m.get_config, source="running"), "su:enabled") == "true"
    await call(m.close_session)


async def test_download_through_the_sdk_shows_progress_then_success(rig: SwitchRig) -> None:
    def run() -> Any:
        with rig.sdk() as client:
            client.set_ssl_policy(POLICY)
            client.enable()
            started = client.download()
            assert started.upgrade_status is ClientStatus.RUNNING
            seen: list[int] = []
            final = client.wait(progress=lambda p: seen.append(p.percent), poll_interval=0.01)
            return started, final, seen, client.read()

    started, final, seen, state = await call(run)
    assert final.upgrade_status is ClientStatus.SUCCESS
    assert (final.software_download_progress, final.patch_download_progress) == (100, 100)
    assert seen and seen[-1] == 100
    assert state.local_information.software_version == "V200R020C00"  # not rebooted
    assert started.operation_id == 1
    assert rig.houp.stats.bytes_sent[SOFTWARE] == SOFTWARE_SIZE
    m = await rig.session()
    rig.check_state(await call(m.get))
    await call(m.close_session)


@pytest.mark.parametrize(
    ("body", "tag", "app_tag", "path"),
    [
        pytest.param(
            "<enabled>true</enabled>",
            "operation-failed",  # RFC 7950 §15.4: a must is operation-failed + its app-tag
            "ssl-policy-not-bound",
            "/su:smart-upgrade/su:enabled",
            id="enable-without-policy-yang-must",
        ),
        pytest.param(
            f"{ENABLE}<schedule><download-at>2026-11-27 08:59:59</download-at></schedule>",
            "invalid-value",
            "download-time-not-in-future",
            "/su:smart-upgrade/su:schedule/su:download-at",
            id="schedule-in-the-past-device",
        ),
        pytest.param(
            "<ssl-policy>nope</ssl-policy>",
            "data-missing",
            "instance-required",
            "/su:smart-upgrade/su:ssl-policy",
            id="policy-that-does-not-exist-yang-leafref",
        ),
        pytest.param(
            "<ap><enabled>true</enabled></ap>",
            "operation-failed",
            "smart-upgrade-not-enabled",
            "/su:smart-upgrade/su:ap/su:enabled",
            id="ap-without-enable-yang-must",
        ),
        pytest.param(
            f"{ENABLE}<schedule><download-at>2026-11-27 12:00:00</download-at>"
            "<reboot-at>2026-11-27 11:00:00</reboot-at></schedule>",
            "operation-failed",
            "reboot-not-after-download",
            "/su:smart-upgrade/su:schedule",
            id="reboot-before-download-yang-must",
        ),
    ],
)
async def test_configuration_vetoes(
    rig: SwitchRig, body: str, tag: str, app_tag: str, path: str
) -> None:
    m = await rig.session()
    error = await rpc_error(m.edit_config, target="running", config=su_config(body))
    assert (error.tag, error.app_tag, error.path, error.type) == (tag, app_tag, path, "application")
    assert SMART_UPGRADE not in rig.running()
    await call(m.close_session)


async def test_ap_enable_on_a_model_without_ap_upgrade_is_an_unknown_element(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig("S5735-L", ap=None)
    m = await rig.session()
    error = await rpc_error(
        m.edit_config,
        target="running",
        config=su_config(f"{ENABLE}<ap><enabled>true</enabled></ap>"),
    )
    assert error.tag == "unknown-element"
    await call(m.close_session)


async def test_a_running_upgrade_freezes_its_configuration_and_cancel_stops_it(
    rig: SwitchRig,
) -> None:
    rig.houp.settings.bandwidth_limit = 20000  # 15 s for the software: still running below
    m = await rig.session()
    error = await rpc_error(m.dispatch, rpc("refresh"))
    assert (error.tag, error.app_tag) == ("operation-failed", "smart-upgrade-not-enabled")
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    assert output(await call(m.dispatch, rpc("download")))["upgrade-status"] == "running"

    error = await rpc_error(
        m.edit_config, target="running", config=su_config("<url>10.1.1.1</url>")
    )
    assert (error.tag, error.app_tag, error.path) == (
        "in-use",
        "upgrade-in-progress",
        "/su:smart-upgrade/su:url",
    )
    error = await rpc_error(m.dispatch, rpc("right-now"))
    assert (error.tag, error.app_tag) == ("in-use", "upgrade-in-progress")
    # the web prompt does not concern the upgrade
    await call(m.edit_config, target="running", config=su_config("<web-prompt>false</web-prompt>"))

    cancelled = output(await call(m.dispatch, rpc("cancel")))
    assert cancelled == {"cancellation-status": CancellationStatus.CANCELLING.value}
    await rig.settled()
    got = await call(m.get)
    assert leaf(got, "su:upgrade-information/su:upgrade-status") == "upgrade-cancelled"
    assert leaf(got, "su:upgrade-information/su:cancellation-status") == "successful"
    error = await rpc_error(m.dispatch, rpc("cancel"))
    assert (error.tag, error.app_tag) == ("operation-failed", "no-upgrade-in-progress")
    await call(m.close_session)


async def test_sdk_raises_typed_errors_for_vetoes_and_refusals(rig: SwitchRig) -> None:
    def run() -> None:
        with rig.sdk() as client:
            with pytest.raises(InvalidValue) as veto:
                client.schedule("2026-11-27 08:00:00")
            assert veto.value.app_tag == "download-time-not-in-future"
            with pytest.raises(OperationFailed) as refused:
                client.download()
            assert refused.value.app_tag == "smart-upgrade-not-enabled"
            client.set_ssl_policy(POLICY)
            client.enable()
            rig.houp.settings.bandwidth_limit = 20000
            client.download()
            with pytest.raises(InUse):
                client.download()
            client.cancel()

    await call(run)
    await rig.settled()


async def test_bad_rpc_input(rig: SwitchRig) -> None:
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    error = await rpc_error(m.dispatch, rpc("download", "<target>router</target>"))
    assert error.tag == "bad-element"
    error = await rpc_error(m.dispatch, rpc("download", "<speed>1</speed>"))
    assert error.tag == "unknown-element"
    await call(m.close_session)


async def test_schedule_runs_on_the_simulated_clock(rig: SwitchRig) -> None:
    m = await rig.session()
    schedule = (
        "<schedule><download-at>2026-11-27 10:00:00</download-at>"
        "<reboot-at>2026-11-27 11:00:00</reboot-at></schedule>"
    )
    await call(m.edit_config, target="running", config=su_config(ENABLE + schedule))
    await rig.clock.advance(timedelta(hours=1))  # the download runs to its end in here
    got = await call(m.get)
    assert leaf(got, "su:schedule-information/su:download-triggered") == Triggered.YES.value
    assert leaf(got, "su:schedule-information/su:download-pre-check-result") == "succeeded"
    assert leaf(got, "su:upgrade-information/su:upgrade-status") == "success"
    rig.check_state(got)

    await rig.clock.advance(timedelta(hours=1))  # the reboot
    await until(lambda: not m.connected)
    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    m = await rig.session()
    got = await call(m.get)
    assert leaf(got, "su:local-information/su:software-version") == "V200R024C00"
    assert leaf(got, "su:schedule-information/su:reboot-triggered-result") == "succeeded"
    await call(m.close_session)


async def test_download_cancels_the_schedule_and_deletes_it_from_running(rig: SwitchRig) -> None:
    m = await rig.session()
    schedule = "<schedule><download-at>2026-11-27 10:00:00</download-at></schedule>"
    await call(m.edit_config, target="running", config=su_config(ENABLE + schedule))
    assert "schedule" in rig.running()[SMART_UPGRADE]
    await call(m.dispatch, rpc("download"))
    await until(lambda: "schedule" not in rig.running()[SMART_UPGRADE])
    assert rig.clock.pending() == [START + timedelta(hours=24)]  # only the periodic check
    await rig.settled()
    assert leaf(await call(m.get_config, source="running"), "su:schedule") is None
    await call(m.close_session)


async def test_disabling_cancels_the_schedule(rig: SwitchRig) -> None:
    m = await rig.session()
    schedule = "<schedule><download-at>2026-11-27 10:00:00</download-at></schedule>"
    await call(m.edit_config, target="running", config=su_config(ENABLE + schedule))
    await call(m.edit_config, target="running", config=su_config("<enabled>false</enabled>"))
    await until(lambda: "schedule" not in rig.running()[SMART_UPGRADE])
    assert rig.clock.pending() == []
    await call(m.close_session)


async def test_a_trusted_ca_change_reaches_the_switch(rig: SwitchRig) -> None:
    # the example's instance document has two top-level elements
    example = (REPO / "yang" / "examples" / "config-full.xml").read_text()
    other_ca = etree.fromstring(f"<config>{example}</config>").findtext(".//{*}trusted-ca")
    assert other_ca is not None
    policy = (
        '<ssl-policies xmlns="urn:smart-upgrade-netconf:yang:sunc-ssl-policy">'
        '<ssl-policy nc:operation="replace"><name>houp</name><trusted-ca>{}</trusted-ca>'
        "</ssl-policy></ssl-policies>"
    )
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    replaced = f'<config xmlns:nc="{NC}">{policy.format(other_ca)}</config>'
    await call(m.edit_config, target="running", config=replaced)
    checked = output(await call(m.dispatch, rpc("refresh")))
    assert checked["check-result"] == CheckResult.NET_ERROR.value
    restored = f'<config xmlns:nc="{NC}">{policy.format(rig.houp.ca_cert_pem)}</config>'
    await call(m.edit_config, target="running", config=restored)
    checked = output(await call(m.dispatch, rpc("refresh")))
    assert checked["check-result"] == CheckResult.NEED_UPDATE.value
    await call(m.close_session)


async def test_expired_certificate_injected_over_the_admin_endpoint(rig: SwitchRig) -> None:
    def put_fault() -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{rig.houp.admin_port}/faults",
            data=json.dumps({"expired_certificate": True}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    assert (await call(put_fault))["expired_certificate"] is True
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    await call(m.dispatch, rpc("download"))
    await rig.settled()
    got = await call(m.get)
    assert leaf(got, "su:upgrade-information/su:upgrade-status") == "cert-out-date"
    assert leaf(got, "su:version-information/su:check-result") == "net-error"
    rig.check_state(got)
    await call(m.close_session)


@pytest.fixture
def sim(tmp_path: Path, credentials: Credentials) -> Iterator[Sim]:
    with running_sim(credentials.data_dir(tmp_path / "sim"), MODEL) as running:
        yield running


def test_smartupgrade_sim_prints_its_ports_and_its_quick_start_works(
    sim: Sim, capsys: pytest.CaptureFixture[str]
) -> None:
    process, printed, pid = sim.process, sim.banner, sim.pid
    netconf = re.search(r"NETCONF over SSH on 127\.0\.0\.1:(\d+)", printed)
    houp = re.search(r"HOUP over HTTPS on 127\.0\.0\.1:(\d+)", printed)
    admin = re.search(r"http://127\.0\.0\.1:(\d+)/faults", printed)
    assert netconf and houp and admin, printed
    port = int(netconf.group(1))
    # the printed snippet, run as printed: bind the factory policy, enable, check the HOUP
    snippet = quick_start_snippet("127.0.0.1", port)
    assert "".join(f"    {line}\n" if line else "\n" for line in snippet.splitlines()) in printed
    exec(compile(snippet, "quick-start", "exec"), {})
    replies = capsys.readouterr().out
    assert f'<check-result xmlns="{NAMESPACE}">need-update</check-result>' in replies
    assert "<software-version>V200R020C00</software-version>" in replies
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert pid == process.pid


async def test_the_target_is_the_switch_s_choice_and_each_ap_refusal_is_exact(
    make_rig: RigFactory,
) -> None:
    rig = await make_rig()
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    error = await rpc_error(m.dispatch, rpc("download", "<target>ap</target>"))
    assert (error.tag, error.app_tag, error.message) == (
        "operation-failed",
        "ap-upgrade-not-enabled",
        "Smart AP upgrade is not enabled.",
    )
    # with smart upgrade for APs, a request without a target is the AP's, and says so
    await call(
        m.edit_config, target="running", config=su_config("<ap><enabled>true</enabled></ap>")
    )
    started = output(await call(m.dispatch, rpc("right-now")))
    assert (started["target"], started["upgrade-status"]) == ("ap", "running")
    checked = output(await call(m.dispatch, rpc("refresh")))
    assert checked["target"] == "ap"
    await call(m.close_session)

    lone = await make_rig(ap=None)
    m = await lone.session()
    await call(
        m.edit_config,
        target="running",
        config=su_config(f"{ENABLE}<ap><enabled>true</enabled></ap>"),
    )
    error = await rpc_error(m.dispatch, rpc("download"))
    assert (error.tag, error.app_tag, error.message) == (
        "operation-failed",
        "no-ap",
        "The switch manages no AP.",
    )
    await call(m.close_session)
