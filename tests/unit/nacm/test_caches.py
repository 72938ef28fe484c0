"""What NACM and the config-change notification keep between requests follows ``running``:
a change of the rules decides the next request, and each notification names the edits of its
own commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.authorize import Write
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import diff
from smartupgrade_server.datastore.persistence import save_config
from smartupgrade_server.datastore.store import STARTUP_FILE, DatastoreName, Datastores
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.nacm.rules import NACM, NacmConfig, level_groups, parse_config
from smartupgrade_server.netconf.errors import AccessDeniedError
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.operations.notifications import NotificationStream
from tests.support.manual_scheduler import ManualScheduler

SU = "sunc-smart-upgrade"
SMART = f"{SU}:smart-upgrade"
ADMIN = SessionContext(1, "admin", 3, "192.0.2.9:1234")
DENY_SMART_UPGRADE_TO_ADMIN = {
    "name": "no-smart-upgrade",
    "group": ["level-3"],
    "rule": [
        {
            "name": "deny-smart-upgrade",
            "module-name": SU,
            "access-operations": "*",
            "action": "deny",
        }
    ],
}


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def call_at(self, when: datetime, callback: Callable[[], Awaitable[None]]) -> Any:
        raise AssertionError("no subscription stops in these tests")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema(data_model(ap_upgrade=True))


@pytest.fixture
def datastores(schema: Schema, tmp_path: Path) -> Datastores:
    save_config(tmp_path / STARTUP_FILE, {**factory_nacm(), SMART: {"url": "192.0.2.1"}})
    return Datastores(schema, tmp_path, ManualScheduler())


def authorize(access: AccessControl, user: SessionContext, old: RawObject, new: RawObject) -> None:
    """NACM's authorize step of a write of running from ``old`` to ``new``."""
    access.authorize(Write(user, "running", old, new, diff(access.schema, old, new)))


def _deny_smart_upgrade_first(config: RawObject) -> None:
    config[NACM]["rule-list"].insert(0, DENY_SMART_UPGRADE_TO_ADMIN)


def _reply(schema: Schema) -> etree._Element:
    ns = schema.namespace_of_module[SU]
    data = etree.Element("data")
    smart = etree.SubElement(data, f"{{{ns}}}smart-upgrade")
    etree.SubElement(smart, f"{{{ns}}}url").text = "192.0.2.1"
    return data


def test_a_permit_all_rule_reads_everything_unless_a_rule_before_it_decides() -> None:
    config = parse_config(factory_nacm()[NACM], {SU: SU})
    assert config.reads_everything(config.groups_of("admin", level_groups(3)))
    assert not config.reads_everything(config.groups_of("operator", level_groups(2)))
    raw = factory_nacm()
    _deny_smart_upgrade_first(raw)
    denied = parse_config(raw[NACM], {SU: SU})
    assert not denied.reads_everything(denied.groups_of("admin", level_groups(3)))


def test_a_permit_all_rule_writes_everything_unless_a_rule_before_it_decides_a_write() -> None:
    config = parse_config(factory_nacm()[NACM], {SU: SU})
    assert config.writes_everything(config.groups_of("admin", level_groups(3)))
    assert not config.writes_everything(config.groups_of("operator", level_groups(2)))

    def first(rule: RawObject) -> NacmConfig:
        raw = factory_nacm()
        raw[NACM]["rule-list"].insert(0, {"name": "first", "group": ["level-3"], "rule": [rule]})
        return parse_config(raw[NACM], {SU: SU})

    admin = level_groups(3)
    read_only = first({"name": "r", "access-operations": "read", "action": "deny"})
    assert read_only.writes_everything(read_only.groups_of("admin", admin))
    for access in ("delete", "create update"):
        denied = first({"name": "d", "module-name": SU, "access-operations": access})
        assert not denied.writes_everything(denied.groups_of("admin", admin))


def test_rules_changed_in_running_decide_the_next_read(datastores: Datastores) -> None:
    access = AccessControl(datastores)
    before = _reply(datastores.schema)
    access.prune(ADMIN, before)
    assert len(before) == 1

    datastores.system_edit(_deny_smart_upgrade_first)

    after = _reply(datastores.schema)
    access.prune(ADMIN, after)
    assert len(after) == 0


