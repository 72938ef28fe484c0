"""The web system over real HTTPS: login and its cookie, CSRF, the switch's refusals and NACM's,
one datastore with NETCONF and the command line, the web actions as the switch's own operations
(state, notifications, a cancelled schedule), the reboot of upgrade now, and the certificate."""

from __future__ import annotations

import asyncio
import re
import ssl
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import aiohttp
import pytest
from lxml import etree

from smartupgrade_client import parsers, push
from smartupgrade_client.aio import AsyncSmartUpgradeClient
from smartupgrade_client.push import PushMirror
from smartupgrade_client.results import Progress
from smartupgrade_model.model import (
    NAMESPACE,
    ScheduleStep,
    UpgradeInformation,
    UpgradeStatus,
    UpgradeTarget,
)
from smartupgrade_server.datastore.authorize import SYSTEM_SESSION
from smartupgrade_server.datastore.diff import ChangeKind
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.events import DeviceEvent, Line
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.messages import AP_REBOOTING
from smartupgrade_server.transport.logins import LoginGuard, LoginService
from smartupgrade_server.transport.ssh import DefaultCredentialsError
from smartupgrade_server.transport.users import UserDatabase
from smartupgrade_server.web.certificate import CERT_FILE
from smartupgrade_server.web.pages import DOWNLOAD_PATH, RIGHT_NOW_PATH
from smartupgrade_server.web.server import WebServer
from tests.integration.web.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    OPERATOR,
    OPERATOR_PASSWORD,
    RigFactory,
    enable,
)
from tests.interop.clients import yanglint_validate_notification
from tests.support.defaults import AP_DEVICE, FACTORY, IDENTITY, MODEL, REBOOT, START, identity
from tests.support.hash_work import record_scrypt
from tests.support.houp import NEW_SOFTWARE
from tests.support.sim import first_line, running_sim
from tests.support.switch import Switches, SwitchRig
from tests.support.vrp import open_session
from tests.support.waiting import until
from tests.support.web import HTML, JSON
from tests.unit.datastore.test_authorize_step import Authorizer

NACM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NOT_ENABLED = "Error: Smart upgrade is not enabled."
WEB_ADDRESS = re.compile(r"Web system over HTTPS on (https://\S+/) .*certificate: (\S+)\)")


async def test_login_sets_a_secure_session_cookie_and_logout_ends_it(rig: SwitchRig) -> None:
    client = rig.web_client()
    status, _ = await client.page("/")
    assert status == 303  # to the login page
    response = await client.login(ADMIN, ADMIN_PASSWORD)
    assert (response.status, response.headers["Location"]) == (303, "/")
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie"):
        cookies.load(header)
    session = cookies["__Host-session"]
    assert session["secure"] and session["httponly"]
    assert (session["samesite"], session["path"]) == ("Strict", "/")

    status, html = await client.page("/")
    assert status == 200
    for value in (IDENTITY.model, IDENTITY.device_name, IDENTITY.esn, FACTORY.software):
        assert f"<td>{value}</td>" in html
    page = await client.http.get("/", headers=HTML)
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"

    token = await client.csrf()
    response = await client.http.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/login")
    assert (await client.page("/"))[0] == 303
    assert (await client.http.get("/api/state", headers=JSON)).status == 401
    # what is not a page is told, not sent to the login form
    assert (await client.http.get("/favicon.ico", allow_redirects=False)).status == 401


