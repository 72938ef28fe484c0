"""The synchronous client against a real switch: connect, read, every configuration command and
its undo, typed errors, and ncclient's own behaviour on the fast transport."""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from lxml import etree
from ncclient.operations import RPCError

from smartupgrade_client import edits, rfc7951
from smartupgrade_client.client import SmartUpgradeClient
from smartupgrade_client.errors import (
    NETCONF_NS,
    AuthenticationFailed,
    ConnectionFailed,
    ConnectionLost,
    DataMissing,
    InvalidArgument,
    OperationFailed,
    RpcFailed,
)
from smartupgrade_client.transport import FastSSHSession, connect_ssh
from smartupgrade_model.convert import SslPolicy
from smartupgrade_model.model import CONSTRAINTS, Schedule, SmartUpgrade
from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME
from tests.support.switch import SwitchRig

DEFAULTS = SmartUpgrade()
PEM = (
    "-----BEGIN CERTIFICATE-----\nMIIBijCCAS+gAwIBAgIUAVa1Uoi23WZVBaBXubSKN05ez0Yw\n"
    "-----END CERTIFICATE-----"
)


def bind_policy(client: SmartUpgradeClient) -> None:
    client.configure(edits.create_ssl_policy("houp"), edits.set_ssl_policy("houp"))


def test_read_shows_the_switch(client: SmartUpgradeClient, sim: SwitchRig) -> None:
    state = client.read()
    local = state.local_information
    assert local.device_name == sim.identity.device_name
    assert local.esn == sim.identity.esn
    assert local.software_version == sim.factory.software
    assert local.patch_version == sim.factory.patch
    assert (state.url, state.https_port, state.ssl_policy) == (
        DEFAULTS.url,
        DEFAULTS.https_port,
        None,
    )
    assert (state.verify_server, state.enabled, state.web_prompt) == (
        DEFAULTS.verify_server,
        DEFAULTS.enabled,
        DEFAULTS.web_prompt,
    )


def test_the_session_is_the_fast_one(client: SmartUpgradeClient) -> None:
    assert isinstance(client.manager._session, FastSSHSession)
    for _ in range(20):
        client.read()


def test_a_channel_closed_under_a_request_is_a_lost_connection(
    client: SmartUpgradeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(data: bytes) -> int:
        # what paramiko raises when the server closed the channel before ncclient's reader
        # thread saw it
        raise OSError("Socket is closed")

    monkeypatch.setattr(client.manager._session, "_transport_write", closed)
    with pytest.raises(ConnectionLost):
        client.read()


Command = Callable[[SmartUpgradeClient], None]

# (command, its undo, the configuration field and the value the command gives it)
COMMANDS: list[tuple[Command, Command, str, object]] = [
    (lambda c: c.set_url("10.10.10.20"), SmartUpgradeClient.undo_url, "url", "10.10.10.20"),
    (lambda c: c.set_https_port(10020), SmartUpgradeClient.undo_https_port, "https_port", 10020),
    (lambda c: c.set_ssl_policy("HOUP"), SmartUpgradeClient.undo_ssl_policy, "ssl_policy", "houp"),
    (
        SmartUpgradeClient.disable_verify_server,
        SmartUpgradeClient.undo_disable_verify_server,
        "verify_server",
        False,
    ),
    (
        SmartUpgradeClient.disable_web_prompt,
        SmartUpgradeClient.undo_disable_web_prompt,
        "web_prompt",
        False,
    ),
    (SmartUpgradeClient.enable, SmartUpgradeClient.disable, "enabled", True),
    (
        lambda c: c.schedule("2030-12-1 00:00:00", "2030-12-01 02:30:00"),
        SmartUpgradeClient.unschedule,
        "schedule",
        Schedule("2030-12-01 00:00:00", "2030-12-01 02:30:00"),
    ),
]


@pytest.mark.parametrize(("command", "undo", "field", "value"), COMMANDS)
def test_each_command_and_its_undo(
    client: SmartUpgradeClient, command: Command, undo: Command, field: str, value: object
) -> None:
    client.create_ssl_policy("houp")
    if field == "enabled":
        client.set_ssl_policy("houp")
    command(client)
    assert getattr(client.read_config(), field) == value
    assert getattr(client.read(), field) == value
    undo(client)
    assert getattr(client.read_config(), field) == getattr(DEFAULTS, field)
    undo(client)  # as on the switch, undoing what is not configured is no error


def test_ap_enable_and_undo(client: SmartUpgradeClient) -> None:
    bind_policy(client)
    client.enable()
    client.enable_ap()
    assert client.read().ap.enabled is True
    client.disable_ap()
    assert client.read().ap == DEFAULTS.ap


def test_ssl_policy_create_and_delete(client: SmartUpgradeClient) -> None:
    client.create_ssl_policy("HOUP", [PEM])
    client.create_ssl_policy("empty_policy")
    assert client.ssl_policies() == (SslPolicy("houp", (PEM,)), SslPolicy("empty_policy"))
    client.create_ssl_policy("houp")
    assert client.ssl_policies()[0] == SslPolicy("houp")
    client.delete_ssl_policy("Empty_Policy")
    client.delete_ssl_policy("houp")
    assert client.ssl_policies() == ()


def test_seed_example_as_one_transaction(client: SmartUpgradeClient) -> None:
    client.configure(
        edits.create_ssl_policy("houp"),
        edits.set_url("10.10.10.20"),
        edits.set_https_port(10020),
        edits.set_ssl_policy("houp"),
        edits.enable(),
    )
    state = client.read()
    assert (state.url, state.https_port, state.ssl_policy, state.enabled) == (
        "10.10.10.20",
        10020,
        "houp",
        True,
    )


@pytest.mark.parametrize(
    ("changes", "app_tag"),
    [
        ([edits.enable()], "ssl-policy-not-bound"),
        ([edits.enable_ap()], "smart-upgrade-not-enabled"),
        (
            [edits.schedule("2030-12-01 02:00:00", "2030-12-01 01:00:00")],
            "reboot-not-after-download",
        ),
    ],
)
def test_prerequisites_fail_with_the_module_app_tag(
    client: SmartUpgradeClient, changes: list[edits.Edit], app_tag: str
) -> None:
    with pytest.raises(OperationFailed) as caught:
        client.configure(*changes)
    error = caught.value
    assert error.app_tag == app_tag
    assert error.constraint == CONSTRAINTS[app_tag]
    assert error.message == CONSTRAINTS[app_tag].message
    assert (error.error_type, error.severity) == ("application", "error")
    assert error.path is not None
    assert client.read_config() == DEFAULTS


def test_a_failed_edit_changes_nothing(client: SmartUpgradeClient) -> None:
    with pytest.raises(RpcFailed):
        client.configure(edits.set_url("10.0.0.1"), edits.enable())
    assert client.read().url == DEFAULTS.url


def test_deleting_a_missing_policy(client: SmartUpgradeClient) -> None:
    with pytest.raises(DataMissing) as caught:
        client.delete_ssl_policy("nothere")
    assert caught.value.path is not None and "nothere" in caught.value.path


def test_bad_arguments_never_reach_the_server(client: SmartUpgradeClient) -> None:
    with pytest.raises(InvalidArgument):
        client.set_https_port(0)
    with pytest.raises(InvalidArgument):
        client.set_ssl_policy("bad-name")
    assert client.read_config() == DEFAULTS


def test_wait_returns_when_nothing_runs(client: SmartUpgradeClient) -> None:
    assert client.wait(timeout=5).upgrade_status is None


def test_wrong_password(sim: SwitchRig) -> None:
    with pytest.raises(AuthenticationFailed):
        replace(sim.server(), password="wrong").sdk()


def test_nothing_listening() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        SmartUpgradeClient.connect(
            "127.0.0.1",
            port,
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            hostkey_verify=False,
        )


def test_unknown_host_key_is_refused_by_default(sim: SwitchRig) -> None:
    with pytest.raises(ConnectionFailed, match="Unknown host key"):
        SmartUpgradeClient.connect(
            "127.0.0.1", sim.port, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD
        )


def test_killed_session_is_connection_lost(sim: SwitchRig) -> None:
    with sim.sdk() as victim, sim.sdk() as killer:
        killer.manager.kill_session(victim.manager.session_id)
        with pytest.raises(ConnectionLost):
            for _ in range(100):
                victim.read()


def test_concurrent_calls_share_one_session(client: SmartUpgradeClient) -> None:
    bind_policy(client)
    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(lambda _: client.read(), range(200)))
    assert {state.ssl_policy for state in states} == {"houp"}


