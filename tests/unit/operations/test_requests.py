"""Each base and NMDA operation parsed once into its request value, with the parameter errors
the conformance tests pin, and Ansible's un-namespaced parameters accepted."""

from __future__ import annotations

import pytest
from lxml import etree

from smartupgrade_server.datastore.codec import WithDefaults
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption
from smartupgrade_server.datastore.filters import SubtreeFilter, XPathFilter
from smartupgrade_server.datastore.store import DatastoreName, EditTestOption
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, RpcError
from smartupgrade_server.operations.requests import (
    BASE_OPERATIONS,
    NMDA_OPERATIONS,
    OPERATIONAL,
    CancelCommitRequest,
    CommitRequest,
    CopyConfigRequest,
    DeleteConfigRequest,
    DiscardChangesRequest,
    EditConfigRequest,
    EditDataRequest,
    GetConfigRequest,
    GetDataRequest,
    GetRequest,
    LockRequest,
    Request,
    UnlockRequest,
    ValidateRequest,
    parse_request,
)

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NMDA = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
WD = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"


def parsed(xml: str, namespace: str = NC) -> Request:
    return parse_request(etree.fromstring(f'<wrap xmlns="{namespace}">{xml}</wrap>')[0])


def refused(xml: str, namespace: str = NC) -> RpcError:
    with pytest.raises(RpcError) as caught:
        parsed(xml, namespace)
    return caught.value


def test_every_base_and_nmda_operation_has_its_parser() -> None:
    assert set(BASE_OPERATIONS) == {
        "get",
        "get-config",
        "edit-config",
        "copy-config",
        "delete-config",
        "lock",
        "unlock",
        "validate",
        "commit",
        "cancel-commit",
        "discard-changes",
    }
    assert set(NMDA_OPERATIONS) == {"get-data", "edit-data"}


def test_edit_config_with_every_option() -> None:
    request = parsed(
        "<edit-config><target><candidate/></target><default-operation>none"
        "</default-operation><test-option>test-only</test-option>"
        "<error-option>continue-on-error</error-option>"
        f'<config><smart-upgrade xmlns="{SU}"/></config></edit-config>'
    )
    assert isinstance(request, EditConfigRequest)
    assert request.target is DatastoreName.CANDIDATE
    assert request.default_operation is EditOperation.NONE
    assert request.test_option is EditTestOption.TEST_ONLY
    assert request.error_option is ErrorOption.CONTINUE_ON_ERROR
    assert etree.QName(request.config[0]).localname == "smart-upgrade"


def test_ansible_s_parameters_without_a_namespace() -> None:
    request = parse_request(
        etree.fromstring(
            f'<edit-config xmlns="{NC}"><target xmlns=""><running/></target>'
            f'<config xmlns=""><smart-upgrade xmlns="{SU}"/></config></edit-config>'
        )
    )
    assert isinstance(request, EditConfigRequest)
    assert request.target is DatastoreName.RUNNING
    assert request.default_operation is EditOperation.MERGE
    assert request.test_option is EditTestOption.TEST_THEN_SET
    assert request.error_option is ErrorOption.STOP_ON_ERROR


def test_the_simple_operations() -> None:
    assert parsed("<get/>") == GetRequest(None, WithDefaults.EXPLICIT)
    get_config = parsed(
        f'<get-config><source><startup/></source><with-defaults xmlns="{WD}">trim'
        "</with-defaults></get-config>"
    )
    assert get_config == GetConfigRequest(DatastoreName.STARTUP, None, WithDefaults.TRIM)
    assert parsed("<delete-config><target><startup/></target></delete-config>") == (
        DeleteConfigRequest(DatastoreName.STARTUP)
    )
    assert parsed("<lock><target><running/></target></lock>") == LockRequest(DatastoreName.RUNNING)
    assert parsed("<unlock><target><candidate/></target></unlock>") == UnlockRequest(
        DatastoreName.CANDIDATE
    )
    assert parsed("<validate><source><candidate/></source></validate>") == ValidateRequest(
        DatastoreName.CANDIDATE
    )
    assert parsed("<cancel-commit><persist-id> p </persist-id></cancel-commit>") == (
        CancelCommitRequest("p")
    )
    assert parsed("<discard-changes/>") == DiscardChangesRequest()


def test_commit_confirmed_with_timeout_and_persist() -> None:
    assert parsed(
        "<commit><confirmed/><confirm-timeout>30</confirm-timeout><persist>a</persist></commit>"
    ) == CommitRequest(confirmed=True, timeout=30, persist="a", persist_id=None)
    assert parsed("<commit><persist-id>a</persist-id></commit>") == CommitRequest(
        confirmed=False, timeout=600, persist=None, persist_id="a"
    )


def test_copy_config_reads_with_defaults_only_for_a_datastore_source() -> None:
    source = parsed(
        "<copy-config><target><startup/></target><source><running/></source>"
        f'<with-defaults xmlns="{WD}">report-all</with-defaults></copy-config>'
    )
    assert source == CopyConfigRequest(
        DatastoreName.STARTUP, DatastoreName.RUNNING, WithDefaults.REPORT_ALL
    )
    inline = parsed(
        "<copy-config><target><running/></target><source><config/></source>"
        f'<with-defaults xmlns="{WD}">nonsense</with-defaults></copy-config>'
    )
    assert isinstance(inline, CopyConfigRequest)
    assert isinstance(inline.source, etree._Element)


