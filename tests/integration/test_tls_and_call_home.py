"""NETCONF over TLS and Call Home on a whole emulated switch (datastores, NACM, notifications,
monitoring, the switch's reboot), with ncclient (connect_tls, call_home) and a TLS call-home
listener of the test's own (ncclient has none)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import SessionCloseError, TransportError

from smartupgrade_model.model import NAMESPACE, UpgradeStatus
from smartupgrade_server.device.events import Rebooting
from smartupgrade_server.netconf.capabilities import BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import FrameDecoder, encode_chunked
from smartupgrade_server.netconf.registry import SessionTransport
from smartupgrade_server.sim.metrics import EmulatorMetrics, SwitchView
from smartupgrade_server.transport.call_home import Backoff, CallHomeTiming
from smartupgrade_server.transport.logins import LoginService
from smartupgrade_server.transport.tls import TLS_RECORD_DATA
from tests.integration.test_call_home import Controller
from tests.integration.test_notifications_and_nacm import denied, leaves, local, take
from tests.integration.test_upgrade_over_netconf import ENABLE, output, rpc, su_config
from tests.integration.test_yang_push import content as push_content
from tests.integration.test_yang_push import establish, on_change, subscription_id
from tests.integration.test_yang_push import take as take_push
from tests.interop.clients import yanglint_validate_reply
from tests.support.blocking import call
from tests.support.client_pki import ClientCa, ClientCertificate
from tests.support.defaults import ESN, REBOOT
from tests.support.switch import Switches, SwitchRig
from tests.support.transport import free_port
from tests.support.users import Account
from tests.support.waiting import until

PASSWORD = "secret-pass"
NCSRV = "urn:smart-upgrade-netconf:yang:sunc-netconf-server"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
X509C2N = "urn:ietf:params:xml:ns:yang:ietf-x509-cert-to-name"
NCM = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
NACM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
# short waits between failed rounds: the tests that need them exact drive a sleep of their own
QUICK = CallHomeTiming(backoff=Backoff(first=0.05, maximum=0.2))


def trust_config(ca: ClientCa, *, fingerprint: str | None = None) -> str:
    """The switch trusts ``ca`` for NETCONF over TLS and names its clients by common name."""
    return f"""
<config>
  <ssl-policies xmlns="{SSLP}">
    <ssl-policy><name>netconf_clients</name><trusted-ca>{ca.pem}</trusted-ca></ssl-policy>
  </ssl-policies>
  <netconf-server xmlns="{NCSRV}" xmlns:x509c2n="{X509C2N}">
    <tls>
      <ssl-policy>netconf_clients</ssl-policy>
      <client-identity-mappings>
        <cert-to-name>
          <id>1</id>
          <fingerprint>{fingerprint or ca.fingerprint}</fingerprint>
          <map-type>x509c2n:common-name</map-type>
        </cert-to-name>
      </client-identity-mappings>
    </tls>
  </netconf-server>
</config>"""


def call_home_config(name: str, transport: str, port: int, kind: str = "<persistent/>") -> str:
    return f"""
<config>
  <netconf-server xmlns="{NCSRV}">
    <call-home>
      <netconf-client>
        <name>{name}</name>
        <endpoints>
          <endpoint>
            <name>only</name>
            <{transport}><tcp-client-parameters>
              <remote-address>127.0.0.1</remote-address><remote-port>{port}</remote-port>
            </tcp-client-parameters></{transport}>
          </endpoint>
        </endpoints>
        <connection-type>{kind}</connection-type>
        <reconnect-strategy><max-wait>10</max-wait><max-attempts>1</max-attempts></reconnect-strategy>
      </netconf-client>
    </call-home>
  </netconf-server>
</config>"""


ACCOUNTS = (Account("admin", PASSWORD), Account("operator", None, 2))


@pytest.fixture
async def rig(switches: Switches) -> SwitchRig:
    """A switch serving NETCONF over TLS, whose operator logs in by certificate only."""
    return await switches.start(accounts=ACCOUNTS, tls=True, call_home_timing=QUICK)


@pytest.fixture
def ca(tmp_path: Path) -> ClientCa:
    """The controller's CA."""
    return ClientCa(tmp_path / "pki")


