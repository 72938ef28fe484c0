"""The module set a switch model advertises, its yang-library trees and hello capabilities."""

from datetime import UTC, datetime

import pytest
from lxml import etree
from yangson.schemanode import InternalNode

from smartupgrade_model.model import MODULE
from smartupgrade_model.modules import (
    AP_UPGRADE_FEATURE,
    SUBSCRIBED_NOTIFICATIONS_MODULE,
    YANG_PUSH_MODULE,
    data_model,
    implemented_modules,
    module,
)
from smartupgrade_server.datastore.yang_library import (
    NETCONF_MODULE,
    NMDA_MODULE,
    YANG_LIBRARY_MODULE,
    ModuleSet,
    is_import_only,
    module_set,
    modules_state_xml,
    nsmap,
    yang_library_xml,
)
from smartupgrade_server.netconf.counters import NetconfCounters, SessionCounters
from smartupgrade_server.operations.capabilities import (
    CANDIDATE,
    protocol_capabilities,
    server_capabilities,
)
from tests.interop.clients import STATE_MODULES, YANG_MODULES, yanglint_validate_reply

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
YL = module(YANG_LIBRARY_MODULE).namespace
SU = module(MODULE).namespace


def modules_of(*, smart_upgrade: bool = True, ap_upgrade: bool = True) -> ModuleSet:
    return module_set(
        smart_upgrade=smart_upgrade,
        ap_upgrade=ap_upgrade,
        protocol_capabilities=protocol_capabilities(),
    )


def texts(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path, namespaces={"yl": YL})
    assert isinstance(found, list)
    return [str(item) for item in found]


def as_get_reply(*trees: etree._Element) -> etree._Element:
    reply = etree.Element(f"{{{NC}}}rpc-reply", nsmap=nsmap({None: NC}))
    etree.SubElement(reply, f"{{{NC}}}data").extend(trees)
    return reply


def test_every_module_file_is_listed_once_with_its_conformance() -> None:
    modules = modules_of()
    library = yang_library_xml(modules)
    listed = texts(
        library,
        "yl:module-set/yl:module/yl:name/text() | "
        "yl:module-set/yl:import-only-module/yl:name/text()",
    )
    assert sorted(listed) == sorted(mod.name for mod in implemented_modules())
    import_only = texts(library, "yl:module-set/yl:import-only-module/yl:name/text()")
    assert all(is_import_only(module(name)) for name in import_only)
    assert MODULE not in import_only


def test_features_follow_the_model_and_the_protocol_capabilities() -> None:
    with_ap, without_ap = modules_of(), modules_of(ap_upgrade=False)
    assert with_ap.features[MODULE] == (AP_UPGRADE_FEATURE,)
    assert MODULE not in without_ap.features
    assert with_ap.content_id != without_ap.content_id
    # RFC 6241 names ietf-netconf's features after the capabilities
    assert CANDIDATE.split(":")[-2] in with_ap.features[NETCONF_MODULE]
    assert "url" not in with_ap.features[NETCONF_MODULE]
    assert set(with_ap.features[NMDA_MODULE]) == {"origin", "with-defaults"}


def test_the_subscription_modules_are_implemented_with_their_features_and_deviation() -> None:
    library = yang_library_xml(modules_of())
    implemented = "yl:module-set/yl:module[yl:name='{}']/yl:{}/text()"
    assert texts(library, implemented.format(SUBSCRIBED_NOTIFICATIONS_MODULE, "feature")) == [
        "encode-xml",
        "replay",
        "subtree",
        "xpath",
    ]
    assert texts(library, implemented.format(YANG_PUSH_MODULE, "feature")) == ["on-change"]
    for name in (SUBSCRIBED_NOTIFICATIONS_MODULE, YANG_PUSH_MODULE):
        assert texts(library, implemented.format(name, "deviation")) == [
            "sunc-subscriptions-deviations"
        ]
    assert "sunc-subscriptions-deviations" in texts(
        library, "yl:module-set/yl:module/yl:name/text()"
    )
    # imported for groupings, and for nodes of features the switch does not have
    import_only = texts(library, "yl:module-set/yl:import-only-module/yl:name/text()")
    assert {"ietf-interfaces", "ietf-network-instance", "ietf-yang-patch", "ietf-restconf"} <= set(
        import_only
    )
    deviations = f"yl:module[yl:name='{YANG_PUSH_MODULE}']/yl:deviation/yl:name/text()"
    assert texts(modules_state_xml(modules_of()), deviations) == ["sunc-subscriptions-deviations"]