@pytest.mark.parametrize(
    ("xml", "tag", "message"),
    [
        (
            "<edit-config><target><running/></target><test-option>later</test-option>"
            "<config/></edit-config>",
            ErrorTag.INVALID_VALUE,
            "'later' is not a test-option (one of test-then-set, set, test-only)",
        ),
        (
            "<edit-config><target><running/></target><error-option>ignore</error-option>"
            "<config/></edit-config>",
            ErrorTag.INVALID_VALUE,
            "'ignore' is not a error-option "
            "(one of stop-on-error, continue-on-error, rollback-on-error)",
        ),
        (
            "<edit-config><target><running/></target></edit-config>",
            ErrorTag.MISSING_ELEMENT,
            "<edit-config> needs a <config>",
        ),
        (
            "<commit><confirmed/><confirm-timeout>0</confirm-timeout></commit>",
            ErrorTag.INVALID_VALUE,
            "confirm-timeout '0' is not a number of seconds",
        ),
        (
            "<get-config><source><config/></source></get-config>",
            ErrorTag.INVALID_VALUE,
            "<source> names no datastore this server has (running, candidate, startup)",
        ),
        (
            "<validate><source><url>file:///x</url></source></validate>",
            ErrorTag.OPERATION_NOT_SUPPORTED,
            "the :url capability is not supported",
        ),
    ],
)
def test_base_parameter_errors(xml: str, tag: ErrorTag, message: str) -> None:
    error = refused(xml)
    assert (error.tag, error.error_type, error.message) == (tag, ErrorType.PROTOCOL, message)


def test_get_data_with_every_parameter() -> None:
    request = parsed(
        f'<get-data xmlns:ds="{DS}"><datastore>ds:operational</datastore>'
        f'<subtree-filter><smart-upgrade xmlns="{SU}"/></subtree-filter>'
        "<config-filter>false</config-filter><max-depth>2</max-depth>"
        "<with-origin/><with-defaults>report-all</with-defaults></get-data>",
        NMDA,
    )
    assert isinstance(request, GetDataRequest)
    assert request.datastore == OPERATIONAL
    assert isinstance(request.filter, SubtreeFilter)
    assert (request.config_filter, request.max_depth, request.with_origin) == (False, 2, True)
    assert request.with_defaults is WithDefaults.REPORT_ALL
    xpath = parsed(
        f'<get-data xmlns:ds="{DS}" xmlns:su="{SU}"><datastore>ds:running</datastore>'
        "<xpath-filter>/su:smart-upgrade</xpath-filter></get-data>",
        NMDA,
    )
    assert isinstance(xpath, GetDataRequest)
    assert xpath.datastore is DatastoreName.RUNNING
    assert xpath.filter == XPathFilter("/su:smart-upgrade", {"ds": DS, "su": SU})


def test_edit_data() -> None:
    request = parsed(
        f'<edit-data xmlns:ds="{DS}"><datastore>ds:candidate</datastore>'
        "<default-operation>replace</default-operation><config/></edit-data>",
        NMDA,
    )
    assert isinstance(request, EditDataRequest)
    assert (request.datastore, request.default_operation) == (
        DatastoreName.CANDIDATE,
        EditOperation.REPLACE,
    )


@pytest.mark.parametrize(
    ("xml", "tag", "message"),
    [
        ("<get-data/>", ErrorTag.MISSING_ELEMENT, "a <datastore> is required"),
        (
            f'<edit-data xmlns:ds="{DS}"><datastore>ds:startup</datastore><config/></edit-data>',
            ErrorTag.INVALID_VALUE,
            "datastore 'ds:startup' is not one of candidate, running (ietf-datastores identities)",
        ),
        (
            f'<get-data xmlns:ds="{DS}"><datastore>ds:running</datastore><with-origin/></get-data>',
            ErrorTag.INVALID_VALUE,
            "with-origin is only valid for operational",
        ),
        (
            f'<get-data xmlns:ds="{DS}"><datastore>ds:operational</datastore>'
            "<origin-filter>or:intended</origin-filter></get-data>",
            ErrorTag.OPERATION_NOT_SUPPORTED,
            "origin-filter is not supported; use with-origin",
        ),
        (
            f'<get-data xmlns:ds="{DS}"><datastore>ds:running</datastore>'
            "<max-depth>0</max-depth></get-data>",
            ErrorTag.INVALID_VALUE,
            "max-depth '0' is not 1..65535 or unbounded",
        ),
        (
            f'<edit-data xmlns:ds="{DS}"><datastore>ds:running</datastore>'
            "<default-operation>upsert</default-operation><config/></edit-data>",
            ErrorTag.INVALID_VALUE,
            "'upsert' is not a default-operation "
            "(one of merge, replace, create, delete, remove, none)",
        ),
    ],
)
def test_nmda_parameter_errors(xml: str, tag: ErrorTag, message: str) -> None:
    error = refused(xml, NMDA)
    assert (error.tag, error.error_type, error.message) == (tag, ErrorType.PROTOCOL, message)


def test_request_values_are_frozen() -> None:
    request = parsed("<lock><target><running/></target></lock>")
    assert isinstance(request, LockRequest)
    with pytest.raises(AttributeError):
        request.target = DatastoreName.CANDIDATE  # type: ignore[misc]
