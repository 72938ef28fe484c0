"""Subtree (RFC 6241 §6) and XPath (§8.9) filtering over lxml data trees."""

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from smartupgrade_server.datastore.filters import (
    MAX_FILTER_NODES,
    MAX_XPATH_VISITS,
    FilterContext,
    SubtreeFilter,
    XPathFilter,
    parse_filter,
    subtree_filter,
    superlinear,
    xpath_filter,
    xpath_nesting,
    xpath_visits,
)
from smartupgrade_server.netconf.errors import (
    BadAttributeError,
    ErrorTag,
    ErrorType,
    InvalidValueError,
    MissingAttributeError,
    RpcError,
)

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
CONFIG_NS = "http://example.com/schema/1.2/config"
STATS_NS = "http://example.com/schema/1.2/stats"
SU_NS = "urn:sunc:smart-upgrade"
SSL_NS = "urn:sunc:ssl-policy"

Shape = tuple[str, tuple[tuple[str, str], ...], str, tuple["Shape", ...]]


def xml(text: str) -> etree._Element:
    return etree.fromstring(text.strip())


def shape(element: etree._Element) -> Shape:
    """Tag, attributes, stripped text and child shapes: equality up to prefixes and layout."""
    return (
        str(element.tag),
        tuple(sorted((str(k), str(v)) for k, v in element.attrib.items())),
        (element.text or "").strip(),
        tuple(shape(child) for child in element if isinstance(child.tag, str)),
    )


def data(inner: str) -> etree._Element:
    return xml(f'<data xmlns="{NC}">{inner}</data>')


def filter_children(inner: str) -> list[etree._Element]:
    # prefixed, as ncclient sends it, so that unqualified filter elements stay unqualified
    return list(xml(f'<nc:filter xmlns:nc="{NC}" type="subtree">{inner}</nc:filter>'))


def user_keys(element: etree._Element) -> Sequence[str]:
    return ("name",) if etree.QName(element).localname == "user" else ()


# The fully populated <users> data model of RFC 6241 §6.4.3.
USERS = f"""
<top xmlns="{CONFIG_NS}">
  <users>
    <user>
      <name>root</name>
      <type>superuser</type>
      <full-name>Charlie Root</full-name>
      <company-info>
        <dept>1</dept>
        <id>1</id>
      </company-info>
    </user>
    <user>
      <name>fred</name>
      <type>admin</type>
      <full-name>Fred Flintstone</full-name>
      <company-info>
        <dept>2</dept>
        <id>2</id>
      </company-info>
    </user>
    <user>
      <name>barney</name>
      <type>admin</type>
      <full-name>Barney Rubble</full-name>
      <company-info>
        <dept>2</dept>
        <id>3</id>
      </company-info>
    </user>
  </users>
</top>
"""

# §6.4.8 shows only the eth0 entry of the reply; eth1 is there to be filtered out.
STATS = f"""
<t:top xmlns:t="{STATS_NS}">
  <t:interfaces>
    <t:interface t:ifName="eth0">
      <t:ifInOctets>45621</t:ifInOctets>
      <t:ifOutOctets>774344</t:ifOutOctets>
    </t:interface>
    <t:interface t:ifName="eth1">
      <t:ifInOctets>1</t:ifInOctets>
      <t:ifOutOctets>2</t:ifOutOctets>
    </t:interface>
  </t:interfaces>
</t:top>
"""


def run(data_inner: str, filter_inner: str) -> Shape:
    return shape(subtree_filter(data(data_inner), filter_children(filter_inner)))


def expect(inner: str) -> Shape:
    return shape(data(inner))


# --- RFC 6241 §6.4, each example with its exact filter and reply ---------------------------


def test_6_4_1_no_filter_is_not_a_filter_call() -> None:
    # §6.4.1: leaving the filter out returns everything; the caller does not filter at all,
    # and an xpath "/" is the filter equivalent.
    whole = data(USERS)
    assert shape(xpath_filter(whole, "/", {})) == shape(whole)


def test_6_4_2_empty_filter_selects_nothing() -> None:
    result = subtree_filter(data(USERS), filter_children("\n  "))
    assert shape(result) == expect("")
    parsed = parse_filter(xml(f'<filter xmlns="{NC}" type="subtree">\n</filter>'))
    assert shape(parsed.apply(data(USERS), FilterContext())) == expect("")


