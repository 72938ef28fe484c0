"""Smart upgrade end to end over NETCONF: plain ncclient (and the SDK) over real SSH, the switch
emulator behind the datastores, real HTTPS to the HOUP, time on a simulated clock.

The switch and the HOUP run in-process on 127.0.0.1, port 0; ncclient blocks, so each call runs
in a thread while the servers serve on the test's event loop. The switch reaches the HOUP the
way smartupgrade-sim wires it: the default URL through its host table, 443 forwarded to the
HOUP's port, the CA in a factory SSL policy.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import SSHError
from ncclient.xml_ import to_ele
from yangson.enumerations import ContentType

from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.errors import InUse, InvalidValue, OperationFailed
from smartupgrade_model.convert import SMART_UPGRADE, ssl_policy_config
from smartupgrade_model.model import (
    NAMESPACE,
    CancellationStatus,
    CheckResult,
    SmartUpgrade,
    Triggered,
    UpgradeStatus,
)
from smartupgrade_model.model import UpgradeStatus as ClientStatus
from smartupgrade_server.datastore.store import DatastoreName
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import DeviceEvent, Rebooting
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.sim.command import any_free_ports, quick_start_snippet
from smartupgrade_server.sim.emulated_switch import EmulatedSwitch
from tests.credentials import copy_credentials
from tests.interop.clients import yanglint_validate_reply
from tests.support.waiting import until

T = TypeVar("T")
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NS = {"nc": NC, "su": NAMESPACE}
AP_FEATURES = ["sunc-smart-upgrade:ap-upgrade"]
REPO = Path(__file__).resolve().parents[2]

# Small files keep the suite fast: what matters is that real bytes cross HTTPS.
CATALOGUE = """
unsupported_models: ["S5731-L*"]
families:
  - family: S5732-H
    upgrades:
      - from: {software: ["V200R019*", "V200R020*"]}
        to:
          software: V200R024C00
          patch: V200R020SPH001
          description_en: "1)description:2)CC+SPH"
          software_package: {name: "{family}-V200R024C00.cc", size: 300000}
          patch_package: {name: "{family}-V200R020SPH001.pat", size: 14910}
  - family: S5735-L
    upgrades:
      - from: {software: "V200R020*"}
        to:
          software: V200R024C00
          software_package: {name: "{family}-V200R024C00.cc", size: 200000}
"""
SOFTWARE_SIZE = 300000
START = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone(timedelta(hours=8)))
REBOOT = timedelta(minutes=5)
POLICY = "houp"
ENABLE = "<ssl-policy>houp</ssl-policy><enabled>true</enabled>"


def su_config(body: str) -> str:
    smart_upgrade = f'<smart-upgrade xmlns="{NAMESPACE}">{body}</smart-upgrade>'
    return f'<config xmlns:nc="{NC}">{smart_upgrade}</config>'


def rpc(name: str, body: str = "") -> etree._Element:
    element: etree._Element = to_ele(f'<{name} xmlns="{NAMESPACE}">{body}</{name}>')
    return element


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


async def rpc_error(function: Callable[..., object], *args: Any, **kwargs: Any) -> RPCError:
    with pytest.raises(RPCError) as caught:
        await call(function, *args, **kwargs)
    return caught.value


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


@pytest.fixture(scope="session")
def houp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared so keys, certificates and signatures are made once."""
    return tmp_path_factory.mktemp("upgrade-houp")


@pytest.fixture
async def houp(houp_dir: Path) -> AsyncIterator[HoupServer]:
    server = await HoupServer.start(houp_dir, catalogue=Catalogue.parse(CATALOGUE))
    try:
        yield server
    finally:
        await server.close()


