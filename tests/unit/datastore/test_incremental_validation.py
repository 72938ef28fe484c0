"""Validating only what changed gives what validating everything gives: the same error (the same
``<rpc-error>``) or the same instance, for random changes of valid configurations of our
modules and of a test module full of cross-references, ``when``, ``unique``, choices and
expressions whose reads cannot be bounded."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from yangson import DataModel

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.incremental import Validated
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.netconf.errors import RpcError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
SMART = "sunc-smart-upgrade:smart-upgrade"
POLICIES = "sunc-ssl-policy:ssl-policies"
NACM = "ietf-netconf-acm:nacm"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"

TEST_MODULE = """module incr-test {
  yang-version 1.1;
  namespace "urn:test:incr";
  prefix t;
  revision 2026-01-01;

  container top {
    leaf mode { type enumeration { enum a; enum b; } }
    leaf a-only { when "../mode = 'a'"; type string; }
    leaf max { type uint8 { range "0..9"; } }
    list item {
      key name;
      unique "slot";
      max-elements 3;
      leaf name { type string { length "1..3"; } }
      leaf slot {
        type uint8;
        must ". <= ../../max" { error-app-tag slot-too-big; }
      }
      leaf peer { type leafref { path "../../item/name"; } }
      leaf peer-slot {
        type leafref { path "/t:top/t:item[t:name = current()/../t:peer]/t:slot"; }
      }
    }
    leaf-list tags { type string; max-elements 2; ordered-by user; }
    choice kind {
      leaf x { type string; }
      case y {
        when "../mode = 'b'";
        leaf y { type string; }
      }
    }
    container box {
      presence "a box";
      leaf label { type string; mandatory true; }
      leaf few { type string; must "count(../../item) < 3"; }
    }
    leaf first { type leafref { path "../item/name"; } }
    leaf watch { type string; must "not(contains(string(/t:other), 'x'))"; }
    leaf chosen { type string; }
    leaf pick { type leafref { path "../item[name = current()/../chosen]/slot"; } }
    leaf via-deref {
      type string;
      must "not(../first) or not(deref(../first)/../slot = 9)";
    }
  }
  container other {
    leaf mirror { type string; must ". = /t:top/t:mode"; }
    leaf anywhere { type string; must "count(//t:slot) < 3"; }
    leaf note { type string; }
  }
  container status {
    config false;
    leaf up { type boolean; }
  }
}
"""


@pytest.fixture(scope="module")
def test_schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    directory: Path = tmp_path_factory.mktemp("yang")
    (directory / "incr-test@2026-01-01.yang").write_text(TEST_MODULE, encoding="utf-8")
    library = {
        "ietf-yang-library:modules-state": {
            "module-set-id": "incr-test",
            "module": [
                {
                    "name": "incr-test",
                    "revision": "2026-01-01",
                    "namespace": "urn:test:incr",
                    "conformance-type": "implement",
                }
            ],
        }
    }
    return Schema(DataModel(json.dumps(library), [str(directory)]))


def outcome(
    schema: Schema,
    raw: RawObject,
    base: Validated | None = None,
    before: RawObject | None = None,
) -> Any:
    """The error as it goes to a client, or the instance's content."""
    try:
        instance = validated(schema, raw, base=base, before=before)
    except RpcError as error:
        return etree.tostring(error.to_xml())
    return instance.raw_value()


def edited(rng: random.Random, base: RawObject, fresh: RawObject) -> RawObject:
    """``base`` with one to three changes somewhere in it, from ``fresh`` where it has the
    same member (a value, a subtree, a list entry), or a member removed or an entry moved."""
    new = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        change(rng, new, fresh)
    return new