async def configure(rig: SwitchRig, config: str) -> None:
    """An edit of running over SSH, as admin."""
    m = await rig.session()
    await call(m.edit_config, target="running", config=config)
    await call(m.close_session)


def sessions_by_transport(m: manager.Manager) -> dict[str, str]:
    """/netconf-state/sessions: session id -> transport identity."""
    reply = m.get(filter=("subtree", f'<netconf-state xmlns="{NCM}"><sessions/></netconf-state>'))
    return {
        entry.findtext(f"{{{NCM}}}session-id") or "": entry.findtext(f"{{{NCM}}}transport") or ""
        for entry in reply.data_ele.iter(f"{{{NCM}}}session")
    }


# --- NETCONF over TLS ---------------------------------------------------------------------------


async def test_over_tls_get_edit_commit_and_a_download_with_notifications(
    rig: SwitchRig, ca: ClientCa
) -> None:
    await configure(rig, trust_config(ca))
    admin = ca.issue("admin")
    m = await call(rig.connect_tls, admin)
    assert BASE_1_1 in m.server_capabilities and "urn:ietf:params:netconf:base:1.0" not in list(
        m.server_capabilities
    )
    got = await call(m.get, filter=("subtree", f'<smart-upgrade xmlns="{NAMESPACE}"/>'))
    assert got.data_ele.findtext(f".//{{{NAMESPACE}}}esn") == ESN
    await call(m.edit_config, target="candidate", config=su_config(ENABLE))
    await call(m.commit)
    watched = (
        f'<filter type="subtree"><download-progress xmlns="{NAMESPACE}"/>'
        f'<upgrade-status-changed xmlns="{NAMESPACE}"/></filter>'
    )
    await call(m.create_subscription, filter=etree.fromstring(watched))
    await call(m.dispatch, rpc("refresh"))
    started = output(await call(m.dispatch, rpc("download")))
    assert started["upgrade-status"] == UpgradeStatus.RUNNING.value
    kinds = set()
    while True:
        content = await take(m)
        kinds.add(local(content))
        if (
            local(content) == "upgrade-status-changed"
            and leaves(content)["upgrade-status"] != UpgradeStatus.RUNNING.value
        ):
            break
    assert leaves(content)["upgrade-status"] == UpgradeStatus.SUCCESS.value
    assert kinds == {"download-progress", "upgrade-status-changed"}
    # the configuration of TLS itself passes yanglint as the switch returns it
    config = await call(m.get_config, source="running")
    assert yanglint_validate_reply(config.xml, "get-config").valid

    # monitoring, counters and kill-session: as for an SSH session
    ssh = await rig.session()
    transports = await call(sessions_by_transport, ssh)
    assert transports == {m.session_id: "ncm:netconf-tls", ssh.session_id: "ncm:netconf-ssh"}
    tls_context = rig.switch.server.registry.get(int(m.session_id))
    assert tls_context is not None and tls_context.transport is SessionTransport.NETCONF_TLS
    assert rig.switch.server.counters.sessions[int(m.session_id)].in_rpcs == 7
    await call(ssh.kill_session, m.session_id)
    await until(lambda: not m.connected)
    await call(ssh.close_session)


async def test_nacm_applies_to_the_mapped_user(rig: SwitchRig, ca: ClientCa) -> None:
    await configure(rig, trust_config(ca))
    # operator has no password: a certificate is its only way in, at level 2
    m = await call(rig.connect_tls, ca.issue("operator"))
    await denied(m.dispatch, rpc("refresh"))
    got = await call(m.get, filter=("subtree", f'<smart-upgrade xmlns="{NAMESPACE}"/>'))
    assert got.data_ele.find(f"{{{NAMESPACE}}}smart-upgrade") is None
    await call(m.close_session)


def padded(comment_length: int) -> str:
    """A rule-list of no one's, its rule's comment ``comment_length`` characters long."""
    return f"""<config><nacm xmlns="{NACM_NS}"><rule-list><name>padding</name>
        <group>nobody</group><rule><name>padded</name><module-name>*</module-name>
        <access-operations>read</access-operations><action>permit</action>
        <comment>{"x" * comment_length}</comment></rule></rule-list></nacm></config>"""


