"""NACM as the datastores' authorize step: refused at once before an edit is worked out when
nothing under its top-level nodes may be written, then checked node by node on the changes
the datastores computed; what it cannot interpret is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.persistence import save_config
from smartupgrade_server.datastore.store import STARTUP_FILE, DatastoreName, Datastores
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.nacm.rules import NACM
from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.registry import SessionContext
from tests.support.manual_scheduler import ManualScheduler
from tests.unit.nacm.test_caches import ADMIN, SMART, schema

__all__ = ["schema"]

RUNNING = DatastoreName.RUNNING
OPERATOR = SessionContext(2, "operator", 2, "192.0.2.9:1235")
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU_NS = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP_NS = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
POLICIES = "sunc-ssl-policy:ssl-policies"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
# level 2 may change the URL of smart upgrade, and create SSL policies without a CA
OPERATORS: RawObject = {
    "name": "operators",
    "group": ["level-2"],
    "rule": [
        {
            "name": "url",
            "path": "/su:smart-upgrade/su:url",
            "access-operations": "create update",
            "action": "permit",
        },
        {
            "name": "no-ca",
            "path": "/sslp:ssl-policies/sslp:ssl-policy/sslp:trusted-ca",
            "access-operations": "create",
            "action": "deny",
        },
        {
            "name": "policies",
            "module-name": "sunc-ssl-policy",
            "access-operations": "create",
            "action": "permit",
        },
    ],
}


@pytest.fixture
def datastores(schema: Schema, tmp_path: Path) -> Datastores:
    nacm = factory_nacm()
    nacm[NACM]["rule-list"].insert(0, OPERATORS)
    save_config(tmp_path / STARTUP_FILE, {**nacm, SMART: {"url": "192.0.2.1"}})
    found = Datastores(schema, tmp_path, ManualScheduler())
    return found


@pytest.fixture
def access(datastores: Datastores) -> AccessControl:
    found = AccessControl(datastores)
    datastores.set_authorizer(found)
    return found


def su(body: str) -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC}" xmlns:nc="{NC}"><smart-upgrade xmlns="{SU_NS}">{body}'
        "</smart-upgrade></config>"
    )


def policies(body: str) -> etree._Element:
    return etree.fromstring(
        f'<config xmlns="{NC}"><ssl-policies xmlns="{SSLP_NS}">{body}</ssl-policies></config>'
    )


def refusal(write: object) -> RpcError:
    assert callable(write)
    with pytest.raises(RpcError) as caught:
        write()
    return caught.value


def test_nothing_writable_under_a_top_level_node_is_refused_before_the_edit_is_worked_out(
    datastores: Datastores, access: AccessControl
) -> None:
    """The factory rules let a level-1 user write nothing of smart upgrade: an edit naming it
    is access-denied at once, even one the edit engine would refuse (it never runs), and even
    a merge that would change nothing (RFC 8341 would let that through; see docs/server.md)."""
    visitor = SessionContext(4, "visitor", 1, "192.0.2.9:1236")
    for body in ("<colour>red</colour>", "<url>192.0.2.1</url>"):
        error = refusal(lambda body=body: datastores.edit(RUNNING, su(body), visitor))
        assert (error.tag, error.path) == (ErrorTag.ACCESS_DENIED, "/su:smart-upgrade")
        assert error.message == "user 'visitor' may not write anything under this node"
    assert access.denied_data_writes == 2
    # an administrator's edit is worked out and refused by the edit engine
    assert refusal(lambda: datastores.edit(RUNNING, su("<colour/>"), ADMIN)).tag is (
        ErrorTag.UNKNOWN_ELEMENT
    )


def test_a_node_permitted_below_lets_the_edit_be_worked_out_and_checked_node_by_node(
    datastores: Datastores, access: AccessControl
) -> None:
    datastores.edit(RUNNING, su("<url>192.0.2.2</url>"), OPERATOR)
    assert datastores.raw(RUNNING)[SMART]["url"] == "192.0.2.2"
    error = refusal(
        lambda: datastores.edit(
            RUNNING, su("<url>192.0.2.3</url><https-port>1</https-port>"), OPERATOR
        )
    )
    assert (error.tag, error.path) == (ErrorTag.ACCESS_DENIED, "/su:smart-upgrade/su:https-port")
    assert error.message == "user 'operator' may not create this node"
    assert datastores.raw(RUNNING)[SMART]["url"] == "192.0.2.2"


def test_every_node_inside_a_created_subtree_is_checked(
    datastores: Datastores, access: AccessControl
) -> None:
    datastores.edit(RUNNING, policies("<ssl-policy><name>a</name></ssl-policy>"), OPERATOR)
    error = refusal(
        lambda: datastores.edit(
            RUNNING,
            policies(f"<ssl-policy><name>b</name><trusted-ca>{CA}</trusted-ca></ssl-policy>"),
            OPERATOR,
        )
    )
    assert error.path == "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='b']/sslp:trusted-ca"
    assert [entry["name"] for entry in datastores.raw(RUNNING)[POLICIES]["ssl-policy"]] == ["a"]


def test_a_change_nacm_cannot_interpret_is_refused_never_applied(
    datastores: Datastores, access: AccessControl
) -> None:
    """Fail-closed: a member no schema node describes, or a list whose entries share a key,
    is refused to a user whose writes are checked node by node, even where that user may
    write."""
    before = datastores.raw(RUNNING)
    unknown = {**before, SMART: {"url": "192.0.2.2", "colour": "red"}}
    twice = {**before, POLICIES: {"ssl-policy": [{"name": "a"}, {"name": "a"}]}}
    for config, path in (
        (unknown, "/su:smart-upgrade"),
        (twice, "/sslp:ssl-policies/sslp:ssl-policy"),
    ):
        error = refusal(lambda config=config: datastores.copy(RUNNING, config, OPERATOR))
        assert (error.tag, error.path) == (ErrorTag.ACCESS_DENIED, path)
        assert error.message == "user 'operator' may not write this node"
    assert datastores.raw(RUNNING) == before
    # the switch's own writes are not checked: validation refuses it
    error = refusal(lambda: datastores.system_edit(lambda running: running.update(twice)))
    assert error.tag is ErrorTag.DATA_EXISTS


def test_a_write_that_names_no_user_is_refused_the_switch_s_own_is_not_checked(
    datastores: Datastores, access: AccessControl
) -> None:
    error = refusal(lambda: datastores.edit(RUNNING, su("<url>192.0.2.9</url>"), 5))
    assert (error.tag, error.message) == (
        ErrorTag.ACCESS_DENIED,
        "the write of session 5 names no user",
    )
    # nobody may write smart upgrade now, but the switch still may
    datastores.system_edit(lambda running: running[NACM].update({"rule-list": []}))
    datastores.system_edit(lambda running: running[SMART].update({"url": "192.0.2.9"}))
    assert datastores.raw(RUNNING)[SMART]["url"] == "192.0.2.9"