def test_6_4_3_entire_users_subtree() -> None:
    assert run(USERS, f'<top xmlns="{CONFIG_NS}"><users/></top>') == expect(USERS)


def test_6_4_3_same_result_with_user_selection_node() -> None:
    assert run(USERS, f'<top xmlns="{CONFIG_NS}"><users><user/></users></top>') == expect(USERS)


def test_6_4_4_all_name_elements() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name/>
          </user>
        </users>
      </top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user><name>root</name></user>
          <user><name>fred</name></user>
          <user><name>barney</name></user>
        </users>
      </top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_6_4_5_one_specific_user_entry() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>fred</name>
          </user>
        </users>
      </top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>fred</name>
            <type>admin</type>
            <full-name>Fred Flintstone</full-name>
            <company-info>
              <dept>2</dept>
              <id>2</id>
            </company-info>
          </user>
        </users>
      </top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_6_4_6_specific_elements_from_a_specific_user() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>fred</name>
            <type/>
            <full-name/>
          </user>
        </users>
      </top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>fred</name>
            <type>admin</type>
            <full-name>Fred Flintstone</full-name>
          </user>
        </users>
      </top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_6_4_7_multiple_subtrees() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>root</name>
            <company-info/>
          </user>
          <user>
            <name>fred</name>
            <company-info>
              <id/>
            </company-info>
          </user>
          <user>
            <name>barney</name>
            <type>superuser</type>
            <company-info>
              <dept/>
            </company-info>
          </user>
        </users>
      </top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}">
        <users>
          <user>
            <name>root</name>
            <company-info>
              <dept>1</dept>
              <id>1</id>
            </company-info>
          </user>
          <user>
            <name>fred</name>
            <company-info>
              <id>2</id>
            </company-info>
          </user>
        </users>
      </top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_6_4_8_elements_with_attribute_naming() -> None:
    filter_xml = f"""
      <t:top xmlns:t="{STATS_NS}">
        <t:interfaces>
          <t:interface t:ifName="eth0"/>
        </t:interfaces>
      </t:top>"""
    reply = f"""
      <t:top xmlns:t="{STATS_NS}">
        <t:interfaces>
          <t:interface t:ifName="eth0">
            <t:ifInOctets>45621</t:ifInOctets>
            <t:ifOutOctets>774344</t:ifOutOctets>
          </t:interface>
        </t:interfaces>
      </t:top>"""
    assert run(STATS, filter_xml) == expect(reply)


def test_6_4_8_unqualified_attribute_does_not_match_a_qualified_one() -> None:
    filter_xml = f"""
      <top xmlns="{STATS_NS}"><interfaces><interface ifName="eth0"/></interfaces></top>"""
    assert run(STATS, filter_xml) == expect("")


# --- §6.2 components ---------------------------------------------------------------------


def test_namespace_selection_matches_only_that_namespace() -> None:
    both = f'<top xmlns="{CONFIG_NS}"><a>1</a></top><top xmlns="{STATS_NS}"><a>2</a></top>'
    assert run(both, f'<top xmlns="{STATS_NS}"/>') == expect(
        f'<top xmlns="{STATS_NS}"><a>2</a></top>'
    )


def test_element_without_namespace_matches_any_namespace() -> None:
    both = f'<top xmlns="{CONFIG_NS}"><a>1</a><b/></top><top xmlns="{STATS_NS}"><a>2</a></top>'
    result = subtree_filter(data(both), list(xml("<filter><top><a/></top></filter>")))
    assert shape(result) == expect(
        f'<top xmlns="{CONFIG_NS}"><a>1</a></top><top xmlns="{STATS_NS}"><a>2</a></top>'
    )


def test_unqualified_child_inside_qualified_parent_matches_any_namespace() -> None:
    inner = f'<c:top xmlns:c="{CONFIG_NS}"><users/></c:top>'
    assert run(USERS, inner) == expect(USERS)


def test_attribute_match_on_a_containment_node() -> None:
    filter_xml = f"""
      <t:top xmlns:t="{STATS_NS}">
        <t:interfaces><t:interface t:ifName="eth1"><t:ifOutOctets/></t:interface></t:interfaces>
      </t:top>"""
    reply = f"""
      <t:top xmlns:t="{STATS_NS}">
        <t:interfaces><t:interface t:ifName="eth1"><t:ifOutOctets>2</t:ifOutOctets></t:interface>
        </t:interfaces>
      </t:top>"""
    assert run(STATS, filter_xml) == expect(reply)