def change(rng: random.Random, node: RawObject, other: Any) -> None:
    other = other if isinstance(other, dict) else {}
    names = list(dict.fromkeys([*node, *other]))
    if not names:
        return
    name = rng.choice(names)
    here, there = node.get(name), other.get(name)
    draw = rng.random()
    if isinstance(here, dict) and draw < 0.6:
        change(rng, here, there)
    elif isinstance(here, list) and here and draw < 0.6:
        entries = there if isinstance(there, list) and there else [None]
        index = rng.randrange(len(here))
        pick = rng.random()
        if pick < 0.4 and isinstance(here[index], dict):
            change(rng, here[index], rng.choice(entries))
        elif pick < 0.6:
            del here[index]
        elif pick < 0.8 and entries != [None]:
            here.insert(rng.randrange(len(here) + 1), copy.deepcopy(rng.choice(entries)))
        else:
            here.insert(rng.randrange(len(here) + 1), here.pop(index))
        if not here:
            del node[name]
    elif name in other and draw < 0.85:
        node[name] = copy.deepcopy(there)
    else:
        node.pop(name, None)


def check_chain(schema: Schema, start: RawObject, fresh: list[RawObject], seed: int) -> None:
    """From ``start`` (valid), each step mixes in a fresh configuration: validating it against
    the last valid one gives what validating it whole gives; a valid one is the next base."""
    rng = random.Random(seed)
    base_raw = copy.deepcopy(start)
    base = Validated(base_raw, validated(schema, base_raw))
    for other in fresh:
        raw = edited(rng, base.raw, other)
        whole = outcome(schema, raw)
        assert outcome(schema, raw, base) == whole, raw
        if not isinstance(whole, bytes):
            base = Validated(raw, validated(schema, raw, base=base))


# --- the test module ------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "dddd"])
SLOTS = st.sampled_from([1, 2, 4, 9])
ITEM = st.fixed_dictionaries(
    {"name": NAMES},
    optional={"slot": SLOTS, "peer": st.sampled_from(["a", "b", "zz"]), "peer-slot": SLOTS},
)
TOP = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["a", "b", "c"]),
        "a-only": st.just("s"),
        "max": st.sampled_from([1, 4, 9, 12]),
        "item": st.lists(ITEM, max_size=4),
        "tags": st.lists(st.sampled_from(["p", "q", "r"]), max_size=3),
        "x": st.just("x"),
        "y": st.just("y"),
        "box": st.fixed_dictionaries({}, optional={"label": st.just("l"), "few": st.just("f")}),
        "first": NAMES,
        "watch": st.just("w"),
        "chosen": NAMES,
        "pick": SLOTS,
        "via-deref": st.just("v"),
    },
)
OTHER = st.fixed_dictionaries(
    {},
    optional={
        "mirror": st.sampled_from(["a", "b"]),
        "anywhere": st.just("w"),
        "note": st.sampled_from(["n", "x"]),
    },
)
TEST_CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "incr-test:top": TOP,
        "incr-test:other": OTHER,
        "incr-test:status": st.just({"up": True}),
    },
)
VALID_TEST_CONFIG: RawObject = {
    "incr-test:top": {
        "mode": "a",
        "a-only": "s",
        "max": 4,
        "item": [{"name": "a", "slot": 1}, {"name": "b", "slot": 2, "peer": "a", "peer-slot": 1}],
        "tags": ["p"],
        "x": "x",
        "box": {"label": "l", "few": "f"},
        "first": "a",
        "watch": "w",
        "chosen": "a",
        "pick": 1,
        "via-deref": "v",
    },
    "incr-test:other": {"mirror": "a", "anywhere": "w", "note": "n"},
}


@settings(max_examples=150, deadline=None)
@given(fresh=st.lists(TEST_CONFIG, min_size=1, max_size=8), seed=st.integers(0, 2**32))
def test_test_module_changes_validate_as_the_whole(
    test_schema: Schema, fresh: list[RawObject], seed: int
) -> None:
    check_chain(test_schema, VALID_TEST_CONFIG, fresh, seed)