def test_an_excluded_model_has_no_smart_upgrade_module() -> None:
    modules = modules_of(smart_upgrade=False, ap_upgrade=False)
    assert modules.module(MODULE) is None
    capabilities = server_capabilities(modules)
    assert not any(c.startswith(SU) for c in capabilities)
    names = texts(modules_state_xml(modules), "yl:module/yl:name/text()")
    assert MODULE not in names


def test_hello_announces_yang_1_0_and_own_modules_and_the_yang_library() -> None:
    modules = modules_of()
    capabilities = server_capabilities(modules)
    assert modules.capability() in capabilities
    revision = module(YANG_LIBRARY_MODULE).revision
    assert modules.capability() == (
        "urn:ietf:params:netconf:capability:yang-library:1.1"
        f"?revision={revision}&content-id={modules.content_id}"
    )
    announced = {c.partition("module=")[2].partition("&")[0] for c in capabilities}
    assert MODULE in announced and NETCONF_MODULE in announced
    # YANG 1.1 IETF modules only through the yang-library
    assert YANG_LIBRARY_MODULE not in announced and NMDA_MODULE not in announced


def test_the_yang_library_trees_pass_yanglint() -> None:
    modules = modules_of()
    reply = as_get_reply(yang_library_xml(modules), modules_state_xml(modules))
    result = yanglint_validate_reply(reply, "get", (*YANG_MODULES, *STATE_MODULES))
    assert result.valid, result.output


def test_counters_count_each_session_and_the_server() -> None:
    started = datetime(2026, 11, 27, tzinfo=UTC)
    counters = NetconfCounters(start_time=started)
    counters.session_started(SessionCounters(1, "admin", "127.0.0.1", started))
    counters.session_started(SessionCounters(2, "admin", "127.0.0.1", started))
    counters.bad_hello()
    counters.rpc_received(1)
    counters.bad_rpc_received(1)
    counters.rpc_error_sent(1)
    counters.notification_sent(2)
    assert (counters.in_sessions, counters.in_rpcs, counters.in_bad_rpcs) == (2, 1, 1)
    assert (counters.out_rpc_errors, counters.out_notifications, counters.in_bad_hellos) == (
        1,
        1,
        1,
    )
    assert counters.sessions[1].in_rpcs == 1 and counters.sessions[2].out_notifications == 1
    counters.session_ended(1, dropped=False)
    # a killed session's connection is lost afterwards: only the first end counts
    counters.session_ended(1, dropped=True)
    counters.session_ended(2, dropped=True)
    assert counters.dropped_sessions == 1 and counters.sessions == {}


@pytest.mark.parametrize("smart_upgrade", [True, False])
def test_a_shared_data_model_has_every_validation_pattern_made(smart_upgrade: bool) -> None:
    """A fleet validates its switches' startups in threads on one data model: yangson makes
    the patterns at the first instance, root first, and a thread meanwhile met a child's None."""
    model = data_model(ap_upgrade=smart_upgrade, smart_upgrade=smart_upgrade)
    unmade: list[str] = []

    def walk(node: InternalNode) -> None:
        if node.schema_pattern is None:
            unmade.append(str(node.data_path()))
        for child in node.data_children():
            if isinstance(child, InternalNode):
                walk(child)

    walk(model.schema)
    assert unmade == []
