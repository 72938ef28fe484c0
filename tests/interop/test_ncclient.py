"""ncclient against smartupgrade-sim: the default device handler and Huawei's two.

- ``default`` sends ``nc:``-prefixed XML and every RFC capability it knows;
- ``huawei`` sends un-prefixed XML, adds Huawei capabilities and offers ``m.cli()`` /
  ``m.action()`` (``<execute-cli>`` / ``<execute-action>``), which we refuse with
  operation-not-supported and a pointer to the YANG equivalent;
- ``huaweiyang`` announces base 1.0 and 1.1 only.
"""

from typing import Any

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError

from tests.interop.clients import NC_NS, yanglint_validate_reply
from tests.interop.conftest import FEATURES
from tests.support.defaults import CLIENT_TIMEOUT
from tests.support.users import Server

SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
HUAWEI = "http://www.huawei.com/netconf/capability/base/1.0"
NS = {"nc": NC_NS, "su": SU, "sslp": SSLP}
HANDLERS = ("default", "huawei", "huaweiyang")


def connect(server: Server, handler: str) -> manager.Manager:
    device: dict[str, Any] = {} if handler == "default" else {"device_params": {"name": handler}}
    return server.ncclient(timeout=CLIENT_TIMEOUT, **device)


def bind_policy(policy: str, port: int) -> str:
    """Create an SSL policy, bind it and set the HTTPS port: `ssl-policy P` + `https-port N`."""
    return (
        f'<config xmlns="{NC_NS}" xmlns:nc="{NC_NS}">'
        f'<ssl-policies xmlns="{SSLP}">'
        f'<ssl-policy nc:operation="create"><name>{policy}</name></ssl-policy></ssl-policies>'
        f'<smart-upgrade xmlns="{SU}"><ssl-policy>{policy}</ssl-policy>'
        f"<https-port>{port}</https-port></smart-upgrade></config>"
    )


@pytest.mark.parametrize("handler", HANDLERS)
def test_hello_get_config_edit_get(sim: Server, handler: str) -> None:
    with connect(sim, handler) as session:
        hello_get_config_edit_get(session, f"nc_{handler}", 8000 + HANDLERS.index(handler))


def hello_get_config_edit_get(session: manager.Manager, policy: str, port: int) -> None:
    assert "urn:ietf:params:netconf:base:1.1" in session.server_capabilities
    assert session.session_id is not None

    before = session.get_config(source="running")
    assert yanglint_validate_reply(before.xml, "get-config", features=FEATURES).valid

    session.edit_config(target="running", config=bind_policy(policy, port))

    config = session.get_config(source="running")
    result = yanglint_validate_reply(config.xml, "get-config", features=FEATURES)
    assert result.valid, result.output
    data = config.data_ele
    assert data.findtext("su:smart-upgrade/su:ssl-policy", namespaces=NS) == policy
    assert data.findtext("su:smart-upgrade/su:https-port", namespaces=NS) == str(port)
    assert data.find(f"sslp:ssl-policies/sslp:ssl-policy[sslp:name='{policy}']", NS) is not None

    state = session.get(filter=("subtree", f'<smart-upgrade xmlns="{SU}"/>'))
    result = yanglint_validate_reply(state.xml, "get", features=FEATURES)
    assert result.valid, result.output
    local = state.data_ele.find("su:smart-upgrade/su:local-information", NS)
    assert local is not None and local.findtext("su:esn", namespaces=NS)
    # a subtree filter on one module leaves the other out
    assert state.data_ele.find("sslp:ssl-policies", NS) is None


def test_huawei_cli_and_action_are_refused_clearly(sim: Server) -> None:
    with connect(sim, "huawei") as session:
        huawei_cli_and_action_are_refused(session)


def huawei_cli_and_action_are_refused(session: manager.Manager) -> None:
    command = etree.fromstring(
        "<cmd><id>1</id><cmdline>display smart-upgrade information</cmdline></cmd>"
    )
    with pytest.raises(RPCError) as cli:
        session.cli(command)
    assert cli.value.tag == "operation-not-supported"
    assert cli.value.type == "protocol"
    assert "<execute-cli> is not emulated" in cli.value.message
    assert "/sunc-smart-upgrade:smart-upgrade" in cli.value.message

    with pytest.raises(RPCError) as action:
        session.action(etree.fromstring("<action/>"))
    assert action.value.tag == "operation-not-supported"
    assert "<execute-action> is not emulated" in action.value.message

    # the session goes on
    assert session.get_config(source="running").ok
