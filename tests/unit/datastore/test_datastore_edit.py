"""The edit-config engine on raw configurations: operations, default operations, error options."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption, apply_edit
from smartupgrade_server.netconf.errors import ErrorTag, RpcError

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
SMART = "sunc-smart-upgrade:smart-upgrade"
POLICIES = "sunc-ssl-policy:ssl-policies"

BASE: RawObject = {
    POLICIES: {"ssl-policy": [{"name": "houp"}, {"name": "other"}]},
    SMART: {
        "ssl-policy": "houp",
        "https-port": 8443,
        "schedule": {"download-at": "2030-01-01 00:00:00"},
    },
}


def config(body: str) -> etree._Element:
    return etree.fromstring(f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>')


def su(body: str, attributes: str = "") -> str:
    return f'<smart-upgrade xmlns="{SU}" {attributes}>{body}</smart-upgrade>'


def policies(body: str) -> str:
    return f'<ssl-policies xmlns="{SSLP}">{body}</ssl-policies>'


def edit(schema: Schema, body: str, **options: object) -> RawObject:
    return apply_edit(schema, BASE, config(body), **options).config  # type: ignore[arg-type]


def error_of(schema: Schema, body: str, **options: object) -> RpcError:
    with pytest.raises(RpcError) as caught:
        edit(schema, body, **options)
    return caught.value


def test_merge_sets_leaves_and_keeps_the_rest(schema: Schema) -> None:
    result = edit(schema, su("<https-port>443</https-port><enabled>true</enabled>"))
    assert result[SMART] == {**BASE[SMART], "https-port": 443, "enabled": True}
    assert result[POLICIES] == BASE[POLICIES]


def test_the_target_is_never_modified(schema: Schema) -> None:
    before = repr(BASE)
    edit(schema, su('<schedule nc:operation="delete"/>'))
    assert repr(BASE) == before


def test_replace_of_a_container_drops_what_the_edit_does_not_name(schema: Schema) -> None:
    body = su(
        '<schedule nc:operation="replace"><download-at>2031-01-01 00:00:00</download-at></schedule>'
    )
    assert edit(schema, body)[SMART]["schedule"] == {"download-at": "2031-01-01 00:00:00"}


def test_default_operation_replace_replaces_the_whole_configuration(schema: Schema) -> None:
    result = edit(
        schema, su("<web-prompt>false</web-prompt>"), default_operation=EditOperation.REPLACE
    )
    assert result == {SMART: {"web-prompt": False}}


def test_create_of_an_existing_node_is_data_exists(schema: Schema) -> None:
    error = error_of(schema, su('<https-port nc:operation="create">1</https-port>'))
    assert error.tag is ErrorTag.DATA_EXISTS
    assert error.path == "/su:smart-upgrade/su:https-port"


def test_create_of_a_list_entry(schema: Schema) -> None:
    body = policies('<ssl-policy nc:operation="create"><name>new</name></ssl-policy>')
    assert {"name": "new"} in edit(schema, body)[POLICIES]["ssl-policy"]


def test_delete_of_a_missing_node_is_data_missing_and_remove_is_not(schema: Schema) -> None:
    error = error_of(schema, su('<url nc:operation="delete"/>'))
    assert error.tag is ErrorTag.DATA_MISSING
    assert edit(schema, su('<url nc:operation="remove"/>')) == BASE


def test_delete_of_a_list_entry_by_key(schema: Schema) -> None:
    body = policies('<ssl-policy nc:operation="delete"><name>OTHER</name></ssl-policy>')
    assert edit(schema, body)[POLICIES] == {"ssl-policy": [{"name": "houp"}]}


def test_deleting_the_last_entry_leaves_no_empty_container(schema: Schema) -> None:
    body = su('<schedule nc:operation="delete"/>')
    assert "schedule" not in edit(schema, body)[SMART]
    only_schedule = {SMART: {"schedule": {"download-at": "2030-01-01 00:00:00"}}}
    assert apply_edit(schema, only_schedule, config(body)).config == {}


def test_default_operation_none_touches_only_what_carries_an_operation(schema: Schema) -> None:
    body = su('<https-port>1</https-port><enabled nc:operation="merge">false</enabled>')
    result = edit(schema, body, default_operation=EditOperation.NONE)
    assert result[SMART]["https-port"] == 8443
    assert result[SMART]["enabled"] is False


def test_default_operation_none_on_a_missing_presence_container_is_data_missing(
    schema: Schema,
) -> None:
    body = su(
        '<schedule><reboot-at nc:operation="merge">2030-01-02 00:00:00</reboot-at></schedule>'
    )
    empty: RawObject = {}
    with pytest.raises(RpcError) as caught:
        apply_edit(schema, empty, config(body), EditOperation.NONE)
    assert caught.value.tag is ErrorTag.DATA_MISSING
    assert caught.value.path == "/su:smart-upgrade/su:schedule"


def test_unknown_operation_value_is_bad_attribute(schema: Schema) -> None:
    error = error_of(schema, su('<url nc:operation="upsert">x</url>'))
    assert error.tag is ErrorTag.BAD_ATTRIBUTE


def test_policy_names_are_lower_cased_wherever_they_appear(schema: Schema) -> None:
    body = (
        f'<ssl-policies xmlns="{SSLP}"><ssl-policy><name>MiXeD_1</name></ssl-policy></ssl-policies>'
        + su("<ssl-policy>MIXED_1</ssl-policy>")
    )
    result = edit(schema, body)
    assert {"name": "mixed_1"} in result[POLICIES]["ssl-policy"]
    assert result[SMART]["ssl-policy"] == "mixed_1"


def test_a_key_leaf_repeated_with_its_value_makes_one_entry(schema: Schema) -> None:
    # netconf-console2 --set "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='new']/sslp:name=new"
    body = '<ssl-policy><name>new</name><name nc:operation="merge">new</name></ssl-policy>'
    result = edit(schema, policies(body))
    assert result[POLICIES]["ssl-policy"] == [{"name": "houp"}, {"name": "other"}, {"name": "new"}]


def test_a_leaf_given_twice_with_different_values_is_bad_element(schema: Schema) -> None:
    error = error_of(schema, su("<https-port>1</https-port><https-port>2</https-port>"))
    assert error.tag is ErrorTag.BAD_ELEMENT
    assert error.path == "/su:smart-upgrade/su:https-port"
    result = edit(schema, su("<https-port>7</https-port><https-port>7</https-port>"))
    assert result[SMART]["https-port"] == 7


def test_a_key_given_twice_with_different_values_is_bad_element(schema: Schema) -> None:
    error = error_of(schema, policies("<ssl-policy><name>b</name><name>c</name></ssl-policy>"))
    assert error.tag is ErrorTag.BAD_ELEMENT


def test_elements_without_a_namespace_are_found_by_name(schema: Schema) -> None:
    # Ansible sends hand-written XML; its <config> has no namespace either
    element = etree.fromstring(
        "<config><smart-upgrade><https-port>22</https-port></smart-upgrade></config>"
    )
    assert apply_edit(schema, {}, element).config == {SMART: {"https-port": 22}}


def test_unknown_namespace_and_unknown_element(schema: Schema) -> None:
    assert error_of(schema, '<x xmlns="urn:nowhere"/>').tag is ErrorTag.UNKNOWN_NAMESPACE
    assert error_of(schema, su("<colour>red</colour>")).tag is ErrorTag.UNKNOWN_ELEMENT


def test_state_data_cannot_be_edited(schema: Schema) -> None:
    error = error_of(schema, su("<local-information><esn>1</esn></local-information>"))
    assert error.tag is ErrorTag.UNKNOWN_ELEMENT
    assert error.path == "/su:smart-upgrade/su:local-information"


def test_a_value_that_does_not_parse_is_invalid_value(schema: Schema) -> None:
    error = error_of(schema, su("<https-port>port</https-port>"))
    assert error.tag is ErrorTag.INVALID_VALUE
    assert error.path == "/su:smart-upgrade/su:https-port"


def test_list_entry_without_its_key_is_missing_element(schema: Schema) -> None:
    error = error_of(schema, f'<ssl-policies xmlns="{SSLP}"><ssl-policy/></ssl-policies>')
    assert error.tag is ErrorTag.MISSING_ELEMENT


def test_leaf_list_values_are_added_once_and_deleted_by_value(schema: Schema) -> None:
    pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    add = policies(f"<ssl-policy><name>houp</name><trusted-ca>{pem}</trusted-ca></ssl-policy>")
    once = apply_edit(schema, BASE, config(add)).config
    twice = apply_edit(schema, once, config(add)).config
    assert twice[POLICIES]["ssl-policy"][0]["trusted-ca"] == [pem]
    delete = add.replace("<trusted-ca>", '<trusted-ca nc:operation="delete">')
    assert apply_edit(schema, twice, config(delete)).config == BASE


def test_continue_on_error_applies_the_good_elements_and_returns_every_error(
    schema: Schema,
) -> None:
    body = su(
        '<url nc:operation="delete"/><https-port>99</https-port>'
        '<schedule nc:operation="create"><download-at>2030-01-01 00:00:00</download-at></schedule>'
    )
    result = apply_edit(schema, BASE, config(body), error_option=ErrorOption.CONTINUE_ON_ERROR)
    assert [e.tag for e in result.errors] == [ErrorTag.DATA_MISSING, ErrorTag.DATA_EXISTS]
    assert result.config[SMART]["https-port"] == 99
    assert result.config[SMART]["schedule"] == BASE[SMART]["schedule"]


# --- yang:insert (RFC 7950 §7.7.9, §7.8.6) ------------------------------------------------

YANG = "urn:ietf:params:xml:ns:yang:1"
NACM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NACM = "ietf-netconf-acm:nacm"
PEM_A = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----"
PEM_B = "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----"
ORDERED: RawObject = {
    NACM: {"rule-list": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
    POLICIES: {"ssl-policy": [{"name": "houp", "trusted-ca": [PEM_A, PEM_B]}]},
}


def pem(name: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----"


def rule_list(name: str, attributes: str = "") -> str:
    return (
        f'<nacm xmlns="{NACM_NS}" xmlns:yang="{YANG}" xmlns:n="{NACM_NS}">'
        f"<rule-list {attributes}><name>{name}</name></rule-list></nacm>"
    )


def order(schema: Schema, body: str) -> list[str]:
    result = apply_edit(schema, ORDERED, config(body)).config
    return [entry["name"] for entry in result[NACM]["rule-list"]]


@pytest.mark.parametrize(
    ("name", "attributes", "expected"),
    [
        ("new", "", ["a", "b", "c", "new"]),
        ("new", 'nc:operation="create"', ["a", "b", "c", "new"]),
        ("new", 'yang:insert="first"', ["new", "a", "b", "c"]),
        ("new", 'yang:insert="last"', ["a", "b", "c", "new"]),
        ("new", 'yang:insert="before" yang:key="[n:name=\'b\']"', ["a", "new", "b", "c"]),
        ("new", 'yang:insert="after" yang:key="[n:name=\'c\']"', ["a", "b", "c", "new"]),
        # an existing entry moves on merge and replace, and stays without yang:insert
        ("c", 'yang:insert="first"', ["c", "a", "b"]),
        ("a", 'yang:insert="last"', ["b", "c", "a"]),
        ("a", 'yang:insert="after" yang:key="[n:name=\'b\']"', ["b", "a", "c"]),
        ("c", 'yang:insert="before" yang:key=\'[n:name="a"]\'', ["c", "a", "b"]),
        ("c", 'nc:operation="replace" yang:insert="first"', ["c", "a", "b"]),
        ("b", "", ["a", "b", "c"]),
        ("b", 'yang:insert="after" yang:key="[n:name=\'b\']"', ["a", "b", "c"]),
        # the key without a prefix is the list's own
        ("new", 'yang:insert="before" yang:key="[name=\'a\']"', ["new", "a", "b", "c"]),
    ],
)
def test_insert_places_list_entries(
    schema: Schema, name: str, attributes: str, expected: list[str]
) -> None:
    assert order(schema, rule_list(name, attributes)) == expected


def test_entries_created_in_one_edit_keep_the_order_they_are_given_in(schema: Schema) -> None:
    body = (
        f'<nacm xmlns="{NACM_NS}" xmlns:yang="{YANG}">'
        '<rule-list yang:insert="first"><name>x</name></rule-list>'
        '<rule-list yang:insert="after" yang:key="[name=\'x\']"><name>y</name></rule-list>'
        "</nacm>"
    )
    assert order(schema, body) == ["x", "y", "a", "b", "c"]


def test_insert_places_leaf_list_values(schema: Schema) -> None:
    def values(attributes: str, value: str) -> list[str]:
        body = policies(
            f'<ssl-policy xmlns:yang="{YANG}"><name>houp</name>'
            f"<trusted-ca {attributes}>{value}</trusted-ca></ssl-policy>"
        )
        entry = apply_edit(schema, ORDERED, config(body)).config[POLICIES]["ssl-policy"][0]
        return [ca.split("\n")[1] for ca in entry["trusted-ca"]]

    assert values("", pem("C")) == ["A", "B", "C"]
    assert values('yang:insert="first"', pem("C")) == ["C", "A", "B"]
    # an attribute keeps a newline only as a character reference
    b = pem("B").replace("\n", "&#10;")
    assert values(f'yang:insert="before" yang:value="{b}"', pem("C")) == ["A", "C", "B"]
    assert values('yang:insert="first"', pem("B")) == ["B", "A"]
    assert values(f'yang:insert="after" yang:value="{b}"', pem("A")) == ["B", "A"]


@pytest.mark.parametrize(
    ("attributes", "tag", "attribute", "app_tag"),
    [
        ('yang:insert="middle"', ErrorTag.BAD_ATTRIBUTE, "insert", None),
        ('yang:insert="before"', ErrorTag.MISSING_ATTRIBUTE, "key", None),
        (
            'yang:insert="after" yang:key="[n:name=\'z\']"',
            ErrorTag.BAD_ATTRIBUTE,
            "key",
            "missing-instance",
        ),
        ('yang:insert="after" yang:key="name=a"', ErrorTag.BAD_ATTRIBUTE, "key", None),
        ('yang:insert="after" yang:key="[n:nom=\'a\']"', ErrorTag.BAD_ATTRIBUTE, "key", None),
        ('nc:operation="create" yang:insert="first"', ErrorTag.DATA_EXISTS, None, None),
    ],
)
def test_insert_errors(
    schema: Schema, attributes: str, tag: ErrorTag, attribute: str | None, app_tag: str | None
) -> None:
    with pytest.raises(RpcError) as caught:
        apply_edit(schema, ORDERED, config(rule_list("a", attributes)))
    error = caught.value
    assert (error.tag, error.app_tag) == (tag, app_tag)
    info = {etree.QName(e).localname: e.text for e in error.info}
    assert info.get("bad-attribute") == attribute


def test_insert_on_a_list_the_system_orders_is_an_unknown_attribute(schema: Schema) -> None:
    body = policies(
        f'<ssl-policy xmlns:yang="{YANG}" yang:insert="first"><name>x</name></ssl-policy>'
    )
    error = error_of(schema, body)
    assert error.tag is ErrorTag.UNKNOWN_ATTRIBUTE


def test_what_the_edit_leaves_alone_is_shared_with_the_target(schema: Schema) -> None:
    """The diff then skips it at once: the edit's cost is the edit's size."""
    result = edit(schema, su("<https-port>1</https-port>"))
    assert result[POLICIES] is BASE[POLICIES]
    assert result[SMART]["schedule"] is BASE[SMART]["schedule"]
    assert result[SMART] is not BASE[SMART]


_STEPS = st.sampled_from(
    [
        ('nc:operation="create"', "a"),
        ('nc:operation="create"', "d"),
        ('nc:operation="delete"', "b"),
        ('nc:operation="delete"', "z"),
        ('nc:operation="remove"', "c"),
        ('nc:operation="replace" yang:insert="first"', "c"),
        ('yang:insert="first"', "e"),
        ('yang:insert="last"', "a"),
        ('yang:insert="after" yang:key="[n:name=\'d\']"', "f"),
        ('yang:insert="before" yang:key="[n:name=\'a\']"', "b"),
        ('yang:insert="before" yang:key="[n:name=\'a\']"', "a"),
        ('nc:operation="merge" yang:insert="middle"', "g"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_STEPS, max_size=8))
def test_continue_on_error_is_the_good_elements_applied_alone(
    schema: Schema, steps: list[tuple[str, str]]
) -> None:
    """Each failing element's changes are undone exactly: the result is that of applying,
    one after the other, only the elements that succeed."""
    entries = "".join(
        f"<rule-list {attrs}><name>{name}</name></rule-list>" for attrs, name in steps
    )
    body = f'<nacm xmlns="{NACM_NS}" xmlns:yang="{YANG}" xmlns:n="{NACM_NS}">{entries}</nacm>'
    result = apply_edit(schema, ORDERED, config(body), error_option=ErrorOption.CONTINUE_ON_ERROR)
    expected, failures = ORDERED, 0
    for attrs, name in steps:
        try:
            expected = apply_edit(schema, expected, config(rule_list(name, attrs))).config
        except RpcError:
            failures += 1
    assert result.config == expected
    assert len(result.errors) == failures


NCSRV = "urn:smart-upgrade-netconf:yang:sunc-netconf-server"
X509C2N = "urn:ietf:params:xml:ns:yang:ietf-x509-cert-to-name"
FINGERPRINT = "04:" + ":".join(["ab"] * 32)


def mapping(map_type: str, declarations: str) -> str:
    return (
        f'<netconf-server xmlns="{NCSRV}" {declarations}><tls><client-identity-mappings>'
        f"<cert-to-name><id>1</id><fingerprint>{FINGERPRINT}</fingerprint>"
        f"<map-type>{map_type}</map-type></cert-to-name></client-identity-mappings></tls>"
        "</netconf-server>"
    )


@pytest.mark.parametrize("prefix", ["x509c2n", "c", "anything-else"])
def test_an_identity_is_read_with_whatever_prefix_declares_its_module(
    schema: Schema, prefix: str
) -> None:
    result = edit(schema, mapping(f"{prefix}:common-name", f'xmlns:{prefix}="{X509C2N}"'))
    (entry,) = result["sunc-netconf-server:netconf-server"]["tls"]["client-identity-mappings"][
        "cert-to-name"
    ]
    assert entry["map-type"] == "ietf-x509-cert-to-name:common-name"


@pytest.mark.parametrize(
    ("map_type", "declarations", "tag"),
    [
        # the prefix names no namespace, or no module of the server
        ("x509c2n:common-name", "", ErrorTag.INVALID_VALUE),
        ("u:common-name", 'xmlns:u="urn:example:unknown"', ErrorTag.INVALID_VALUE),
        # the default namespace is the container's: no such identity there
        ("common-name", "", ErrorTag.INVALID_VALUE),
        # not derived from cert-to-name
        ("x:no-such-map", f'xmlns:x="{X509C2N}"', ErrorTag.INVALID_VALUE),
    ],
)
def test_an_identity_that_is_not_one_of_the_base_is_invalid(
    schema: Schema, map_type: str, declarations: str, tag: ErrorTag
) -> None:
    assert error_of(schema, mapping(map_type, declarations)).tag is tag