@dataclass
class Rig:
    houp: HoupServer
    clock: SimulatedClock
    switch: EmulatedSwitch
    events: list[DeviceEvent] = field(default_factory=list)

    def connect(self) -> manager.Manager:
        return manager.connect(
            host="127.0.0.1",
            port=self.switch.port,
            username="admin",
            password="admin",
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
        )

    async def session(self) -> manager.Manager:
        return await call(self.connect)

    def sdk(self) -> SmartUpgradeClient:
        return SmartUpgradeClient.connect(
            "127.0.0.1", self.switch.port, username="admin", password="admin", hostkey_verify=False
        )

    def running(self) -> dict[str, Any]:
        return self.switch.datastores.raw(DatastoreName.RUNNING)

    def status(self) -> UpgradeStatus | None:
        return self.switch.device.state().upgrade_information.upgrade_status

    async def settled(self) -> None:
        """Until the operation started last has ended."""
        await until(lambda: self.status() is not UpgradeStatus.RUNNING)

    def check_state(self, reply: Any) -> None:
        """The operational state against the module: yangson in-process, yanglint as oracle."""
        raw = self.switch.datastores.operational().raw_value()
        validated(self.switch.datastores.schema, raw, ContentType.all)
        features = AP_FEATURES if self.switch.device.identity.model == "S5732-H" else []
        result = yanglint_validate_reply(reply.xml, "get", features=features)
        assert result.valid, result.output


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig(houp: HoupServer, host_keys: Path, tmp_path: Path) -> AsyncIterator[RigFactory]:
    rigs: list[Rig] = []

    async def make(model: str = "S5732-H", ap: str | None = "AirEngine 8760-X1-PRO") -> Rig:
        data_dir = tmp_path / f"switch-{len(rigs)}"
        data_dir.mkdir(mode=0o700)
        copy_credentials(host_keys, data_dir)
        clock = SimulatedClock(START)
        default = SmartUpgrade()
        switch = await EmulatedSwitch.start(
            data_dir,
            identity=Identity(
                model,
                f"{model}24UM2CC",
                "2102351XFR10P2000123",
                ap,
                None if ap is None else "2102353VUR10N2000123",
            ),
            factory=FactoryState("V200R020C00", "V200R020SPH", "V200R019C10" if ap else None),
            houp_public_key=houp.signing_public_key,
            clock=clock,
            factory_config=ssl_policy_config(POLICY, (houp.ca_cert_pem,)),
            flash_capacity=16 * 1024 * 1024,
            hosts={default.url: "127.0.0.1"},
            port_forwards={default.https_port: houp.port},
            network_timeout=2.0,
            reboot_duration=REBOOT,
        )
        rig = Rig(houp, clock, switch)
        switch.device.subscribe(rig.events.append)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        await rig.switch.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    return await make_rig()


async def test_full_upgrade_from_need_update_to_the_new_running_version(rig: Rig) -> None:
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


async def test_download_through_the_sdk_shows_progress_then_success(rig: Rig) -> None:
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
    assert rig.houp.stats.bytes_sent["S5732-H-V200R024C00.cc"] == SOFTWARE_SIZE
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
async def test_configuration_vetoes(rig: Rig, body: str, tag: str, app_tag: str, path: str) -> None:
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


async def test_a_running_upgrade_freezes_its_configuration_and_cancel_stops_it(rig: Rig) -> None:
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


async def test_sdk_raises_typed_errors_for_vetoes_and_refusals(rig: Rig) -> None:
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


async def test_bad_rpc_input(rig: Rig) -> None:
    m = await rig.session()
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    error = await rpc_error(m.dispatch, rpc("download", "<target>router</target>"))
    assert error.tag == "bad-element"
    error = await rpc_error(m.dispatch, rpc("download", "<speed>1</speed>"))
    assert error.tag == "unknown-element"
    await call(m.close_session)


async def test_schedule_runs_on_the_simulated_clock(rig: Rig) -> None:
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


async def test_download_cancels_the_schedule_and_deletes_it_from_running(rig: Rig) -> None:
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


async def test_disabling_cancels_the_schedule(rig: Rig) -> None:
    m = await rig.session()
    schedule = "<schedule><download-at>2026-11-27 10:00:00</download-at></schedule>"
    await call(m.edit_config, target="running", config=su_config(ENABLE + schedule))
    await call(m.edit_config, target="running", config=su_config("<enabled>false</enabled>"))
    await until(lambda: "schedule" not in rig.running()[SMART_UPGRADE])
    assert rig.clock.pending() == []
    await call(m.close_session)


async def test_a_trusted_ca_change_reaches_the_switch(rig: Rig) -> None:
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


async def test_expired_certificate_injected_over_the_admin_endpoint(rig: Rig) -> None:
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
def sim(tmp_path: Path, host_keys: Path) -> Iterator[tuple[subprocess.Popen[str], str, int]]:
    data_dir = tmp_path / "sim"
    data_dir.mkdir(mode=0o700)
    copy_credentials(host_keys, data_dir)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "smartupgrade_server", "--data-dir", str(data_dir)),
            *any_free_ports(),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        yield process, "".join(lines), process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_smartupgrade_sim_prints_its_ports_and_its_quick_start_works(
    sim: tuple[subprocess.Popen[str], str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    process, printed, pid = sim
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