def test_the_test_module_is_valid_and_every_kind_of_error_is_reachable(
    test_schema: Schema,
) -> None:
    top = VALID_TEST_CONFIG["incr-test:top"]
    assert not isinstance(outcome(test_schema, VALID_TEST_CONFIG), bytes)
    base = Validated(VALID_TEST_CONFIG, validated(test_schema, VALID_TEST_CONFIG))
    broken = [
        {**top, "max": 1},  # a must of other list entries than the one changed
        {**top, "mode": "b"},  # a-only's when, and other/mirror's must in another container
        {**top, "item": [*top["item"], {"name": "c", "slot": 1}]},  # unique, box's count
        {**top, "item": [top["item"][1]]},  # leafrefs to the removed entry
        {**top, "item": [{"name": "a", "slot": 9}, top["item"][1]]},  # must through deref()
        {**top, "box": {"few": "f"}},  # a mandatory leaf
        {**top, "y": "y"},  # a second case of the choice
        {**top, "chosen": "b"},  # a leafref's predicate reads a leaf outside the list
    ]
    changes: list[RawObject] = [{"incr-test:top": top} for top in broken]
    # the value of a whole container read by an expression in another one
    changes.append({"incr-test:other": {**VALID_TEST_CONFIG["incr-test:other"], "note": "x"}})
    for change in changes:
        raw = {**VALID_TEST_CONFIG, **change}
        whole = outcome(test_schema, raw)
        assert isinstance(whole, bytes), change
        assert outcome(test_schema, raw, base) == whole


# --- our modules --------------------------------------------------------------------------


def full_config() -> RawObject:
    return {
        **factory_nacm(),
        POLICIES: {"ssl-policy": [{"name": "houp", "trusted-ca": [PEM]}, {"name": "empty_policy"}]},
        SMART: {
            "url": "10.10.10.20",
            "https-port": 10020,
            "ssl-policy": "houp",
            "verify-server": False,
            "enabled": True,
            "web-prompt": False,
            "ap": {"enabled": True},
            "schedule": {"download-at": "2030-12-01 00:00:00", "reboot-at": "2030-12-01 02:30:00"},
        },
    }


RULE = st.fixed_dictionaries(
    {"name": st.sampled_from(["r1", "r2"])},
    optional={
        "module-name": st.sampled_from(["*", "sunc-smart-upgrade"]),
        "access-operations": st.sampled_from(["*", "read", "bogus"]),
        "action": st.sampled_from(["permit", "deny", "maybe"]),
        "path": st.just("/su:smart-upgrade"),
        "rpc-name": st.just("refresh"),
    },
)
OUR_CONFIG = st.fixed_dictionaries(
    {},
    optional={
        SMART: st.fixed_dictionaries(
            {},
            optional={
                "url": st.sampled_from(["h.example", "", "x" * 128]),
                "https-port": st.sampled_from([443, 0, 65536]),
                "ssl-policy": st.sampled_from(["houp", "empty_policy", "nope"]),
                "enabled": st.booleans(),
                "verify-server": st.booleans(),
                "ap": st.fixed_dictionaries({}, optional={"enabled": st.booleans()}),
                "schedule": st.fixed_dictionaries(
                    {},
                    optional={
                        "download-at": st.sampled_from(
                            ["2030-12-01 00:00:00", "2030-13-01 00:00:00"]
                        ),
                        "reboot-at": st.sampled_from(
                            ["2030-11-30 00:00:00", "2030-12-02 00:00:00"]
                        ),
                    },
                ),
                "version-information": st.just({}),
            },
        ),
        POLICIES: st.fixed_dictionaries(
            {},
            optional={
                "ssl-policy": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["houp", "empty_policy", "bad-name"])},
                        optional={"trusted-ca": st.lists(st.sampled_from([PEM, "nope"]))},
                    ),
                    max_size=3,
                )
            },
        ),
        NACM: st.fixed_dictionaries(
            {},
            optional={
                "write-default": st.sampled_from(["permit", "deny", "bogus"]),
                "enable-nacm": st.booleans(),
                "rule-list": st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["l1", "l2"])},
                        optional={"group": st.just(["level-3"]), "rule": st.lists(RULE)},
                    ),
                    max_size=2,
                ),
                "denied-operations": st.just(1),
            },
        ),
        "sunc-smart-upgrade:unknown": st.just({}),
    },
)