def test_attribute_missing_on_data_is_not_selected() -> None:
    assert run(USERS, f'<top xmlns="{CONFIG_NS}" kind="x"/>') == expect("")


def test_empty_element_with_whitespace_is_a_selection_node() -> None:
    assert run(USERS, f'<top xmlns="{CONFIG_NS}"><users>  \n </users></top>') == expect(USERS)


def test_content_match_ignores_leading_and_trailing_whitespace_only() -> None:
    spaced = f'<top xmlns="{CONFIG_NS}"><users><user><name>  fred\n</name></user></users></top>'
    inner = f'<top xmlns="{CONFIG_NS}"><users><user><name>fr ed</name></user></users></top>'
    assert run(USERS, spaced) == run(
        USERS, f'<top xmlns="{CONFIG_NS}"><users><user><name>fred</name></user></users></top>'
    )
    assert run(USERS, inner) == expect("")


def test_content_match_is_case_sensitive() -> None:
    assert run(
        USERS, f'<top xmlns="{CONFIG_NS}"><users><user><name>Fred</name></user></users></top>'
    ) == expect("")


def test_content_match_does_not_match_a_non_leaf() -> None:
    filter_xml = (
        f'<top xmlns="{CONFIG_NS}"><users><user><company-info>2</company-info></user></users></top>'
    )
    assert run(USERS, filter_xml) == expect("")


def test_content_match_in_a_nested_sibling_set() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><type>admin</type><company-info><dept>2</dept></company-info></user>
      </users></top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><type>admin</type><company-info><dept>2</dept><id>2</id></company-info></user>
        <user><type>admin</type><company-info><dept>2</dept><id>3</id></company-info></user>
      </users></top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_two_content_matches_are_anded() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><type>admin</type><name>root</name></user>
      </users></top>"""
    assert run(USERS, filter_xml) == expect("")


def test_content_match_with_selection_siblings_outputs_matches_and_selections() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}"><users><user><type>admin</type><id/></user></users></top>"""
    # <id> is not a child of <user>, so only the content match nodes are output
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><type>admin</type></user>
        <user><type>admin</type></user>
      </users></top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_failed_top_level_content_match_selects_nothing() -> None:
    top_level = f'<flag xmlns="{CONFIG_NS}">on</flag>{USERS}'
    assert run(
        top_level, f'<flag xmlns="{CONFIG_NS}">off</flag><top xmlns="{CONFIG_NS}"/>'
    ) == expect("")


def test_top_level_content_match_alone_selects_the_whole_level() -> None:
    top_level = f'<flag xmlns="{CONFIG_NS}">on</flag>{USERS}'
    assert run(top_level, f'<flag xmlns="{CONFIG_NS}">on</flag>') == expect(top_level)


def test_containment_node_with_nothing_selected_below_is_omitted() -> None:
    assert run(
        USERS, f'<top xmlns="{CONFIG_NS}"><users><user><nope/></user></users></top>'
    ) == expect("")


def test_selection_node_with_no_data_selects_nothing() -> None:
    assert run(USERS, f'<absent xmlns="{CONFIG_NS}"/>') == expect("")


def test_overlapping_filters_do_not_duplicate_data() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}"><users><user><name>fred</name></user></users></top>
      <top xmlns="{CONFIG_NS}"><users><user><name/><type/></user></users></top>
      <top xmlns="{CONFIG_NS}"><users/></top>"""
    assert run(USERS, filter_xml) == expect(USERS)


def test_union_of_partial_selections_keeps_data_order() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}"><users><user><name>barney</name><type/></user></users></top>
      <top xmlns="{CONFIG_NS}"><users><user><name>root</name><full-name/></user></users></top>
      <top xmlns="{CONFIG_NS}"><users><user><name>barney</name><full-name/></user></users></top>"""
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><name>root</name><full-name>Charlie Root</full-name></user>
        <user><name>barney</name><type>admin</type><full-name>Barney Rubble</full-name></user>
      </users></top>"""
    assert run(USERS, filter_xml) == expect(reply)


def test_list_keys_are_added_to_partly_selected_entries() -> None:
    filter_xml = f"""
      <top xmlns="{CONFIG_NS}">
        <users><user><company-info><id/></company-info></user></users>
      </top>"""
    result = subtree_filter(data(USERS), filter_children(filter_xml), list_keys=user_keys)
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><name>root</name><company-info><id>1</id></company-info></user>
        <user><name>fred</name><company-info><id>2</id></company-info></user>
        <user><name>barney</name><company-info><id>3</id></company-info></user>
      </users></top>"""
    assert shape(result) == expect(reply)