def test_wrapping_a_plain_ncclient_manager(sim: SwitchRig) -> None:
    with sim.ncclient() as plain:
        client = SmartUpgradeClient.from_manager(plain)
        client.set_https_port(8443)
        assert client.read().https_port == 8443
        with pytest.raises(OperationFailed):
            client.enable()
        client.close()
        assert plain.connected


@pytest.mark.parametrize("device", ["default", "huawei", "huaweiyang"])
def test_ncclient_behaviour_is_kept_on_the_fast_transport(sim: SwitchRig, device: str) -> None:
    """ncclient's own API, device handlers and RPCError work on the fast session."""
    manager = connect_ssh(
        "127.0.0.1",
        sim.port,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        device_params={"name": device},
    )
    with manager:
        assert isinstance(manager._session, FastSSHSession)
        assert "urn:ietf:params:netconf:base:1.0" in manager.server_capabilities
        manager.edit_config(
            target="running",
            config='<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
            '<smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">'
            "<https-port>9443</https-port></smart-upgrade></config>",
        )
        data = etree.fromstring(manager.get_config("running").xml.encode())
        assert data.findtext(".//{*}https-port") == "9443"
        with pytest.raises(RPCError) as caught:
            manager.edit_config(
                target="running",
                config='<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                '<smart-upgrade xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">'
                "<enabled>true</enabled></smart-upgrade></config>",
            )
        assert caught.value.app_tag == "ssl-policy-not-bound"
        assert SmartUpgradeClient.from_manager(manager).read().https_port == 9443


def test_rfc7951_reads_a_whole_get_without_a_filter(client: SmartUpgradeClient) -> None:
    """The discovery state and the access-control counters a bare <get> adds convert and
    validate too; an identity is named by its module."""
    document = rfc7951.data_json(client.call(etree.Element(f"{{{NETCONF_NS}}}get")))
    assert sorted(document) == [
        "ietf-netconf-acm:nacm",
        "ietf-netconf-monitoring:netconf-state",
        "ietf-subscribed-notifications:streams",
        "ietf-system:system-state",
        "ietf-yang-library:modules-state",
        "ietf-yang-library:yang-library",
        "sunc-smart-upgrade:smart-upgrade",
    ]
    (session,) = document["ietf-netconf-monitoring:netconf-state"]["sessions"]["session"]
    assert session["transport"] == "ietf-netconf-monitoring:netconf-ssh"
    assert document["ietf-netconf-acm:nacm"]["denied-operations"] == 0
    datastores = document["ietf-yang-library:yang-library"]["datastore"]
    assert {entry["name"] for entry in datastores} >= {"ietf-datastores:running"}
