"""RpcError: the Appendix A table is enforced and the element is in RFC 6241 order."""

import pytest
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import (
    ALLOWED_TYPES,
    DataExistsError,
    ErrorSeverity,
    ErrorTag,
    ErrorType,
    LockDeniedError,
    MalformedMessageError,
    RpcError,
    UnknownNamespaceError,
    info_element,
)


def test_the_table_covers_every_tag() -> None:
    assert set(ALLOWED_TYPES) == set(ErrorTag)


@pytest.mark.parametrize(
    ("tag", "error_type"),
    [(t, e) for t in ErrorTag for e in ErrorType if e not in ALLOWED_TYPES[t]],
)
def test_a_type_appendix_a_does_not_allow_is_refused(tag: ErrorTag, error_type: ErrorType) -> None:
    with pytest.raises(ValueError, match=str(tag)):
        RpcError(tag, error_type)


@pytest.mark.parametrize(
    ("tag", "error_type"), [(t, e) for t in ErrorTag for e in sorted(ALLOWED_TYPES[t])]
)
def test_every_allowed_type_serialises(tag: ErrorTag, error_type: ErrorType) -> None:
    element = RpcError(tag, error_type).to_xml()
    assert element.findtext(f"{{{BASE_NS}}}error-tag") == tag
    assert element.findtext(f"{{{BASE_NS}}}error-type") == error_type


def test_all_fields_in_schema_order() -> None:
    error = RpcError(
        ErrorTag.INVALID_VALUE,
        ErrorType.APPLICATION,
        severity=ErrorSeverity.WARNING,
        app_tag="too-long",
        path="/su:smart-upgrade/su:url",
        path_namespaces={"su": "urn:example:su"},
        message="URL is longer than 127 characters",
        lang="en-US",
        info=[info_element("bad-element", "url")],
    )
    element = error.to_xml()
    assert element.tag == f"{{{BASE_NS}}}rpc-error"
    assert [etree.QName(child).localname for child in element] == [
        "error-type",
        "error-tag",
        "error-severity",
        "error-app-tag",
        "error-path",
        "error-message",
        "error-info",
    ]
    path = element.find(f"{{{BASE_NS}}}error-path")
    assert path is not None
    assert path.nsmap["su"] == "urn:example:su"
    message = element.find(f"{{{BASE_NS}}}error-message")
    assert message is not None
    assert message.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"
    assert element.findtext(f"{{{BASE_NS}}}error-info/{{{BASE_NS}}}bad-element") == "url"


def test_single_type_tags_need_no_type() -> None:
    assert DataExistsError().error_type is ErrorType.APPLICATION
    assert MalformedMessageError().error_type is ErrorType.RPC
    lock = LockDeniedError(7)
    assert lock.error_type is ErrorType.PROTOCOL
    assert lock.to_xml().findtext(f"{{{BASE_NS}}}error-info/{{{BASE_NS}}}session-id") == "7"


def test_info_given_with_a_tag_specific_field_is_kept() -> None:
    error = UnknownNamespaceError(
        ErrorType.PROTOCOL,
        "config",
        "urn:nowhere",
        info=[info_element("session-id", "3")],
    )
    info = error.to_xml().find(f"{{{BASE_NS}}}error-info")
    assert info is not None
    assert [(etree.QName(c).localname, c.text) for c in info] == [
        ("bad-element", "config"),
        ("bad-namespace", "urn:nowhere"),
        ("session-id", "3"),
    ]


def test_serialising_twice_gives_the_same_xml() -> None:
    error = LockDeniedError(1, message="locked")
    assert etree.tostring(error.to_xml()) == etree.tostring(error.to_xml())
