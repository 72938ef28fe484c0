"""scrapli-netconf against smartupgrade-sim, over paramiko and over the system's ssh.

Its hello lists one capability (base:1.1 when the server offers it, base:1.0 when asked for
1.0); its ``system`` transport runs ``ssh -tt -s netconf`` and so requests a pty on the netconf
channel; ``close()`` drops the connection without ``<close-session>``.
"""

import pytest
from lxml import etree
from scrapli_netconf.driver import NetconfDriver
from scrapli_netconf.response import NetconfResponse

from tests.interop.clients import (
    NC_NS,
    scrapli_driver_arguments,
    scrapli_session,
    yanglint_validate_reply,
)
from tests.interop.conftest import FEATURES
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.users import Server

SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
NS = {"nc": NC_NS, "su": SU, "sslp": SSLP}
# (transport, NETCONF version scrapli prefers)
VARIANTS = [("paramiko", "1.1"), ("paramiko", "1.0"), ("system", "1.1")]


def driver(server: Server, transport: str, version: str) -> NetconfDriver:
    arguments = scrapli_driver_arguments(server, CLIENT_TIMEOUT)
    arguments["transport"] = transport
    return NetconfDriver(**arguments, preferred_netconf_version=version)


def reply(response: NetconfResponse) -> etree._Element:
    assert not response.failed, response.result
    return etree.fromstring(response.result.encode())


@pytest.mark.parametrize(("transport", "version"), VARIANTS)
def test_hello_get_config_edit_get(sim: Server, transport: str, version: str) -> None:
    policy, port = f"scrapli_{transport}_{version.replace('.', '')}", 7000 + len(transport)
    connection = driver(sim, transport, version)
    connection.open()
    try:
        assert connection.netconf_version.value == version
        assert "urn:ietf:params:netconf:capability:candidate:1.0" in connection.server_capabilities

        result = yanglint_validate_reply(
            reply(connection.get_config("running")), "get-config", features=FEATURES
        )
        assert result.valid, result.output

        reply(
            connection.edit_config(
                f'<config><ssl-policies xmlns="{SSLP}"><ssl-policy><name>{policy}</name>'
                f'</ssl-policy></ssl-policies><smart-upgrade xmlns="{SU}">'
                f"<ssl-policy>{policy}</ssl-policy><https-port>{port}</https-port>"
                "</smart-upgrade></config>",
                "running",
            )
        )

        config = reply(connection.get_config("running"))
        result = yanglint_validate_reply(config, "get-config", features=FEATURES)
        assert result.valid, result.output
        assert config.findtext("nc:data/su:smart-upgrade/su:ssl-policy", namespaces=NS) == policy

        state = reply(connection.get(f'<smart-upgrade xmlns="{SU}"/>', filter_type="subtree"))
        result = yanglint_validate_reply(state, "get", features=FEATURES)
        assert result.valid, result.output
        assert state.findtext("nc:data/su:smart-upgrade/su:https-port", namespaces=NS) == str(port)
        assert state.findtext("nc:data/su:smart-upgrade/su:local-information/su:esn", namespaces=NS)

        # scrapli sends the select without declaring its prefix: the module's prefix is known
        xpath = reply(connection.get("/su:smart-upgrade/su:https-port", filter_type="xpath"))
        assert xpath.findtext("nc:data/su:smart-upgrade/su:https-port", namespaces=NS) == str(port)
    finally:
        connection.close()


def test_a_dropped_session_releases_its_lock(sim: Server) -> None:
    with scrapli_session(sim) as first:
        reply(first.lock("candidate"))
        reply(first.edit_config(f'<config><smart-upgrade xmlns="{SU}"/></config>', "candidate"))
    # close() dropped the connection without <close-session>; the server notices the drop
    # on its own time, so a second session asks until the lock is free
    with scrapli_session(sim) as second:
        while True:
            lock = second.lock("candidate")
            if not lock.failed:
                break
            assert "<error-tag>lock-denied</error-tag>" in lock.result
        reply(second.unlock("candidate"))