def test_list_keys_are_not_added_to_entries_that_are_not_selected() -> None:
    filter_xml = f'<top xmlns="{CONFIG_NS}"><users><user><nope/></user></users></top>'
    result = subtree_filter(data(USERS), filter_children(filter_xml), list_keys=user_keys)
    assert shape(result) == expect("")


def test_state_and_config_data_filter_alike() -> None:
    smart_upgrade = f"""
      <smart-upgrade xmlns="{SU_NS}">
        <enable>true</enable>
        <url>s.houp.huawei.com</url>
        <version-information>
          <check-result>needUpdate</check-result>
          <recommended-software-version>V200R022C00</recommended-software-version>
        </version-information>
        <upgrade-information><upgrade-status>running</upgrade-status></upgrade-information>
      </smart-upgrade>
      <ssl-policies xmlns="{SSL_NS}">
        <ssl-policy><name>houp</name><trusted-ca>ca1</trusted-ca><trusted-ca>ca2</trusted-ca></ssl-policy>
        <ssl-policy><name>other</name></ssl-policy>
      </ssl-policies>"""
    filter_xml = f"""
      <smart-upgrade xmlns="{SU_NS}">
        <version-information><check-result/></version-information>
      </smart-upgrade>
      <ssl-policies xmlns="{SSL_NS}">
        <ssl-policy><trusted-ca>ca2</trusted-ca></ssl-policy>
      </ssl-policies>"""
    reply = f"""
      <smart-upgrade xmlns="{SU_NS}">
        <version-information><check-result>needUpdate</check-result></version-information>
      </smart-upgrade>
      <ssl-policies xmlns="{SSL_NS}">
        <ssl-policy><name>houp</name><trusted-ca>ca1</trusted-ca><trusted-ca>ca2</trusted-ca></ssl-policy>
      </ssl-policies>"""
    # a leaf-list content match selects the entry it belongs to, with all its siblings (§6.2.5)
    assert run(smart_upgrade, filter_xml) == expect(reply)


def test_comments_in_the_filter_are_ignored() -> None:
    children = list(
        etree.fromstring(
            f'<filter xmlns="{NC}"><!-- users -->'
            f'<top xmlns="{CONFIG_NS}"><!-- x --><users/></top></filter>',
            etree.XMLParser(remove_comments=False),
        )
    )
    assert shape(subtree_filter(data(USERS), children)) == expect(USERS)


def test_input_is_not_modified() -> None:
    source = data(USERS)
    before = etree.tostring(source)
    subtree_filter(
        source,
        filter_children(
            f'<top xmlns="{CONFIG_NS}"><users><user><name>fred</name></user></users></top>'
        ),
    )
    xpath_filter(source, "/c:top/c:users/c:user[c:name='fred']", {"c": CONFIG_NS})
    assert etree.tostring(source) == before


def test_output_keeps_the_data_prefixes() -> None:
    result = subtree_filter(
        data(STATS), filter_children(f'<top xmlns="{STATS_NS}"><interfaces/></top>')
    )
    assert b"<t:interface " in etree.tostring(result)


# --- parse_filter --------------------------------------------------------------------------


def test_filter_without_type_is_a_subtree_filter() -> None:
    # netconf-console2 sends <nc:filter> with no type attribute
    element = xml(f'<nc:filter xmlns:nc="{NC}"><top xmlns="{CONFIG_NS}"><users/></top></nc:filter>')
    parsed = parse_filter(element)
    assert isinstance(parsed, SubtreeFilter)
    assert shape(parsed.apply(data(USERS), FilterContext())) == expect(USERS)


def test_xpath_filter_takes_the_prefixes_in_scope_without_the_default_namespace() -> None:
    element = xml(
        f'<rpc xmlns="{NC}" xmlns:c="{CONFIG_NS}">'
        '<get><filter type="xpath" select="/c:top"/></get></rpc>'
    )
    parsed = parse_filter(element[0][0])
    assert parsed == XPathFilter("/c:top", {"c": CONFIG_NS})
    assert shape(parsed.apply(data(USERS), FilterContext())) == expect(USERS)