@settings(max_examples=150, deadline=None)
@given(fresh=st.lists(OUR_CONFIG, min_size=1, max_size=8), seed=st.integers(0, 2**32))
def test_changes_of_our_modules_validate_as_the_whole(
    schema: Schema, fresh: list[RawObject], seed: int
) -> None:
    check_chain(schema, full_config(), fresh, seed)


def config(body: str) -> etree._Element:
    return etree.fromstring(f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>')


def delete_houp(raw: RawObject) -> None:
    raw[POLICIES]["ssl-policy"].pop(0)


def unbind_policy(raw: RawObject) -> None:
    raw[SMART].pop("ssl-policy")


def disable(raw: RawObject) -> None:
    raw[SMART]["enabled"] = False


def reboot_first(raw: RawObject) -> None:
    raw[SMART]["schedule"]["reboot-at"] = "2030-11-30 00:00:00"


@pytest.mark.parametrize(
    ("edit", "change", "app_tag"),
    [
        # smart-upgrade's leafref into the ssl-policy module
        (
            f'<ssl-policies xmlns="{SSLP}"><ssl-policy nc:operation="delete"><name>houp</name>'
            "</ssl-policy></ssl-policies>",
            delete_houp,
            "instance-required",
        ),
        (
            f'<smart-upgrade xmlns="{SU}"><ssl-policy nc:operation="delete"/></smart-upgrade>',
            unbind_policy,
            "ssl-policy-not-bound",
        ),
        # ap/enabled's must reads the leaf changed, outside its own container
        (
            f'<smart-upgrade xmlns="{SU}"><enabled>false</enabled></smart-upgrade>',
            disable,
            "smart-upgrade-not-enabled",
        ),
        (
            f'<smart-upgrade xmlns="{SU}"><schedule><reboot-at>2030-11-30 00:00:00</reboot-at>'
            "</schedule></smart-upgrade>",
            reboot_first,
            "reboot-not-after-download",
        ),
    ],
)
def test_an_invalid_edit_of_a_validated_candidate_is_refused_and_changes_nothing(
    datastores: Datastores, edit: str, change: Any, app_tag: str
) -> None:
    datastores.copy(DatastoreName.CANDIDATE, full_config(), 1)
    datastores.edit(DatastoreName.CANDIDATE, config(f'<smart-upgrade xmlns="{SU}"/>'), 1)
    before = datastores.instance(DatastoreName.CANDIDATE)
    before_raw = copy.deepcopy(datastores.raw_view(DatastoreName.CANDIDATE))
    with pytest.raises(RpcError) as caught:
        datastores.edit(DatastoreName.CANDIDATE, config(edit), 1)
    assert caught.value.app_tag == app_tag
    whole = full_config()
    change(whole)
    # worded by what the edit changed, as whole validation words it given the same before
    assert etree.tostring(caught.value.to_xml()) == outcome(
        datastores.schema, whole, before=before_raw
    )
    assert datastores.instance(DatastoreName.CANDIDATE) is before
    assert datastores.raw_view(DatastoreName.CANDIDATE) == before_raw


def test_unchanged_top_level_members_keep_their_converted_values(schema: Schema) -> None:
    raw = full_config()
    base = Validated(raw, validated(schema, raw))
    edited = {**raw, SMART: {**raw[SMART], "https-port": 8443}}
    instance = validated(schema, edited, base=base)
    assert instance.value[NACM] is base.instance.value[NACM]
    assert instance.value[SMART] is not base.instance.value[SMART]
    assert instance.raw_value() == validated(schema, edited).raw_value()
