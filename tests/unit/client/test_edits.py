"""Configuration edits and the <edit-config>/<get> requests built from them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from smartupgrade_client import edits, messages
from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import NETCONF_NS, InvalidArgument
from smartupgrade_model.model import (
    CONFIG_LEAVES,
    NAMESPACE,
    SSL_POLICY_NAME,
    SSL_POLICY_NAMESPACE,
    UpgradeTarget,
)
from tests.support.xml import canonical
from tests.unit.client.replies import example_elements

SU = f"{{{NAMESPACE}}}"
NC = f"{{{NETCONF_NS}}}"
OPERATION = f"{NC}operation"


def config_of(request: etree._Element) -> etree._Element:
    config = request.find(f"{NC}config")
    assert config is not None
    return config


def only_node(edit: Edit) -> etree._Element:
    """The edited node of a one-edit <edit-config>."""
    config = config_of(messages.edit_config([edit]))
    (top,) = config
    node = top
    for _ in edit.path[1:]:
        (node,) = node
    return node


def without_operations(element: etree._Element) -> bytes:
    """The document an edit builds, its operation attributes left out."""
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if OPERATION in node.attrib:
            del node.attrib[OPERATION]
    etree.cleanup_namespaces(copy)
    return canonical(copy)


def test_every_command_of_the_seed_builds_the_module_example() -> None:
    """config-full.xml lists every configuration command; the edits build that document."""
    ssl_policies, smart_upgrade = example_elements("config-full.xml")
    pem = ssl_policies[0].findtext(f"{{{SSL_POLICY_NAMESPACE}}}trusted-ca")
    assert pem is not None
    request = messages.edit_config(
        [
            edits.create_ssl_policy("HOUP", [pem]),
            edits.create_ssl_policy("empty_policy"),
            edits.set_url("10.10.10.20"),
            edits.set_https_port(10020),
            edits.set_ssl_policy("Houp"),
            edits.disable_verify_server(),
            edits.enable(),
            edits.disable_web_prompt(),
            edits.enable_ap(),
            edits.schedule("2030-12-1 0:00:00", "2030-12-01 02:30:00"),
        ]
    )
    built = list(config_of(request))
    assert [without_operations(e) for e in built] == [
        without_operations(ssl_policies),
        without_operations(smart_upgrade),
    ]


UNDO = [
    edits.undo_url(),
    edits.undo_https_port(),
    edits.undo_ssl_policy(),
    edits.undo_disable_verify_server(),
    edits.undo_disable_web_prompt(),
    edits.disable(),
    edits.disable_ap(),
    edits.unschedule(),
]


@pytest.mark.parametrize("edit", UNDO)
def test_undo_forms_remove_the_node(edit: Edit) -> None:
    node = only_node(edit)
    assert node.get(OPERATION) == "remove"
    assert node.text is None and len(node) == 0


def test_there_is_an_undo_for_every_configuration_leaf() -> None:
    """Each leaf of the module has its undo; the schedule's two leaves share one."""
    schedule = CONFIG_LEAVES["/smart-upgrade/schedule/download-at"].path[:-1]
    leaves = {spec.path for spec in CONFIG_LEAVES.values()}
    expected = {path for path in leaves if path[:-1] != schedule} | {schedule}
    assert {edit.path for edit in UNDO} == expected


def test_schedule_replaces_the_whole_container() -> None:
    node = only_node(edits.schedule("2030-12-01 00:00:00"))
    assert node.get(OPERATION) == "replace"
    assert [child.tag for child in node] == [f"{SU}download-at"]


def test_ssl_policy_delete_names_the_entry() -> None:
    node = only_node(edits.delete_ssl_policy("HOUP"))
    assert node.get(OPERATION) == "delete"
    assert node.findtext(f"{{{SSL_POLICY_NAMESPACE}}}name") == "houp"


def test_two_policies_stay_two_entries() -> None:
    config = config_of(
        messages.edit_config([edits.create_ssl_policy("a"), edits.delete_ssl_policy("b")])
    )
    (policies,) = config
    assert [entry.get(OPERATION) for entry in policies] == ["replace", "delete"]


def test_an_edit_config_needs_an_edit() -> None:
    with pytest.raises(ValueError, match="at least one edit"):
        messages.edit_config([])


def test_edit_config_target() -> None:
    request = messages.edit_config([edits.enable()], target="candidate")
    assert request.find(f"{NC}target/{NC}candidate") is not None


def test_https_port_range_comes_from_the_module() -> None:
    ((low, high),) = CONFIG_LEAVES["/smart-upgrade/https-port"].ranges
    assert only_node(edits.set_https_port(low)).text == str(low)
    assert only_node(edits.set_https_port(high)).text == str(high)
    for port in (low - 1, high + 1):
        with pytest.raises(InvalidArgument) as refused:
            edits.set_https_port(port)
        assert str(refused.value) == (
            f"Invalid value '{port}' for https-port. The HTTPS port must be an integer from "
            f"{low} to {high}."
        )