async def test_wrong_passwords_and_unknown_users_are_refused_alike(
    rig: SwitchRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = rig.web_client()
    hashes = record_scrypt(monkeypatch)
    for username, password in ((ADMIN, "wrong"), ("nobody", ADMIN_PASSWORD)):
        response = await client.login(username, password)
        assert response.status == 401
        assert "Error: The user name or password is incorrect." in await response.text()
    assert len(rig.web.sessions) == 0
    # the same work for both: nothing in the time of the answer tells which names exist
    assert len(hashes) == 2 and hashes[0] == hashes[1]
    counters = rig.web.logins.counters
    assert counters.failed_passwords == {LoginService.WEB: 2}
    # the owner is slowed by the failures from this address, not locked out
    assert (await client.login(ADMIN, ADMIN_PASSWORD)).status == 303


async def test_a_form_without_its_token_is_refused(rig: SwitchRig) -> None:
    await enable(rig)
    stranger = rig.web_client()
    # a login form posted from elsewhere has no token matching the browser's login cookie
    response = await stranger.http.post(
        "/login", data={"username": ADMIN, "password": ADMIN_PASSWORD, "csrf": "forged"}
    )
    assert response.status == 403
    assert len(rig.web.sessions) == 0

    client, other = rig.web_client(), rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    await other.login(ADMIN, ADMIN_PASSWORD)
    for token in ("", "forged", await other.csrf()):
        status, answer = await client.act(DOWNLOAD_PATH, csrf=token)
        assert (status, answer["message"]) == (403, "Error: The form has expired. Reload the page.")
    # without the page script: the token is a form field
    response = await client.http.post(DOWNLOAD_PATH, data={}, allow_redirects=False)
    assert response.status == 403
    assert rig.status() is None  # nothing started
    response = await client.http.post(
        DOWNLOAD_PATH, data={"csrf": await client.csrf()}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (303, "/smart-upgrade")


async def test_a_refusal_of_the_switch_shows_its_error_text(rig: SwitchRig) -> None:
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    for path in (DOWNLOAD_PATH, RIGHT_NOW_PATH):
        status, answer = await client.act(path)
        assert (status, answer["message"]) == (409, NOT_ENABLED)

    await enable(rig)
    status, answer = await client.act(DOWNLOAD_PATH)
    assert status == 200
    status, answer = await client.act(DOWNLOAD_PATH)
    assert (status, answer["message"]) == (409, "Error: An upgrade is already in progress.")
    await until(lambda: rig.status() is not UpgradeStatus.RUNNING)


async def test_a_level_2_user_may_not_start_an_upgrade_nor_read_smart_upgrade(
    rig: SwitchRig,
) -> None:
    await enable(rig)
    client = await rig.async_sdk()
    await client.refresh()  # a new version: level 3 would be prompted
    await client.close()
    operator = rig.web_client()
    assert (await operator.login(OPERATOR, OPERATOR_PASSWORD)).status == 303
    status, html = await operator.page("/")
    assert status == 200 and f"<td>{IDENTITY.esn}</td>" in html
    assert DOWNLOAD_PATH not in html and 'data-kind="new-version"' not in html
    state = await operator.state()
    assert (state["prompt"], state["progress"]) == (None, None)
    assert state["fragments"]["information"] == ""

    status, html = await operator.page("/smart-upgrade")
    assert status == 403
    assert "Error: User operator may not read smart upgrade information." in html
    denied_before = rig.switch.access.denied_operations
    for path, rpc in ((DOWNLOAD_PATH, "download"), (RIGHT_NOW_PATH, "right-now")):
        status, answer = await operator.act(path)
        assert (status, answer["message"]) == (
            403,
            f"Error: User 'operator' may not execute '{rpc}'.",
        )
    assert rig.status() is None
    # counted as NACM counts a NETCONF session's denied operations
    assert rig.switch.access.denied_operations == denied_before + 2


async def test_a_nacm_change_applies_to_the_web_at_once(rig: SwitchRig) -> None:
    await enable(rig)
    operator = rig.web_client()
    await operator.login(OPERATOR, OPERATOR_PASSWORD)
    assert (await operator.act(DOWNLOAD_PATH))[0] == 403
    rules = f"""
    <config xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
      <nacm xmlns="{NACM_NS}" nc:operation="replace">
        <rule-list>
          <name>operators-download</name>
          <group>level-2</group>
          <rule>
            <name>download</name>
            <module-name>sunc-smart-upgrade</module-name>
            <rpc-name>download</rpc-name>
            <access-operations>exec</access-operations>
            <action>permit</action>
          </rule>
        </rule-list>
        <rule-list>
          <name>management-level</name>
          <group>level-3</group>
          <rule><name>permit-all</name><module-name>*</module-name><action>permit</action></rule>
        </rule-list>
      </nacm>
    </config>"""

    def configure() -> None:
        with rig.ncclient() as m:
            m.edit_config(target="running", config=rules)

    await asyncio.to_thread(configure)
    status, html = await operator.page("/")
    assert f'action="{DOWNLOAD_PATH}"' not in html  # no prompt: /smart-upgrade is not readable
    assert (await operator.act(RIGHT_NOW_PATH))[0] == 403
    status, answer = await operator.act(DOWNLOAD_PATH)
    assert status == 200, answer
    await until(lambda: rig.status() is UpgradeStatus.SUCCESS)


async def test_the_prompt_follows_netconf_and_the_command_line(make_rig: RigFactory) -> None:
    rig = await make_rig(cli=True)
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)

    async def prompt() -> str | None:
        kind: str | None = (await client.state())["prompt"]
        return kind

    assert await prompt() == "disabled"
    await enable(rig)
    assert await prompt() is None  # enabled, no version checked yet
    sdk = await rig.async_sdk()
    await sdk.refresh()
    await sdk.close()
    assert await prompt() == "new-version"
    banner = (await client.state())["fragments"]["banner"]
    assert f"<td>{NEW_SOFTWARE}</td>" in banner and "1)description:2)CC+SPH" in banner
    assert f'action="{DOWNLOAD_PATH}"' in banner and f'action="{RIGHT_NOW_PATH}"' in banner

    cli_port = rig.switch.cli_port
    assert cli_port is not None
    session = await open_session(cli_port)
    try:
        await session.run("system-view")
        assert "Error" not in await session.run("smart-upgrade web-prompt disable")
        assert await prompt() is None
        assert "Error" not in await session.run("undo smart-upgrade web-prompt disable")
        assert await prompt() == "new-version"
        assert "Error" not in await session.run("undo smart-upgrade enable")
        assert await prompt() == "disabled"
    finally:
        await session.close()


async def test_a_web_download_is_the_switchs_download(rig: SwitchRig) -> None:
    await enable(rig)
    sdk = await rig.async_sdk()
    await sdk.schedule((START + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
    watcher = await rig.session()
    await asyncio.to_thread(watcher.create_subscription)
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)

    status, answer = await client.act(DOWNLOAD_PATH)
    assert status == 200
    assert answer["message"] == f"Info: Download started (operation {answer['operation_id']})."
    await until(lambda: rig.status() is not UpgradeStatus.RUNNING)

    # one switch: NETCONF reads what the web started, and the schedule it cancelled
    information = await sdk.upgrade_information()
    assert information.upgrade_status is not None
    assert information.upgrade_status.value == UpgradeStatus.SUCCESS.value
    assert (information.software_download_progress, information.patch_download_progress) == (
        100,
        100,
    )
    assert (await sdk.read_config()).schedule is None
    await sdk.close()
    state = await client.state()
    assert state["progress"]["upgrade_status"] == "success"
    assert state["progress"]["files"]["software"]["percent"] == 100
    assert "Info: Signature verification passed." in state["fragments"]["activity"]

    def names() -> list[str]:
        found = []
        while (notification := watcher.take_notification(timeout=0.5)) is not None:
            event = notification.notification_ele[1]
            found.append(etree.QName(event).localname)
            if etree.QName(event).localname == "schedule-event":
                step = event.findtext(f"{{{NAMESPACE}}}event")
                assert step == ScheduleStep.CANCELLED.value
        return found

    received = await asyncio.to_thread(names)
    await asyncio.to_thread(watcher.close_session)
    for name in ("schedule-event", "download-progress", "upgrade-status-changed"):
        assert name in received, received


async def test_a_web_download_is_followed_by_yang_push(rig: SwitchRig) -> None:
    await enable(rig)
    watcher = await rig.session()
    reply = await asyncio.to_thread(
        watcher.dispatch, push.establish_on_change(push.UPGRADE_INFORMATION)
    )
    mirror = PushMirror(push.subscription_id(etree.fromstring(reply.xml.encode())))
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    assert (await client.act(DOWNLOAD_PATH))[0] == 200

    def follow() -> tuple[list[str], list[int]]:
        """The statuses and software percents the updates carry, until a final status."""
        statuses: list[str] = []
        percents: list[int] = []
        while statuses[-1:] != [UpgradeStatus.SUCCESS.value]:
            notification = watcher.take_notification(timeout=30)
            assert notification is not None, (statuses, percents)
            checked = yanglint_validate_notification(notification.notification_xml)
            assert checked.valid, checked.output
            assert mirror.apply(notification.notification_ele[1])
            information = parsers.smart_upgrade_in(mirror.data).upgrade_information
            status = information.upgrade_status
            if status is not None and statuses[-1:] != [status.value]:
                statuses.append(status.value)
            percent = information.software_download_progress
            if percent is not None and percents[-1:] != [percent]:
                percents.append(percent)
        return statuses, percents

    statuses, percents = await asyncio.to_thread(follow)
    await asyncio.to_thread(watcher.close_session)
    assert statuses == [UpgradeStatus.RUNNING.value, UpgradeStatus.SUCCESS.value]
    assert percents == sorted(percents) and percents[-1] == 100
    assert mirror.patches >= 2


async def test_the_schedule_a_web_download_cancels_passes_the_authorize_step(
    rig: SwitchRig,
) -> None:
    """The web system writes no configuration itself: its download makes the switch delete
    the schedule, a write of the switch's own (not checked by NACM) through the same step."""
    await enable(rig)
    sdk = await rig.async_sdk()
    await sdk.schedule((START + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
    await sdk.close()
    authorizer = Authorizer()
    rig.switch.datastores.set_authorizer(authorizer)
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    status, _ = await client.act(DOWNLOAD_PATH)
    assert status == 200
    await until(lambda: bool(authorizer.writes))
    assert authorizer.seen() == [
        (SYSTEM_SESSION, "running", [(ChangeKind.DELETE, "/su:smart-upgrade/su:schedule")])
    ]
    await until(lambda: rig.status() is not UpgradeStatus.RUNNING)


async def test_upgrade_now_reboots_the_switch_and_its_web_system(rig: SwitchRig) -> None:
    await enable(rig)
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    port = rig.web.port
    status, _ = await client.act(RIGHT_NOW_PATH)
    assert status == 200
    await until(lambda: not rig.switch.device.up)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.http.get("/login")  # nothing listens while the switch is down

    assert isinstance(rig.clock, SimulatedClock)
    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    assert rig.web.port == port
    # the logins went down with the switch
    response = await client.http.get("/api/state", headers=JSON)
    assert response.status == 401
    await client.login(ADMIN, ADMIN_PASSWORD)
    status, html = await client.page("/")
    assert f"<td>{NEW_SOFTWARE}</td>" in html
    assert (await client.state())["prompt"] is None  # running the version the check offered
    assert rig.status() is UpgradeStatus.SUCCESS


@pytest.mark.parametrize(
    ("device_name", "title"),
    [("S5732-H", "S5732-H"), ("S5732-H24UM2CC", "S5732-H24UM2CC"), ("core-1", "S5732-H core-1")],
)
async def test_the_title_bar_says_the_model_once(
    make_rig: RigFactory, device_name: str, title: str
) -> None:
    rig = await make_rig(identity=Identity(MODEL, device_name, IDENTITY.esn))
    client = rig.web_client()
    _, login = await client.page("/login")
    assert f"<title>Log in - {title}</title>" in login and f"<h1>{title}</h1>" in login
    await client.login(ADMIN, ADMIN_PASSWORD)
    _, html = await client.page("/")
    assert f"<title>Dashboard - {title}</title>" in html
    assert f'<span class="device">{title}</span>' in html


async def test_a_switch_without_smart_upgrade_has_a_dashboard_only(make_rig: RigFactory) -> None:
    rig = await make_rig(identity=Identity("S5731-L", "S5731-L24T4S-A", "2102351XFR10P0000002"))
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    status, html = await client.page("/")
    assert status == 200 and "<td>S5731-L</td>" in html and 'href="/smart-upgrade"' not in html
    assert (await client.page("/smart-upgrade"))[0] == 404
    assert (await client.act(DOWNLOAD_PATH))[0] == 404
    assert (await client.state())["fragments"]["banner"] == ""


async def test_the_certificate_is_made_on_first_start_and_kept(
    switches: Switches, tmp_path: Path
) -> None:
    data_dir = tmp_path / "switch"
    rig = await switches.start(web=True, data_dir=data_dir)
    first = rig.web.certificate.pem
    assert (data_dir / CERT_FILE).read_text("ascii") == first
    assert (data_dir / "web-key.pem").stat().st_mode & 0o077 == 0
    await rig.close()
    rig = await switches.start(web=True, data_dir=data_dir)
    assert rig.web.certificate.pem == first


async def test_default_credentials_are_refused_beyond_loopback(
    rig: SwitchRig, tmp_path: Path
) -> None:
    defaults = UserDatabase.load_or_create(tmp_path / "defaults")
    with pytest.raises(DefaultCredentialsError):
        await WebServer.start(
            "0.0.0.0",
            0,
            tmp_path / "web",
            chassis=rig.switch.device,
            access=rig.switch.access,
            logins=LoginGuard(defaults),
        )


def test_the_sim_serves_the_web_system_and_prints_its_address(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    with running_sim(data_dir, MODEL, "--cli-port=-1") as sim:
        # printed after the banner
        url, certificate = first_line(
            sim.process,
            sim.log,
            lambda line: (
                None
                if (match := WEB_ADDRESS.search(line)) is None
                else (match.group(1), Path(match.group(2)))
            ),
        )
        assert certificate == data_dir / CERT_FILE
        context = ssl.create_default_context(cafile=certificate)

        async def login_page() -> tuple[int, str]:
            async with (
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
                http.get(url + "login") as response,
            ):
                return response.status, await response.text()

        status, html = asyncio.run(login_page())
        assert status == 200 and 'name="password"' in html


async def ap_mode(make_rig: RigFactory) -> tuple[SwitchRig, AsyncSmartUpgradeClient]:
    """A switch on the AP's version managing an AP, smart upgrade for APs enabled over
    NETCONF, and that NETCONF client."""
    rig = await make_rig(
        identity=identity(ap=AP_DEVICE),
        factory=FactoryState(NEW_SOFTWARE, None, "V200R019C10"),
    )
    await enable(rig)
    sdk = await rig.async_sdk()
    await sdk.enable_ap()
    return rig, sdk


async def test_in_ap_mode_the_page_and_its_buttons_are_the_aps(make_rig: RigFactory) -> None:
    """The web system follows the switch's display and commands: with smart upgrade for APs
    enabled it shows the AP, prompts the AP's new version, and its buttons upgrade the AP."""
    rig, sdk = await ap_mode(make_rig)
    await sdk.refresh()
    client = rig.web_client()
    await client.login(ADMIN, ADMIN_PASSWORD)
    status, html = await client.page("/smart-upgrade")
    assert status == 200
    assert "Upgrade the AP to the recommended version." in html
    assert 'data-confirm="The AP restarts with the new version once the files are downloaded.' in (
        html
    )
    assert "<tr><th>Device Type</th><td>AirEngine 8760-X1-PRO</td></tr>" in html
    assert "<tr><th>Software version</th><td>V200R019C10</td></tr>" in html

    events: list[DeviceEvent] = []
    rig.switch.device.subscribe(events.append)
    status, answer = await client.act(RIGHT_NOW_PATH)
    assert status == 200
    assert answer["message"] == (
        "Info: Upgrade started: the AP restarts once the files are ready "
        f"(operation {answer['operation_id']})."
    )

    def ap_upgrade() -> UpgradeInformation:
        return rig.switch.device.state().ap_information.upgrade_information

    await until(lambda: ap_upgrade().software_download_progress == 100)
    state = await client.state()
    assert state["progress"]["files"]["software"]["percent"] == 100
    await until(lambda: AP_REBOOTING in [e.message for e in events if isinstance(e, Line)])
    assert isinstance(rig.clock, SimulatedClock)
    await rig.clock.advance(REBOOT)  # the AP reboots; the switch stays up
    assert rig.switch.up and rig.switch.device.ap_software_version == NEW_SOFTWARE
    assert ap_upgrade().last_upgrade_result is UpgradeStatus.SUCCESS
    await sdk.close()


async def test_the_async_sdk_follows_the_ap_s_download(make_rig: RigFactory) -> None:
    _, sdk = await ap_mode(make_rig)
    try:
        started = await sdk.download()
        assert started.target is UpgradeTarget.AP
        seen: list[Progress] = []
        final = await sdk.wait(progress=seen.append, target=started.target)
        assert final.upgrade_status is UpgradeStatus.SUCCESS
        assert final.software_download_progress == 100
        assert seen[-1].percent == 100
        assert (await sdk.upgrade_information()).upgrade_status is None  # the switch's own
    finally:
        await sdk.close()