def test_xpath_filter_without_select_is_missing_attribute() -> None:
    with pytest.raises(MissingAttributeError) as raised:
        parse_filter(xml(f'<filter xmlns="{NC}" type="xpath"/>'))
    assert raised.value.error_type is ErrorType.PROTOCOL
    assert [i.text for i in raised.value.info] == ["select", "filter"]


def test_unknown_filter_type_is_bad_attribute() -> None:
    with pytest.raises(BadAttributeError) as raised:
        parse_filter(xml(f'<filter xmlns="{NC}" type="regex"/>'))
    assert raised.value.tag is ErrorTag.BAD_ATTRIBUTE
    assert [i.text for i in raised.value.info] == ["type", "filter"]


# --- XPath --------------------------------------------------------------------------------

C = {"c": CONFIG_NS}


def xp(select: str, namespaces: dict[str, str] | None = None) -> Shape:
    return shape(xpath_filter(data(USERS), select, C if namespaces is None else namespaces))


def test_xpath_selects_nodes_with_ancestors() -> None:
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><type>admin</type></user>
        <user><type>admin</type></user>
      </users></top>"""
    assert xp("/c:top/c:users/c:user[c:type='admin']/c:type") == expect(reply)


def test_xpath_adds_keys_of_ancestor_list_entries() -> None:
    result = xpath_filter(
        data(USERS),
        "/c:top/c:users/c:user[c:name='fred']/c:company-info/c:id",
        C,
        list_keys=user_keys,
    )
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><name>fred</name><company-info><id>2</id></company-info></user>
      </users></top>"""
    assert shape(result) == expect(reply)