def test_url_length_comes_from_the_module() -> None:
    ((low, high),) = CONFIG_LEAVES["/smart-upgrade/url"].lengths
    assert only_node(edits.set_url("a" * high)).text == "a" * high
    for length in (low - 1, high + 1):
        with pytest.raises(InvalidArgument) as refused:
            edits.set_url("a" * length)
        assert str(refused.value) == (
            f"Invalid value '{'a' * length}' for url. The URL must be {low} to {high} "
            "characters without spaces: a host name, an IP address or an https:// URL."
        )


@pytest.mark.parametrize(
    "url",
    [
        "s.houp.huawei.cn",
        "10.10.10.20",
        "2001:db8::20",
        "[2001:db8::20]:10020",
        "https://proxy.example.com:8443/houp/",
        "a" * 60 + "." + "b" * 60 + ".cn",
    ],
)
def test_every_form_of_the_seed_s_url_is_taken(url: str) -> None:
    assert only_node(edits.set_url(url)).text == url


def test_policy_names_are_checked_and_lower_cased() -> None:
    ((_, high),) = SSL_POLICY_NAME.lengths
    assert edits.policy_name("My_Policy1") == "my_policy1"
    assert only_node(edits.set_ssl_policy("HOUP")).text == "houp"
    for bad in ("", "a" * (high + 1), "with-dash", "with space"):
        rule = "An SSL policy name must be 1 to 23 letters, digits or underscores (_)."
        with pytest.raises(InvalidArgument) as refused:
            edits.set_ssl_policy(bad)
        assert str(refused.value) == f"Invalid value '{bad}' for ssl-policy. {rule}"
        with pytest.raises(InvalidArgument) as refused:
            edits.create_ssl_policy(bad)
        assert str(refused.value) == f"Invalid value '{bad}' for name. {rule}"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2020-2-13 20:01:24", "2020-02-13 20:01:24"),
        ("2030-12-01 00:00:00", "2030-12-01 00:00:00"),
        (datetime(2031, 1, 2, 3, 4, 5), "2031-01-02 03:04:05"),
    ],
)
def test_schedule_times_are_padded(given: datetime | str, stored: str) -> None:
    assert edits.schedule_time(given) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "2100-01-01 00:00:00",
        "1999-12-31 23:59:59",
        "2030-13-01 00:00:00",
        "2030-12-32 00:00:00",
        "2030-12-01 24:00:00",
        "2030-12-01 00:60:00",
        "2030-12-01",
        "tomorrow",
        datetime(2030, 1, 1, tzinfo=UTC),
    ],
)
def test_schedule_times_outside_the_seed_format_are_refused(bad: datetime | str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        edits.schedule(bad)
    if isinstance(bad, datetime):
        assert str(refused.value) == (
            "smart-upgrade/schedule/download-at: give the switch's local time as a naive datetime"
        )
    else:
        assert str(refused.value) == f"Invalid value '{bad}' for download-at. {TIME_RULE}"


def test_reboot_time_is_checked_too() -> None:
    with pytest.raises(InvalidArgument) as refused:
        edits.schedule("2030-12-01 00:00:00", "2030-12-01 25:00:00")
    assert str(refused.value) == f"Invalid value '2030-12-01 25:00:00' for reboot-at. {TIME_RULE}"


def test_a_date_the_calendar_lacks_is_refused() -> None:
    with pytest.raises(InvalidArgument) as refused:
        edits.schedule("2031-2-29 00:00:00")
    assert str(refused.value) == (
        "Invalid value '2031-2-29 00:00:00' for download-at. The date does not exist: February "
        "2031 has 28 days."
    )


TIME_RULE = (
    "A schedule time must be YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to 2099, "
    "MM from 1 to 12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59."
)


def test_get_filters_on_smart_upgrade() -> None:
    request = messages.get()
    assert request.tag == f"{NC}get"
    (selection,) = request
    assert selection.tag == f"{NC}filter" and selection.get("type") == "subtree"
    (top,) = selection
    assert top.tag == f"{SU}smart-upgrade" and len(top) == 0


def test_get_of_some_containers() -> None:
    (selection,) = messages.get("upgrade-information", ssl_policies=True)
    top, policies = selection
    assert [child.tag for child in top] == [f"{SU}upgrade-information"]
    assert policies.tag == f"{{{SSL_POLICY_NAMESPACE}}}ssl-policies"


def test_get_config_names_its_source() -> None:
    request = messages.get_config("startup")
    assert request.find(f"{NC}source/{NC}startup") is not None
    assert request.find(f"{NC}filter/{SU}smart-upgrade") is not None


def test_rpcs_are_in_the_module_namespace() -> None:
    assert messages.refresh().tag == f"{SU}refresh"
    assert messages.cancel().tag == f"{SU}cancel"
    for build, name in ((messages.download, "download"), (messages.right_now, "right-now")):
        assert len(build()) == 0
        request = build(UpgradeTarget.AP)
        assert request.tag == f"{SU}{name}"
        assert request.findtext(f"{SU}target") == "ap"
