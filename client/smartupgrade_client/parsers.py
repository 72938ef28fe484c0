"""Replies to typed values. No I/O.

:func:`from_element` fills any frozen dataclass from an XML element by reading the dataclass's
own fields and type annotations: a field ``software_package_size: int | None`` reads the child
``<software-package-size>`` as an int, an enum field takes the generated ``StrEnum``, a nested
dataclass recurses. The generated model therefore decides what is parsed; nothing here lists the
module's leaves, and a leaf added to the YANG is parsed as soon as the model is regenerated.
"""

from __future__ import annotations

import dataclasses
import typing
from decimal import InvalidOperation
from typing import Any, TypeVar

from lxml import etree

from smartupgrade_client.errors import NETCONF_NS, ReplyParseError, raise_for_errors
from smartupgrade_client.messages import NOTIFICATION_NS
from smartupgrade_client.results import CancelOutput, OperationStarted
from smartupgrade_model.convert import SslPolicy, field_types, scalar, yang_name
from smartupgrade_model.model import (
    NAMESPACE,
    SSL_POLICY_NAMESPACE,
    CancellationStatus,
    SmartUpgrade,
    UpgradeInformation,
    UpgradeTarget,
    VersionInformation,
)

T = TypeVar("T")

# Replies come from the network: no entities, no DTD fetching, no unbounded trees.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)


def notification_content(raw: str | bytes) -> etree._Element | None:
    """The event of an RFC 5277 ``<notification>`` document (the element after
    ``<eventTime>``), or None for a document that is not a well-formed notification."""
    try:
        root = etree.fromstring(raw.encode() if isinstance(raw, str) else raw, _PARSER)
    except etree.XMLSyntaxError:
        return None
    events = [child for child in root if isinstance(child.tag, str)][1:]
    return events[0] if etree.QName(root).localname == "notification" and events else None


def notification_time(raw: str | bytes) -> str | None:
    """The ``eventTime`` of an RFC 5277 ``<notification>`` document, as the switch wrote it."""
    try:
        root = etree.fromstring(raw.encode() if isinstance(raw, str) else raw, _PARSER)
    except etree.XMLSyntaxError:
        return None
    found = root.findtext(f"{{{NOTIFICATION_NS}}}eventTime")
    return None if found is None else found.strip()


def parse_reply(raw: str | bytes) -> etree._Element:
    """An ``<rpc-reply>`` document as an element; :class:`~smartupgrade_client.errors.RpcFailed`
    if it carries an error of severity error."""
    try:
        root = etree.fromstring(raw.encode() if isinstance(raw, str) else raw, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ReplyParseError(f"reply is not well-formed XML: {error}") from None
    if etree.QName(root).localname != "rpc-reply":
        raise ReplyParseError(f"expected <rpc-reply>, got <{etree.QName(root).localname}>")
    raise_for_errors(root)
    return root


def _children(element: etree._Element, namespace: str) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(child.tag, str):
            name = etree.QName(child)
            if name.namespace == namespace:
                found.setdefault(name.localname, []).append(child)
    return found


def from_element(cls: type[T], element: etree._Element, namespace: str = NAMESPACE) -> T:
    """The dataclass ``cls`` from the children of ``element`` in ``namespace``.

    An absent child leaves the field's default (the YANG default, as generated); children
    the class does not know are ignored, so a newer server does not break an older client.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    children = _children(element, namespace)
    types = field_types(cls)
    values: dict[str, object] = {}
    for item in dataclasses.fields(cls):
        nodes = children.get(yang_name(item.name))
        if nodes:
            values[item.name] = _convert(types[item.name], nodes, namespace)
    try:
        return cls(**values)
    except TypeError as error:
        raise ReplyParseError(f"<{etree.QName(element).localname}>: {error}") from None


def _convert(annotation: Any, nodes: list[etree._Element], namespace: str) -> object:
    if typing.get_origin(annotation) is tuple:
        (item_type, _) = typing.get_args(annotation)
        return tuple(_convert(item_type, [node], namespace) for node in nodes)
    node = nodes[0]
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return from_element(annotation, node, namespace)
    if annotation is str:
        # Strings keep their whitespace: only the other types are trimmed.
        return node.text or ""
    text = (node.text or "").strip()
    try:
        return scalar(annotation, text)
    except (ValueError, InvalidOperation):
        raise ReplyParseError(f"<{etree.QName(node).localname}>: invalid value {text!r}") from None


def _data(reply: etree._Element) -> etree._Element:
    data = reply.find(f"{{{NETCONF_NS}}}data")
    if data is None:
        raise ReplyParseError("reply has no <data>")
    return data


def smart_upgrade(reply: etree._Element) -> SmartUpgrade:
    """``/smart-upgrade`` from the reply to a ``<get>`` or ``<get-config>``; an empty
    ``<data>`` means every leaf has its default."""
    return smart_upgrade_in(_data(reply))


def smart_upgrade_in(data: etree._Element) -> SmartUpgrade:
    """``/smart-upgrade`` from a ``<data>`` element (a reply's, or a YANG-push mirror's)."""
    node = data.find(f"{{{NAMESPACE}}}smart-upgrade")
    return SmartUpgrade() if node is None else from_element(SmartUpgrade, node)


def upgrade_information(
    reply: etree._Element, target: UpgradeTarget = UpgradeTarget.SWITCH
) -> UpgradeInformation:
    """The upgrade information of ``target`` (the switch's, or its AP's under
    ``ap-information``) from a ``<get>`` reply."""
    return information_of(smart_upgrade(reply), target)


def information_of(state: SmartUpgrade, target: UpgradeTarget) -> UpgradeInformation:
    """The upgrade information of ``target`` in ``state``."""
    if target is UpgradeTarget.AP:
        return state.ap_information.upgrade_information
    return state.upgrade_information


def ssl_policies(reply: etree._Element) -> tuple[SslPolicy, ...]:
    """The entries of ``/sslp:ssl-policies`` in a ``<get>`` or ``<get-config>`` reply."""
    ns = SSL_POLICY_NAMESPACE
    container = _data(reply).find(f"{{{ns}}}ssl-policies")
    if container is None:
        return ()
    return tuple(
        from_element(SslPolicy, entry, ns) for entry in container.iterfind(f"{{{ns}}}ssl-policy")
    )


def ok(reply: etree._Element) -> None:
    """A reply that must be ``<ok/>``."""
    if reply.find(f"{{{NETCONF_NS}}}ok") is None:
        raise ReplyParseError("expected <ok/>")


def refresh(reply: etree._Element) -> VersionInformation:
    """Output of ``refresh``: the version-check leaves, which are the first fields of
    ``version-information``; the others stay absent."""
    return from_element(VersionInformation, reply)


def operation_started(reply: etree._Element) -> OperationStarted:
    """Output of ``download`` and ``right-now``."""
    return from_element(OperationStarted, reply)


def cancel(reply: etree._Element) -> CancellationStatus:
    """Output of ``cancel``."""
    return from_element(CancelOutput, reply).cancellation_status
