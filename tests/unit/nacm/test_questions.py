"""The questions a page asks NACM before it shows a node or offers an action (the web system):
the same answers as pruning a <get> and checking an <rpc>, and nothing counted for asking."""

from __future__ import annotations

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_model.model import NAMESPACE
from smartupgrade_server.datastore.store import Datastores
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.rules import NACM
from smartupgrade_server.netconf.errors import AccessDeniedError
from smartupgrade_server.netconf.registry import SessionContext
from tests.unit.nacm.test_caches import ADMIN, SU, datastores, schema

__all__ = ["datastores", "schema"]

OPERATOR = SessionContext(2, "operator", 2, "192.0.2.9:1235")
NO_UPGRADE_INFORMATION = {
    "name": "no-upgrade-information",
    "group": ["level-3"],
    "rule": [
        {
            "name": "hide-upgrade-information",
            "path": "/su:smart-upgrade/su:upgrade-information",
            "access-operations": "read",
            "action": "deny",
        }
    ],
}


def _hide_upgrade_information(config: RawObject) -> None:
    config[NACM]["rule-list"].insert(0, NO_UPGRADE_INFORMATION)


def _kept_by_a_get(access: AccessControl, user: SessionContext, names: tuple[str, ...]) -> bool:
    """Whether pruning a reply keeps the node ``names`` (built as a reply would carry it)."""
    data = etree.Element("data")
    parent = data
    for name in names:
        parent = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    access.prune(user, data)
    kept = data
    for name in names:
        found = kept.find(f"{{{NAMESPACE}}}{name}")
        if found is None:
            return False
        kept = found
    return True


NODES = [
    ("smart-upgrade",),
    ("smart-upgrade", "url"),
    ("smart-upgrade", "upgrade-information"),
    ("smart-upgrade", "upgrade-information", "upgrade-status"),
    ("smart-upgrade", "version-information", "check-result"),
]


@pytest.mark.parametrize("names", NODES)
def test_may_read_answers_as_pruning_a_get_does(
    datastores: Datastores, names: tuple[str, ...]
) -> None:
    access = AccessControl(datastores)
    datastores.system_edit(_hide_upgrade_information)
    for user in (ADMIN, OPERATOR):
        assert access.may_read(user, SU, names) == _kept_by_a_get(access, user, names), user


def test_a_path_rule_hides_a_container_and_what_is_in_it(datastores: Datastores) -> None:
    access = AccessControl(datastores)
    datastores.system_edit(_hide_upgrade_information)
    assert access.may_read(ADMIN, SU, ("smart-upgrade", "url"))
    assert not access.may_read(ADMIN, SU, ("smart-upgrade", "upgrade-information"))
    assert not access.may_read(
        ADMIN, SU, ("smart-upgrade", "upgrade-information", "upgrade-status")
    )
    # the factory rules: nothing of smart upgrade below level 3
    assert not access.may_read(OPERATOR, SU, ("smart-upgrade", "url"))


def test_asking_counts_nothing_a_refused_operation_is_counted(datastores: Datastores) -> None:
    access = AccessControl(datastores)
    download = etree.QName(NAMESPACE, "download")
    assert access.may_exec(ADMIN, download)
    assert not access.may_exec(OPERATOR, download)
    assert access.denied_operations == 0
    access.check_exec(ADMIN, etree.Element(download))
    with pytest.raises(AccessDeniedError):
        access.check_exec(OPERATOR, etree.Element(download))
    assert access.denied_operations == 1
