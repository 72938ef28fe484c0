"""Requests as lxml elements: the operation that goes inside ``<rpc>``. No I/O.

The transport (ncclient) adds the ``<rpc message-id=...>`` envelope, so what is built here is
exactly what a device handler would otherwise build from ncclient's own operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, cast

from lxml import etree

from smartupgrade_client.edits import Edit
from smartupgrade_client.errors import NETCONF_NS
from smartupgrade_model.model import (
    DISPLAY_SECTIONS,
    NAMESPACE,
    RPCS,
    SSL_POLICY_NAMESPACE,
    UpgradeTarget,
)

# Unpacked, not indexed: a change of the module's RPC list fails here, at import.
REFRESH, DOWNLOAD, RIGHT_NOW, CANCEL = RPCS

Datastore = Literal["running", "candidate", "startup"]
WithDefaults = Literal["report-all", "trim", "explicit", "report-all-tagged"]
WITH_DEFAULTS_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
TOP = "smart-upgrade"
SSL_POLICIES = "ssl-policies"


def _default_ns(namespace: str) -> Mapping[str, str]:
    # lxml-stubs type nsmap keys as str although lxml takes None for the default namespace.
    return cast(Mapping[str, str], {None: namespace})


def _nc(name: str) -> str:
    return f"{{{NETCONF_NS}}}{name}"


def _su(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _nc_element(name: str) -> etree._Element:
    return etree.Element(_nc(name), nsmap={"nc": NETCONF_NS})


Container = str | tuple[str, ...]
"""A container of ``/smart-upgrade``: a child's name, or the names from a child down."""

# the switch's state containers that the AP has too, and where the AP's are
_AP_CONTAINERS: Mapping[str, tuple[str, ...]] = {
    section.path[-1]: section.ap_path[1:]
    for section in DISPLAY_SECTIONS
    if section.ap_path is not None
}


def of_target(name: str, target: UpgradeTarget) -> Container:
    """The state container ``name`` of ``target``: the switch's, or the AP's (under
    ``ap-information``)."""
    return _AP_CONTAINERS[name] if target is UpgradeTarget.AP else name


def subtree_filter(*containers: Container, ssl_policies: bool = False) -> etree._Element:
    """``<filter type="subtree">`` selecting ``/smart-upgrade`` (or only the named containers
    of it, e.g. ``"upgrade-information"`` or ``("ap-information", "upgrade-information")``) and
    optionally ``/ssl-policies``."""
    selection = _nc_element("filter")
    selection.set("type", "subtree")
    top = etree.SubElement(selection, _su(TOP), nsmap=_default_ns(NAMESPACE))
    for container in containers:
        node = top
        for name in (container,) if isinstance(container, str) else container:
            node = etree.SubElement(node, _su(name))
    if ssl_policies:
        etree.SubElement(
            selection,
            f"{{{SSL_POLICY_NAMESPACE}}}{SSL_POLICIES}",
            nsmap=_default_ns(SSL_POLICY_NAMESPACE),
        )
    return selection


def get(
    *containers: Container, ssl_policies: bool = False, with_defaults: WithDefaults | None = None
) -> etree._Element:
    """``<get>`` of configuration and state of ``/smart-upgrade`` (see :func:`subtree_filter`);
    ``with_defaults`` asks for RFC 6243 default handling (``report-all``: every leaf, also one
    at its default)."""
    request = _nc_element("get")
    request.append(subtree_filter(*containers, ssl_policies=ssl_policies))
    if with_defaults is not None:
        etree.SubElement(
            request, f"{{{WITH_DEFAULTS_NS}}}with-defaults", nsmap=_default_ns(WITH_DEFAULTS_NS)
        ).text = with_defaults
    return request


def get_config(source: Datastore = "running", *, ssl_policies: bool = False) -> etree._Element:
    """``<get-config>`` of ``/smart-upgrade`` from a configuration datastore."""
    request = _nc_element("get-config")
    etree.SubElement(etree.SubElement(request, _nc("source")), _nc(source))
    request.append(subtree_filter(ssl_policies=ssl_policies))
    return request


def edit_config(edits: Iterable[Edit], target: Datastore = "running") -> etree._Element:
    """One ``<edit-config>`` applying every edit, in order, in one transaction.

    Edits under the same container share its element; the edited node itself is always a new
    element, so two edits of different list entries stay two entries.
    """
    request = _nc_element("edit-config")
    etree.SubElement(etree.SubElement(request, _nc("target")), _nc(target))
    config = etree.SubElement(request, _nc("config"))
    tops: dict[str, etree._Element] = {}
    count = 0
    for edit in edits:
        count += 1
        ns = edit.namespace
        parent = tops.get(edit.path[0])
        if parent is None:
            parent = etree.SubElement(
                config,
                f"{{{ns}}}{edit.path[0]}",
                nsmap=_default_ns(ns),
            )
            tops[edit.path[0]] = parent
        for name in edit.path[1:-1]:
            found = parent.find(f"{{{ns}}}{name}")
            parent = found if found is not None else etree.SubElement(parent, f"{{{ns}}}{name}")
        node = etree.SubElement(parent, f"{{{ns}}}{edit.path[-1]}")
        if edit.operation is not None:
            node.set(_nc("operation"), edit.operation)
        if edit.value is not None:
            node.text = edit.value
        for name, text in edit.children:
            etree.SubElement(node, f"{{{ns}}}{name}").text = text
    if count == 0:
        raise ValueError("edit_config needs at least one edit")
    return request


def refresh() -> etree._Element:
    """RPC ``refresh``: the version check with the HOUP that ``display`` triggers."""
    return etree.Element(_su(REFRESH), nsmap=_default_ns(NAMESPACE))


def _operation(name: str, target: UpgradeTarget | None) -> etree._Element:
    request = etree.Element(_su(name), nsmap=_default_ns(NAMESPACE))
    if target is not None:
        etree.SubElement(request, _su("target")).text = target.value
    return request


def download(target: UpgradeTarget | None = None) -> etree._Element:
    """RPC ``download`` (``smart-upgrade download``); without a target the server's default,
    the switch itself."""
    return _operation(DOWNLOAD, target)


def right_now(target: UpgradeTarget | None = None) -> etree._Element:
    """RPC ``right-now`` (``smart-upgrade right-now``): download, then reboot into the new
    version."""
    return _operation(RIGHT_NOW, target)


def cancel() -> etree._Element:
    """RPC ``cancel``: what CTRL+C does to a running download or upgrade."""
    return etree.Element(_su(CANCEL), nsmap=_default_ns(NAMESPACE))


NOTIFICATION_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
# the module's notifications that wait() follows
FOLLOWED_NOTIFICATIONS = ("download-progress", "upgrade-status-changed")


def create_subscription() -> etree._Element:
    """RFC 5277 ``<create-subscription>`` to the NETCONF stream, filtered to the module's
    download progress and upgrade status changes."""
    request = etree.Element(
        f"{{{NOTIFICATION_NS}}}create-subscription", nsmap=_default_ns(NOTIFICATION_NS)
    )
    selection = etree.SubElement(request, f"{{{NOTIFICATION_NS}}}filter", type="subtree")
    for name in FOLLOWED_NOTIFICATIONS:
        etree.SubElement(selection, _su(name), nsmap=_default_ns(NAMESPACE))
    return request