def test_rules_changed_in_running_decide_the_next_exec(datastores: Datastores) -> None:
    access = AccessControl(datastores)
    refresh = etree.Element(f"{{{datastores.schema.namespace_of_module[SU]}}}refresh")
    access.check_exec(ADMIN, refresh)
    access.check_exec(ADMIN, refresh)

    datastores.system_edit(_deny_smart_upgrade_first)

    with pytest.raises(AccessDeniedError):
        access.check_exec(ADMIN, refresh)


def test_rules_changed_in_running_decide_the_next_write(datastores: Datastores) -> None:
    access = AccessControl(datastores)
    old = datastores.raw(DatastoreName.RUNNING)
    new = {**old, SMART: {"url": "192.0.2.2"}}
    authorize(access, ADMIN, old, new)

    datastores.system_edit(_deny_smart_upgrade_first)

    with pytest.raises(AccessDeniedError):
        authorize(access, ADMIN, datastores.raw(DatastoreName.RUNNING), new)


def test_moving_rule_lists_needs_update_access_to_those_moved(datastores: Datastores) -> None:
    """The order of rule-lists decides; a user who may only update one of them (through a
    rule of the factory's 'management-level' list) may not reorder the others."""
    access = AccessControl(datastores)
    may_update_first = {
        "name": "operators",
        "group": ["level-2"],
        "rule": [
            {
                "name": "first-list",
                "path": "/ietf-netconf-acm:nacm/rule-list[name='operators']",
                "access-operations": "update",
                "action": "permit",
            }
        ],
    }
    datastores.system_edit(lambda config: config[NACM]["rule-list"].insert(0, may_update_first))
    operator = SessionContext(2, "operator", 2, "192.0.2.9:1234")
    old = datastores.raw(DatastoreName.RUNNING)
    lists = old[NACM]["rule-list"]
    moved = {**old, NACM: {**old[NACM], "rule-list": [lists[1], lists[0], *lists[2:]]}}
    with pytest.raises(AccessDeniedError) as denied:
        authorize(access, operator, old, moved)
    assert denied.value.path == "/nacm:nacm/nacm:rule-list[nacm:name='management-level']"
    authorize(access, ADMIN, old, moved)


def _edits(stream: NotificationStream) -> list[tuple[str, str]]:
    ns = stream.schema.namespace_of_module["ietf-netconf-notifications"]
    content = stream.log[-1].content
    assert etree.QName(content).localname == "netconf-config-change"
    return [
        (edit.findtext(f"{{{ns}}}target") or "", edit.findtext(f"{{{ns}}}operation") or "")
        for edit in content.iterfind(f"{{{ns}}}edit")
    ]


def test_each_config_change_notification_names_its_own_commit_s_edits(
    datastores: Datastores,
) -> None:
    stream = NotificationStream(datastores.schema, _Clock())
    datastores.subscribe(stream)
    url = "/su:smart-upgrade/su:url"
    port = "/su:smart-upgrade/su:https-port"

    datastores.system_edit(lambda config: config[SMART].update({"url": "192.0.2.2"}))
    assert _edits(stream) == [(url, "replace")]

    datastores.system_edit(lambda config: config[SMART].update({"https-port": 8443}))
    assert _edits(stream) == [(port, "create")]

    datastores.system_edit(lambda config: config[SMART].pop("url"))
    assert _edits(stream) == [(url, "delete")]


def test_a_config_change_goes_without_the_edits_its_reader_may_not_read(
    datastores: Datastores,
) -> None:
    """Each edit is judged on the data path the diff gave it; edits without one are not
    shown (fail-closed)."""
    access = AccessControl(datastores)
    stream = NotificationStream(datastores.schema, _Clock(), access)
    datastores.subscribe(stream)
    policies = {"sunc-ssl-policy:ssl-policies": {"ssl-policy": [{"name": "a"}]}}
    datastores.system_edit(lambda config: config.update({SMART: {"url": "x"}, **policies}))
    logged = stream.log[-1]
    operator = SessionContext(2, "operator", 2, "192.0.2.9:1234")
    ns = datastores.schema.namespace_of_module["ietf-netconf-notifications"]

    def targets(content: etree._Element | None) -> list[str]:
        assert content is not None
        return [
            edit.findtext(f"{{{ns}}}target") or "" for edit in content.iterfind(f"{{{ns}}}edit")
        ]

    assert targets(access.readable(ADMIN, logged.content, logged.edits)) == [
        "/su:smart-upgrade/su:url",
        "/sslp:ssl-policies",
    ]
    assert targets(access.readable(operator, logged.content, logged.edits)) == [
        "/sslp:ssl-policies"
    ]
    assert targets(access.readable(operator, logged.content, ())) == []
