"""RFC 8341 decisions on /nacm configurations, without a server."""

from __future__ import annotations

import pytest

from smartupgrade_server.datastore.diff import Step
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.nacm.rules import (
    NACM,
    Access,
    NacmConfig,
    RulePathError,
    Sensitivity,
    level_groups,
    parse_config,
    parse_path,
)

MODULES = {"su": "sunc-smart-upgrade", "sunc-smart-upgrade": "sunc-smart-upgrade"}
SU = "sunc-smart-upgrade"
URL = (Step(SU, "smart-upgrade"), Step(SU, "url"))


def factory() -> NacmConfig:
    return parse_config(factory_nacm()[NACM], MODULES)


def test_a_level_n_user_is_in_every_group_up_to_n() -> None:
    assert level_groups(0) == ("level-0",)
    assert level_groups(3) == ("level-0", "level-1", "level-2", "level-3")


@pytest.mark.parametrize("level", [0, 1, 2])
def test_the_factory_rules_deny_smart_upgrade_below_level_3(level: int) -> None:
    config = factory()
    groups = config.groups_of("operator", level_groups(level))
    assert not config.may_exec(groups, SU, "download", Sensitivity.DEFAULT_DENY_ALL)
    assert not config.may_exec(groups, SU, "refresh", Sensitivity.DEFAULT_DENY_ALL)
    assert not config.may_access(groups, URL, Access.READ, Sensitivity.DEFAULT_DENY_ALL)
    assert not config.may_access(groups, URL, Access.UPDATE, Sensitivity.DEFAULT_DENY_ALL)
    assert not config.may_receive(groups, SU, "download-progress", Sensitivity.NONE)
    # NETCONF itself stays usable
    assert config.may_exec(groups, "ietf-netconf", "get", Sensitivity.NONE)


def test_the_factory_rules_permit_level_3_everything() -> None:
    config = factory()
    groups = config.groups_of("admin", level_groups(3))
    assert config.may_exec(groups, SU, "right-now", Sensitivity.DEFAULT_DENY_ALL)
    assert config.may_access(groups, URL, Access.CREATE, Sensitivity.DEFAULT_DENY_ALL)
    assert config.may_receive(groups, SU, "download-progress", Sensitivity.DEFAULT_DENY_ALL)


def test_without_a_matching_rule_the_extensions_then_the_defaults_decide() -> None:
    config = parse_config({}, MODULES)
    groups = config.groups_of("nobody", ())
    assert config.may_access(groups, URL, Access.READ, Sensitivity.DEFAULT_DENY_WRITE)
    assert not config.may_access(groups, URL, Access.READ, Sensitivity.DEFAULT_DENY_ALL)
    assert not config.may_access(groups, URL, Access.UPDATE, Sensitivity.NONE)
    assert config.may_exec(groups, SU, "refresh", Sensitivity.NONE)
    assert not config.may_exec(groups, SU, "refresh", Sensitivity.DEFAULT_DENY_ALL)


def test_a_path_rule_covers_the_node_and_its_descendants_and_checks_keys() -> None:
    raw = {
        "groups": {"group": [{"name": "ops", "user-name": ["alice"]}]},
        "rule-list": [
            {
                "name": "ops",
                "group": ["ops"],
                "rule": [
                    {
                        "name": "houp-policy",
                        "path": "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='houp']",
                        "access-operations": "update",
                        "action": "permit",
                    },
                    {
                        "name": "url",
                        "path": "/su:smart-upgrade/url",
                        "access-operations": "*",
                        "action": "permit",
                    },
                ],
            }
        ],
    }
    config = parse_config(raw, {**MODULES, "sslp": "sunc-ssl-policy"})
    groups = config.groups_of("alice", ())
    assert groups == {"ops"}
    policy = (Step("sunc-ssl-policy", "ssl-policies"),)
    houp = (*policy, Step("sunc-ssl-policy", "ssl-policy", {"name": "houp"}))
    other = (*policy, Step("sunc-ssl-policy", "ssl-policy", {"name": "other"}))
    ca = (*houp, Step("sunc-ssl-policy", "trusted-ca"))
    assert config.may_access(groups, ca, Access.UPDATE, Sensitivity.DEFAULT_DENY_WRITE)
    assert not config.may_access(groups, other, Access.UPDATE, Sensitivity.NONE)
    assert not config.may_access(groups, ca, Access.DELETE, Sensitivity.NONE)
    assert config.may_access(groups, URL, Access.DELETE, Sensitivity.DEFAULT_DENY_ALL)


def test_external_groups_can_be_switched_off() -> None:
    config = parse_config({"enable-external-groups": False}, MODULES)
    assert config.groups_of("admin", level_groups(3)) == frozenset()


def test_rule_paths_use_module_prefixes_or_names() -> None:
    assert parse_path("/su:smart-upgrade/su:url", MODULES) == URL
    assert parse_path("/sunc-smart-upgrade:smart-upgrade/url", MODULES) == URL
    assert parse_path("/", MODULES) == ()
    with pytest.raises(RulePathError):
        parse_path("/xx:smart-upgrade", MODULES)
    with pytest.raises(RulePathError):
        parse_path("smart-upgrade", MODULES)