def test_xpath_selected_entry_is_whole() -> None:
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users><user>
        <name>fred</name><type>admin</type><full-name>Fred Flintstone</full-name>
        <company-info><dept>2</dept><id>2</id></company-info>
      </user></users></top>"""
    assert xp("//c:user[c:name='fred']") == expect(reply)
    assert xp("//c:name[.='fred']/..") == expect(reply)


def test_xpath_union_is_merged_in_document_order() -> None:
    reply = f"""
      <top xmlns="{CONFIG_NS}"><users>
        <user><name>root</name></user>
        <user><name>barney</name><full-name>Barney Rubble</full-name></user>
      </users></top>"""
    assert xp(
        "//c:user[c:name='barney']/c:full-name | //c:name[.!='fred'] | //c:user[3]/c:name"
    ) == expect(reply)


def test_xpath_root_and_star_select_everything() -> None:
    assert xp("/") == expect(USERS)
    assert xp("/*") == expect(USERS)
    assert xp("/c:top/..") == expect(USERS)


def test_xpath_relative_path_starts_at_the_data_root() -> None:
    assert xp("c:top/c:users") == expect(USERS)


def test_xpath_unprefixed_names_match_any_namespace() -> None:
    # what netconf-console2 -x sends: no namespace declarations at all
    assert xp("/top/users/user[name='fred']/type", {}) == xp(
        "/c:top/c:users/c:user[c:name='fred']/c:type"
    )


def test_xpath_module_prefixes_resolve_undeclared_prefixes() -> None:
    result = xpath_filter(data(USERS), "/ex:top/ex:users", {}, module_prefixes={"ex": CONFIG_NS})
    assert shape(result) == expect(USERS)


def test_xpath_declared_prefix_wins_over_module_prefix() -> None:
    result = xpath_filter(
        data(USERS), "/ex:top", {"ex": STATS_NS}, module_prefixes={"ex": CONFIG_NS}
    )
    assert shape(result) == expect("")


def test_xpath_attribute_and_text_select_their_element() -> None:
    eth0 = f"""
      <t:top xmlns:t="{STATS_NS}"><t:interfaces><t:interface t:ifName="eth0">
        <t:ifInOctets>45621</t:ifInOctets><t:ifOutOctets>774344</t:ifOutOctets>
      </t:interface></t:interfaces></t:top>"""
    t = {"t": STATS_NS}
    assert shape(xpath_filter(data(STATS), "//t:interface/@t:ifName[.='eth0']", t)) == expect(eth0)
    in_octets = f"""
      <t:top xmlns:t="{STATS_NS}"><t:interfaces><t:interface t:ifName="eth0">
        <t:ifInOctets>45621</t:ifInOctets>
      </t:interface></t:interfaces></t:top>"""
    assert shape(xpath_filter(data(STATS), "//t:ifInOctets[.=45621]/text()", t)) == expect(
        in_octets
    )


def test_xpath_operators_are_not_taken_for_names() -> None:
    assert xp("/c:top[count(//c:user) * 2 = 6 and 1 div 1 = 1 or 0 mod 2]") == expect(USERS)
    assert xp("/c:top[count(/c:top/c:users/c:user) - 3 = 1]") == expect("")


def test_xpath_empty_node_set_selects_nothing() -> None:
    assert xp("/c:nothing") == expect("")
    assert xp("/..") == expect("")


def test_xpath_on_a_data_root_inside_a_larger_document() -> None:
    reply = xml(f'<rpc-reply xmlns="{NC}"><data>{USERS}</data></rpc-reply>')
    assert shape(xpath_filter(reply[0], "/c:top", C)) == expect(USERS)


@pytest.mark.parametrize(
    "select",
    [
        "/c:top[",
        "count(/c:top)",
        "string(/c:top)",
        "/c:top = 'x'",
        "/undeclared:top",
        "nope()",
        "/c:top!",
        "#",
    ],
)
def test_xpath_invalid_or_non_node_results_are_invalid_value(select: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        xp(select)
    assert raised.value.error_type is ErrorType.PROTOCOL
    assert select in (raised.value.message or "")


# --- properties ----------------------------------------------------------------------------

NAMESPACES = (CONFIG_NS, STATS_NS, SU_NS)
NAMES = ("a", "b", "c-d", "user", "name")
VALUES = ("x", "y", "1")


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> etree._Element:
    namespace = draw(st.sampled_from(NAMESPACES))
    element = etree.Element(f"{{{namespace}}}{draw(st.sampled_from(NAMES))}")
    if depth == 0 or draw(st.booleans()):
        element.text = draw(st.sampled_from((*VALUES, "")))
        return element
    for child in draw(st.lists(trees(depth=depth - 1), max_size=3)):
        element.append(child)
    return element


@st.composite
def datastores(draw: st.DrawFn) -> etree._Element:
    root = etree.Element(f"{{{NC}}}data")
    for child in draw(st.lists(trees(), max_size=3)):
        root.append(child)
    return root


def structure_of(element: etree._Element) -> etree._Element:
    """The filter that names every node of ``element``: leaves become selection nodes."""
    node = etree.Element(element.tag)
    for child in element:
        node.append(structure_of(child))
    return node


@st.composite
def random_filters(draw: st.DrawFn, depth: int = 3) -> etree._Element:
    namespace = draw(st.sampled_from((*NAMESPACES, None)))
    name = draw(st.sampled_from(NAMES))
    element = etree.Element(name if namespace is None else f"{{{namespace}}}{name}")
    if depth == 0 or draw(st.booleans()):
        element.text = draw(st.sampled_from((*VALUES, "", " ")))
        return element
    for child in draw(st.lists(random_filters(depth=depth - 1), min_size=1, max_size=3)):
        element.append(child)
    return element


def embedded(part: etree._Element, whole: etree._Element) -> bool:
    """Every node of ``part`` is a node of ``whole`` at the same place, with the same content."""
    if part.tag != whole.tag or shape(part)[1] != shape(whole)[1]:
        return False
    if len(part) == 0:
        return len(whole) == 0 and (part.text or "") == (whole.text or "")
    return all(any(embedded(child, candidate) for candidate in whole) for child in part)


@settings(max_examples=100, deadline=None)
@given(datastores())
def test_filter_naming_every_node_selects_everything(store: etree._Element) -> None:
    structure = [structure_of(child) for child in store]
    assert shape(subtree_filter(store, structure)) == shape(store)


@settings(max_examples=200, deadline=None)
@given(datastores(), st.lists(random_filters(), max_size=3))
def test_subtree_result_is_part_of_the_input(
    store: etree._Element, filters: list[etree._Element]
) -> None:
    result = subtree_filter(store, filters)
    assert result.tag == store.tag
    assert all(any(embedded(child, candidate) for candidate in store) for child in result)


@settings(max_examples=100, deadline=None)
@given(datastores())
def test_xpath_star_and_descendants_select_everything(store: etree._Element) -> None:
    assert shape(xpath_filter(store, "/*", {})) == shape(store)
    assert shape(xpath_filter(store, "//*", {})) == shape(store)


@settings(max_examples=100, deadline=None)
@given(datastores(), st.sampled_from(NAMESPACES), st.sampled_from(NAMES))
def test_top_level_selection_node_equals_xpath_path(
    store: etree._Element, namespace: str, name: str
) -> None:
    by_subtree = subtree_filter(store, [etree.Element(f"{{{namespace}}}{name}")])
    by_xpath = xpath_filter(store, f"/p:{name}", {"p": namespace})
    assert shape(by_subtree) == shape(by_xpath)


@settings(max_examples=100, deadline=None)
@given(datastores(), st.lists(random_filters(), max_size=3))
def test_filtering_twice_changes_nothing(
    store: etree._Element, filters: list[etree._Element]
) -> None:
    once = subtree_filter(store, filters)
    assert shape(subtree_filter(once, filters)) == shape(once)


def test_rpc_error_is_the_project_type() -> None:
    with pytest.raises(RpcError):
        xp("1 + 1")


def test_a_subtree_filter_of_up_to_the_limit_is_read_one_more_is_too_big() -> None:
    def filter_of(count: int) -> etree._Element:
        nodes = "<users>" + "<user/>" * (count - 1) + "</users>"
        return xml(f'<filter xmlns="{NC}"><top xmlns="{CONFIG_NS}">{nodes}</top></filter>')

    assert isinstance(parse_filter(filter_of(MAX_FILTER_NODES - 1)), SubtreeFilter)
    with pytest.raises(RpcError) as caught:
        parse_filter(filter_of(MAX_FILTER_NODES))
    assert (caught.value.tag, caught.value.error_type) == (ErrorTag.TOO_BIG, ErrorType.PROTOCOL)
    assert caught.value.message == f"a subtree filter of more than {MAX_FILTER_NODES} elements"


@pytest.mark.parametrize(
    ("select", "nesting"),
    [
        ("/su:smart-upgrade/su:ssl-policy[su:name='a']", 0),
        ("//su:ssl-policy[su:name='a'][../su:enable = 'true']", 0),
        ("//*[count(//*) > 0]", 1),
        ("/a[b = /c]", 1),
        ("*[descendant::x]", 1),
        ("*[following-sibling::x]", 1),
        ("*[ancestor::x][x[y]]", 0),
        ("//a[b[c = //d]]", 2),
        ("count(//a) * 2 div count(//b)", 0),
        ("//a[string-length(string(/)) > 0]", 1),
    ],
)
def test_xpath_nesting_counts_the_predicates_around_each_scan(select: str, nesting: int) -> None:
    assert xpath_nesting(select) == nesting


def test_xpath_visits_grow_with_the_power_of_the_nesting() -> None:
    assert xpath_visits("/a/b", 600) == 600 + 600
    assert xpath_visits("//*[. = //*]", 600) == 600 + 600 + 600**2
    assert xpath_visits("//*[. = //*[. = //*]]", 600) == 600 + 600 + 600**2 + 600**3
    # a term is counted only so far: a deep expression costs its length, not its power
    deep = "//*" + "[//*" * 500 + "]" * 500
    assert xpath_visits(deep, 600) <= 501 * MAX_XPATH_VISITS * 600 + 600


def test_an_xpath_over_its_visits_is_refused_before_it_runs() -> None:
    data = xml("<data>" + "<x><y>1</y></x>" * 300 + "</data>")
    # 2.2 s of libxml2 on these 601 nodes; never started
    cubic = "//*[count(//*[count(//*) > 0]) > 0]"
    with pytest.raises(RpcError) as caught:
        xpath_filter(data, cubic, {})
    assert (caught.value.tag, caught.value.error_type) == (
        ErrorTag.RESOURCE_DENIED,
        ErrorType.PROTOCOL,
    )
    assert caught.value.message == (
        f"XPath expression {cubic!r} would visit more than {MAX_XPATH_VISITS} nodes of these "
        "601: a path from the root, '//' or a descendant, following or preceding axis inside "
        "a predicate visits the data once per candidate node"
    )
    assert len(xpath_filter(data, "//*[. = //y]", {})) == 300
    # a caller that bounded the expression itself lets it run
    assert len(xpath_filter(data, "//x[y = //y]", {}, max_visits=None)) == 300


def test_a_subscription_filter_may_scan_only_outside_predicates() -> None:
    assert superlinear("/su:smart-upgrade//su:upgrade-status") is None
    assert superlinear("//x[. = //y]") == (
        "XPath expression '//x[. = //y]' scans the data inside a predicate (a path from the "
        "root, '//' or a descendant, following or preceding axis); a subscription's filter may "
        "only scan outside predicates"
    )
