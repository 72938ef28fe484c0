"""The one diff of two configurations: topmost changes with their paths and
instance-identifiers, list entries matched by key, moves, opaque changes, and the expansion
of a created subtree that access control walks."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import Change, ChangeKind, Step, diff, expand

SMART = "sunc-smart-upgrade:smart-upgrade"
POLICIES = "sunc-ssl-policy:ssl-policies"
NACM = "ietf-netconf-acm:nacm"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"


def policies(*names: str, **trusted: list[str]) -> RawObject:
    return {
        POLICIES: {
            "ssl-policy": [
                {"name": name, **({"trusted-ca": trusted[name]} if name in trusted else {})}
                for name in names
            ]
        }
    }


def kinds(schema: Schema, old: RawObject, new: RawObject) -> list[tuple[ChangeKind, str]]:
    return [(change.kind, change.instance) for change in diff(schema, old, new).changes]


def test_a_leaf_created_updated_and_deleted(schema: Schema) -> None:
    base = {SMART: {"url": "a"}}
    assert kinds(schema, base, {SMART: {"url": "b", "https-port": 8443}}) == [
        (ChangeKind.UPDATE, "/su:smart-upgrade/su:url"),
        (ChangeKind.CREATE, "/su:smart-upgrade/su:https-port"),
    ]
    assert kinds(schema, base, {SMART: {}}) == [(ChangeKind.DELETE, "/su:smart-upgrade/su:url")]


def test_a_created_subtree_is_one_change_that_expand_walks(schema: Schema) -> None:
    new = policies("a", "b", a=[CA])
    (created,) = diff(schema, {}, new).changes
    assert (created.kind, created.instance, created.new) == (
        ChangeKind.CREATE,
        "/sslp:ssl-policies",
        new[POLICIES],
    )
    assert created.path == (Step("sunc-ssl-policy", "ssl-policies"),)
    inside = [(c.kind, c.instance) for c in expand(schema, created)]
    entry_a = "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='a']"
    entry_b = "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='b']"
    assert inside == [
        (ChangeKind.CREATE, "/sslp:ssl-policies"),
        (ChangeKind.CREATE, entry_a),
        (ChangeKind.CREATE, f"{entry_a}/sslp:name"),
        (ChangeKind.CREATE, f"{entry_a}/sslp:trusted-ca"),
        (ChangeKind.CREATE, entry_b),
        (ChangeKind.CREATE, f"{entry_b}/sslp:name"),
    ]
    names = [c.names for c in expand(schema, created)]
    assert names[2] == (
        "sunc-ssl-policy:ssl-policies",
        "sunc-ssl-policy:ssl-policy",
        "sunc-ssl-policy:name",
    )


def test_list_entries_are_matched_by_key_whatever_their_order(schema: Schema) -> None:
    old = policies("a", "b", "c", b=[CA])
    new = policies("c", "b", "d")
    assert kinds(schema, old, new) == [
        (ChangeKind.DELETE, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='a']"),
        (ChangeKind.DELETE, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='b']/sslp:trusted-ca"),
        (ChangeKind.CREATE, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='d']"),
    ]
    (created,) = [c for c in diff(schema, old, new).changes if c.kind is ChangeKind.CREATE]
    assert created.path[-1] == Step("sunc-ssl-policy", "ssl-policy", {"name": "d"})


def test_a_leaf_list_changes_as_a_whole(schema: Schema) -> None:
    other = CA.replace("MIIB", "MIIC")
    assert kinds(schema, policies("a", a=[CA]), policies("a", a=[other, CA])) == [
        (ChangeKind.UPDATE, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='a']/sslp:trusted-ca")
    ]


def test_a_reordered_user_ordered_list_is_one_move_naming_the_entries_placed_elsewhere(
    schema: Schema,
) -> None:
    lists = [{"name": n} for n in "abcd"]
    old = {NACM: {"rule-list": lists}}
    new = {NACM: {"rule-list": [lists[0], lists[2], lists[1], {"name": "e"}]}}
    changes = diff(schema, old, new).changes
    assert [(c.kind, c.instance) for c in changes] == [
        (ChangeKind.MOVE, "/nacm:nacm/nacm:rule-list"),
        (ChangeKind.DELETE, "/nacm:nacm/nacm:rule-list[nacm:name='d']"),
        (ChangeKind.CREATE, "/nacm:nacm/nacm:rule-list[nacm:name='e']"),
    ]
    assert [placed.instance for placed in changes[0].moved] == [
        "/nacm:nacm/nacm:rule-list[nacm:name='c']",
        "/nacm:nacm/nacm:rule-list[nacm:name='b']",
    ]
    # the system orders the SSL policies: their order is no change
    assert kinds(schema, policies("a", "b"), policies("b", "a")) == []


def test_what_no_schema_node_describes_is_an_opaque_change_of_its_parent(
    schema: Schema,
) -> None:
    (unknown,) = diff(schema, {SMART: {}}, {SMART: {"colour": "red"}}).changes
    assert (unknown.kind, unknown.instance, unknown.opaque) == (
        ChangeKind.UPDATE,
        "/su:smart-upgrade",
        True,
    )
    (top,) = diff(schema, {}, {"nowhere:thing": 1}).changes
    assert (top.instance, top.opaque) == ("/", True)
    # entries with one key twice, or no list at all
    twice = {POLICIES: {"ssl-policy": [{"name": "a"}, {"name": "a"}]}}
    not_a_list = {POLICIES: {"ssl-policy": {"name": "a"}}}
    for malformed in (twice, not_a_list):
        (change,) = diff(schema, policies("a"), malformed).changes
        assert (change.instance, change.opaque) == ("/sslp:ssl-policies/sslp:ssl-policy", True)
    assert not any(c.opaque for c in diff(schema, {}, policies("a")).changes)


def test_lists_that_gained_entries(schema: Schema) -> None:
    grown = diff(schema, policies("a"), policies("a", "b", "c", c=[CA])).grown
    assert [(g.instance, g.entries) for g in grown] == [("/sslp:ssl-policies/sslp:ssl-policy", 3)]


def test_keys_are_quoted_as_an_instance_identifier_needs(schema: Schema) -> None:
    old: RawObject = {NACM: {"groups": {"group": []}}}
    new = {NACM: {"groups": {"group": [{"name": "it's"}]}}}
    (change,) = diff(schema, old, new).changes
    assert change.instance == '/nacm:nacm/nacm:groups/nacm:group[nacm:name="it\'s"]'


def _configs() -> st.SearchStrategy[RawObject]:
    names = st.sampled_from(["a", "b", "c", "d"])
    entry = st.builds(
        lambda name, cas: {"name": name, **({"trusted-ca": cas} if cas else {})},
        names,
        st.lists(st.sampled_from([CA, CA.replace("B", "C")]), max_size=2, unique=True),
    )
    smart = st.fixed_dictionaries(
        {}, optional={"url": st.sampled_from(["a", "b"]), "https-port": st.sampled_from([1, 2])}
    )
    return st.fixed_dictionaries(
        {},
        optional={
            SMART: smart,
            POLICIES: st.builds(
                # in one order: the system orders them, so their order is no change
                lambda entries: {
                    "ssl-policy": sorted({e["name"]: e for e in entries}.values(), key=str)
                },
                st.lists(entry, max_size=4),
            ),
            NACM: st.builds(
                lambda lists: {"rule-list": [{"name": n} for n in lists]},
                st.lists(names, max_size=4, unique=True),
            ),
        },
    )


@settings(max_examples=200, deadline=None)
@given(_configs(), _configs())
def test_no_change_exactly_when_equal_and_the_inputs_stay_as_they_were(
    schema: Schema, old: RawObject, new: RawObject
) -> None:
    kept: tuple[Any, Any] = (copy.deepcopy(old), copy.deepcopy(new))
    changes = diff(schema, old, new)
    assert bool(changes) == (old != new)
    assert (old, new) == kept
    assert all(isinstance(c, Change) and not c.opaque for c in changes.changes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
    st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=8),
)
def test_entries_an_edit_shares_change_nothing_but_what_changed(
    schema: Schema, names_before: list[str], names_after: list[str]
) -> None:
    """An edit shares the entries it leaves alone: the diff skips the ends both lists share
    by identity, and finds what it finds without that sharing."""
    entries = {name: {"name": name} for name in "abcdefghij"}
    old = {NACM: {"rule-list": [entries[n] for n in names_before]}} if names_before else {}
    new = {NACM: {"rule-list": [entries[n] for n in names_after]}} if names_after else {}

    def found(changes: Any) -> list[tuple[ChangeKind, str, tuple[str, ...]]]:
        return [(c.kind, c.instance, tuple(p.instance for p in c.moved)) for c in changes.changes]

    assert found(diff(schema, old, new)) == found(
        diff(schema, copy.deepcopy(old), copy.deepcopy(new))
    )