async def test_replies_and_yang_push_longer_than_ncclient_reads_at_once(
    rig: SwitchRig, ca: ClientCa
) -> None:
    """ncclient reads TLS 4096 bytes at a time when its socket is readable (ncclient#651): a
    message ending in a longer record would never reach it. Replies of every length modulo a
    full record, and YANG-push over TLS."""
    await configure(rig, trust_config(ca))
    m = await call(rig.connect_tls, ca.issue("admin"))
    nacm = ("subtree", f'<nacm xmlns="{NACM_NS}"/>')
    lengths = []
    for length in range(0, 4 * TLS_RECORD_DATA + 1000, 1000):
        await call(m.edit_config, target="running", config=padded(length))
        reply = await call(m.get_config, source="running", filter=nacm)
        lengths.append(len(reply.xml))
    # a full record's worth of lengths, 1000 apart
    assert lengths[-1] - lengths[0] > 4 * TLS_RECORD_DATA
    # the whole operational datastore, then a change of the configuration, pushed over TLS
    established = await call(m.dispatch, establish(on_change()))
    first = push_content(await take_push(m))
    assert etree.QName(first).localname == "push-update"
    assert len(etree.tostring(first)) > 4 * TLS_RECORD_DATA
    assert int(first.findtext("{*}id") or "") == subscription_id(established)
    await call(m.edit_config, target="running", config=padded(3 * TLS_RECORD_DATA))
    change = push_content(await take_push(m))
    assert etree.QName(change).localname == "push-change-update"
    assert "x" * 3 * TLS_RECORD_DATA in etree.tostring(change, encoding=str)
    await call(m.close_session)


async def test_refused_clients_and_an_unusable_fingerprint(rig: SwitchRig, ca: ClientCa) -> None:
    with pytest.raises((TransportError, SessionCloseError, ssl.SSLError, OSError)):
        # no trust configured yet: every certificate is refused
        await call(rig.connect_tls, ca.issue("admin"))
    await until(
        lambda: rig.switch.server.logins.counters.refused_certificates[LoginService.NETCONF] == 1
    )
    # and Prometheus is told
    metrics = EmulatorMetrics(None, lambda: [SwitchView("sw", rig.switch, up=True)])
    assert (
        b'smartupgrade_login_certificate_refusals_total{service="netconf",switch="sw"} 1.0'
        in metrics.text()
    )
    sha512 = "06:" + ":".join(["ab"] * 32)  # a SHA-512 fingerprint of SHA-256's length
    m = await rig.session()
    with pytest.raises(RPCError) as caught:
        await call(m.edit_config, target="running", config=trust_config(ca, fingerprint=sha512))
    assert caught.value.tag == "invalid-value"
    assert caught.value.path.endswith("[ncsrv:id='1']/ncsrv:fingerprint")
    assert "a sha512 fingerprint has 64 octets after the first, not 32" in caught.value.message
    await call(m.close_session)
    assert len(rig.switch.server.registry) == 0


async def test_the_reboot_ends_tls_and_call_home_sessions_then_both_come_back(
    rig: SwitchRig, ca: ClientCa
) -> None:
    await configure(rig, trust_config(ca))
    controller = await Controller.start(password=PASSWORD)
    try:
        await configure(rig, call_home_config("controller", "ssh", controller.port))
        called = await controller.calls.get()
        await reboot_and_back(rig, ca)
        # the call home's session ended with the reboot; the switch calls again once up
        assert await called.read_message() == b""
        again = await controller.calls.get()
        assert again.session_id >= 1 and controller.accepted == 2
    finally:
        await controller.close()


async def reboot_and_back(rig: SwitchRig, ca: ClientCa) -> None:
    """right-now over TLS: the TLS session ends, the port closes, then listens again."""
    admin = ca.issue("admin")
    m = await call(rig.connect_tls, admin)
    await call(m.edit_config, target="running", config=su_config(ENABLE))
    await call(m.dispatch, rpc("refresh"))
    await call(m.dispatch, rpc("right-now"))
    await until(lambda: any(isinstance(e, Rebooting) for e in rig.events))
    await until(lambda: not m.connected)
    port = rig.switch.tls_port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port or 0)).close()
    await rig.clock.advance(REBOOT)
    await rig.switch.serving()
    assert rig.switch.tls_port == port
    m = await call(rig.connect_tls, admin)
    await call(m.close_session)


