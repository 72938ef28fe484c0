"""YANG patches (RFC 8072) of what changed: the server's edits, applied in order by the SDK's
mirror to the earlier content, give the later one, whatever the change: leaves, containers,
list entries, and the entries of a list and a leaf-list ordered by the user, moved."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from smartupgrade_client.push import YANG_PUSH_NS, PushMirror
from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema, WithDefaults
from smartupgrade_server.datastore.diff import Step, diff
from smartupgrade_server.operations.yang_patch import edits, resource_path, yang_patch

SCHEMA = Schema(data_model(ap_upgrade=True))
NACM = "ietf-netconf-acm:nacm"
POLICIES = "sunc-ssl-policy:ssl-policies"
SU = "sunc-smart-upgrade:smart-upgrade"
CA = "-----BEGIN CERTIFICATE-----\nMIIB{}\n-----END CERTIFICATE-----"

names = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def configurations(draw: st.DrawFn) -> RawObject:
    config: dict[str, Any] = {}
    rule_lists = draw(st.lists(names, unique=True, max_size=4))
    if rule_lists:
        config[NACM] = {
            "rule-list": [
                {
                    "name": name,
                    "group": draw(st.lists(names, unique=True, max_size=2)),
                    "rule": [
                        {
                            "name": rule,
                            "module-name": "*",
                            "action": draw(st.sampled_from(["permit", "deny"])),
                        }
                        for rule in draw(st.lists(names, unique=True, max_size=3))
                    ],
                }
                for name in rule_lists
            ]
        }
        for entry in config[NACM]["rule-list"]:
            if not entry["group"]:
                del entry["group"]
            if not entry["rule"]:
                del entry["rule"]
    policies = draw(st.lists(names, unique=True, max_size=3))
    if policies:
        config[POLICIES] = {
            "ssl-policy": [
                {
                    "name": name,
                    "trusted-ca": [CA.format(i) for i in draw(st.permutations(range(3)))][
                        : draw(st.integers(0, 3))
                    ],
                }
                for name in policies
            ]
        }
        for entry in config[POLICIES]["ssl-policy"]:
            if not entry["trusted-ca"]:
                del entry["trusted-ca"]
    smart_upgrade: dict[str, Any] = {}
    if draw(st.booleans()):
        smart_upgrade["https-port"] = draw(st.integers(1, 65535))
    if draw(st.booleans()):
        smart_upgrade["web-prompt"] = draw(st.booleans())
    if draw(st.booleans()):
        smart_upgrade["schedule"] = {"download-at": "2026-12-01 10:00:00"}
    if smart_upgrade:
        config[SU] = smart_upgrade
    return config


def rendered(raw: RawObject) -> etree._Element:
    value = SCHEMA.model.from_raw(raw).value
    return SCHEMA.render(value, config_only=True, mode=WithDefaults.EXPLICIT)


def mirrored(old: RawObject, new: RawObject) -> PushMirror:
    mirror = PushMirror(1)
    update = etree.Element(f"{{{YANG_PUSH_NS}}}push-update")
    etree.SubElement(update, f"{{{YANG_PUSH_NS}}}id").text = "1"
    etree.SubElement(update, f"{{{YANG_PUSH_NS}}}datastore-contents").extend(list(rendered(old)))
    assert mirror.apply(update)
    change = etree.Element(f"{{{YANG_PUSH_NS}}}push-change-update")
    etree.SubElement(change, f"{{{YANG_PUSH_NS}}}id").text = "1"
    patch = yang_patch(YANG_PUSH_NS, "0", edits(SCHEMA, diff(SCHEMA, old, new), new))
    etree.SubElement(change, f"{{{YANG_PUSH_NS}}}datastore-changes").append(patch)
    assert mirror.apply(change)
    return mirror


def expected(new: RawObject) -> dict[str, str]:
    mirror = PushMirror(1)
    update = etree.Element(f"{{{YANG_PUSH_NS}}}push-update")
    etree.SubElement(update, f"{{{YANG_PUSH_NS}}}id").text = "1"
    etree.SubElement(update, f"{{{YANG_PUSH_NS}}}datastore-contents").extend(list(rendered(new)))
    mirror.apply(update)
    return mirror.leaves()


@settings(max_examples=300, deadline=None)
@given(configurations(), configurations())
def test_the_patch_turns_the_old_content_into_the_new(old: RawObject, new: RawObject) -> None:
    leaves = mirrored(old, new).leaves()
    assert leaves == expected(new)
    assert _ordered(leaves) == _ordered(expected(new))


def _ordered(leaves: dict[str, str]) -> dict[str, list[str]]:
    """The entries of each user-ordered list and leaf-list, in their order."""
    lists: dict[str, list[str]] = {}
    for path in leaves:
        steps = path.split("/")
        for index, step in enumerate(steps):
            if step.partition("=")[0] in ("rule-list", "rule", "trusted-ca"):
                entries = lists.setdefault("/".join(steps[:index]), [])
                if step not in entries:
                    entries.append(step)
    return lists


def test_targets_are_rfc_8040_resource_identifiers() -> None:
    path = (
        Step("ietf-netconf-acm", "nacm"),
        Step("ietf-netconf-acm", "rule-list", {"name": "a/b,c"}),
        Step("ietf-netconf-acm", "rule", {"name": "x=y"}),
    )
    assert resource_path(path) == "/ietf-netconf-acm:nacm/rule-list=a%2Fb%2Cc/rule=x%3Dy"


def test_a_leaf_change_is_a_replace_with_its_value() -> None:
    old = {SU: {"https-port": 443}}
    new = {SU: {"https-port": 8443}}
    (edit,) = edits(SCHEMA, diff(SCHEMA, old, new), new)
    assert (edit.operation, edit.target) == (
        "replace",
        "/sunc-smart-upgrade:smart-upgrade/https-port",
    )
    assert edit.value is not None
    assert etree.tostring(edit.value) == (
        b'<https-port xmlns="urn:smart-upgrade-netconf:yang:sunc-smart-upgrade">8443</https-port>'
    )


def test_a_moved_rule_list_is_a_move_after_its_new_predecessor() -> None:
    old = {NACM: {"rule-list": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    new = {NACM: {"rule-list": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}}
    found = [
        (e.operation, e.target, e.where, e.point)
        for e in edits(SCHEMA, diff(SCHEMA, old, new), new)
    ]
    assert found[0] == ("move", "/ietf-netconf-acm:nacm/rule-list=c", "first", None)
    assert _ordered(mirrored(old, new).leaves()) == {
        "/ietf-netconf-acm:nacm": ["rule-list=c", "rule-list=a", "rule-list=b"]
    }


def test_entries_moved_around_a_created_one() -> None:
    old = {NACM: {"rule-list": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    new = {NACM: {"rule-list": [{"name": "b"}, {"name": "d"}, {"name": "a"}, {"name": "c"}]}}
    assert _ordered(mirrored(old, new).leaves()) == {
        "/ietf-netconf-acm:nacm": ["rule-list=b", "rule-list=d", "rule-list=a", "rule-list=c"]
    }