# --- Call Home ------------------------------------------------------------------------------------


async def test_ncclient_call_home_over_ssh_until_the_client_is_deleted(rig: SwitchRig) -> None:
    port = free_port()

    def controller() -> tuple[str, dict[str, str], bool]:
        with manager.call_home(
            host="127.0.0.1",
            port=port,
            username="admin",
            password=PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        ) as m:
            context = rig.switch.server.registry.get(int(m.session_id))
            return m.session_id, sessions_by_transport(m), context is not None and context.call_home

    # the controller listens while the switch is told to call it
    answered = asyncio.ensure_future(call(controller))
    await configure(rig, call_home_config("controller", "ssh", port))
    session_id, transports, called_home = await answered
    assert transports[session_id] == "ncm:netconf-ssh" and called_home
    assert rig.switch.netconf.call_home.diallers["controller"].connections == 1
    # (that a persistent client calls again at once: tests/integration/test_call_home.py)
    # deleting the client stops the calls
    await configure(
        rig,
        f'<config xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><netconf-server '
        f'xmlns="{NCSRV}"><call-home nc:operation="delete"/></netconf-server></config>',
    )
    await until(lambda: not rig.switch.netconf.call_home.diallers)


class TlsCallHomeListener:
    """A NETCONF client that waits for a switch to call it over TLS (RFC 8071 §4.2: the client
    accepts the TCP connection, then is the TLS client on it), asks for the sessions and closes
    its session. Blocking: run it in a thread."""

    def __init__(self, client: ClientCertificate, switch_certificate: Path) -> None:
        self.context = ssl.create_default_context(cafile=str(switch_certificate))
        # a switch is known by its pinned certificate, not by a host name
        self.context.check_hostname = False
        self.context.load_cert_chain(client.cert_path, client.key_path)
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(60)
        self.port = int(self.socket.getsockname()[1])

    def answer(self) -> tuple[str, etree._Element]:
        """One call: the session id and the <get> reply of /netconf-state/sessions."""
        accepted, _ = self.socket.accept()
        with self.context.wrap_socket(accepted) as tls:
            tls.settimeout(60)
            decoder = FrameDecoder()
            messages: list[bytes] = []

            def message() -> bytes:
                while not messages:
                    data = tls.recv(65536)
                    assert data, "the switch closed the connection"
                    messages.extend(m for m in decoder.feed(data) if isinstance(m, bytes))
                return messages.pop(0)

            hello = etree.fromstring(message())
            tls.sendall(
                f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_1}</capability>'
                "</capabilities></hello>]]>]]>".encode()
            )
            decoder.switch_to_chunked()
            tls.sendall(
                encode_chunked(
                    f'<rpc message-id="1" xmlns="{BASE_NS}"><get><filter><netconf-state '
                    f'xmlns="{NCM}"><sessions/></netconf-state></filter></get></rpc>'.encode()
                )
            )
            reply = etree.fromstring(message())
            tls.sendall(
                encode_chunked(
                    f'<rpc message-id="2" xmlns="{BASE_NS}"><close-session/></rpc>'.encode()
                )
            )
            message()
        return hello.findtext(f"{{{BASE_NS}}}session-id") or "", reply

    def close(self) -> None:
        self.socket.close()


async def test_tls_call_home_to_a_listener_of_the_tests_own(rig: SwitchRig, ca: ClientCa) -> None:
    await configure(rig, trust_config(ca))
    listener = TlsCallHomeListener(ca.issue("admin"), rig.tls_certificate)
    try:
        answered = asyncio.ensure_future(call(listener.answer))
        await configure(
            rig,
            call_home_config(
                "audit", "tls", listener.port, "<periodic><period>60</period></periodic>"
            ),
        )
        session_id, reply = await answered
        transports = {
            entry.findtext(f"{{{NCM}}}session-id"): entry.findtext(f"{{{NCM}}}transport")
            for entry in reply.iter(f"{{{NCM}}}session")
        }
        assert transports[session_id] == "ncm:netconf-tls"
        dialler = rig.switch.netconf.call_home.diallers["audit"]
        # periodic and closed gracefully: the next call waits for the next period
        await until(lambda: len(rig.switch.server.registry) == 0)
        assert dialler.connections == 1
    finally:
        listener.close()
