"""What one switch holds and takes in one request: the datastores' limits.

A real switch has a fixed table for each kind of entry (so many SSL policies, so many NACM
rules) and refuses a request larger than it can work on. These are ours, chosen so that a
full configuration is validated in well under a second and the emulator's work per request
stays bounded whatever a client sends:

- entries of one list or leaf-list instance (``ENTRIES``, by schema path; ``DEFAULT_ENTRIES``
  for any other): beyond, the write is refused with ``resource-denied`` (RFC 6241 Appendix A:
  "insufficient resources"; the switch's table is full), error-path the list;
- data elements in one edit or inline configuration (``EDIT_ELEMENTS``): beyond, ``too-big``
  (RFC 6241 Appendix A: "too large for the implementation to handle"), before any of it is
  worked on.

``max-elements`` in a module would be the model's own limit, answered with RFC 7950 §15.2's
``too-many-elements``; none of the modules here has one, so these are the switch's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lxml import etree
from yangson.schemanode import (
    ContainerNode,
    DataNode,
    InternalNode,
    LeafListNode,
    ListNode,
    SchemaNode,
    SequenceNode,
)

from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import ChangeKind, Diff, member_node
from smartupgrade_server.netconf.errors import ErrorType, ResourceDeniedError, TooBigError

# entries per list or leaf-list instance, by the schema path of its node
ENTRIES: Mapping[str, int] = {
    "/sunc-ssl-policy:ssl-policies/ssl-policy": 32,
    "/sunc-ssl-policy:ssl-policies/ssl-policy/trusted-ca": 8,
    "/ietf-netconf-acm:nacm/groups/group": 64,
    "/ietf-netconf-acm:nacm/groups/group/user-name": 128,
    "/ietf-netconf-acm:nacm/rule-list": 32,
    "/ietf-netconf-acm:nacm/rule-list/group": 32,
    "/ietf-netconf-acm:nacm/rule-list/rule": 128,
    # a diallers' task each: a switch calls a handful of controllers
    "/sunc-netconf-server:netconf-server/call-home/netconf-client": 8,
    "/sunc-netconf-server:netconf-server/call-home/netconf-client/endpoints/endpoint": 8,
    "/sunc-netconf-server:netconf-server/tls/client-identity-mappings/cert-to-name": 64,
    # RFC 8639 filters a dynamic subscription may name
    "/ietf-subscribed-notifications:filters/stream-filter": 32,
    "/ietf-subscribed-notifications:filters/ietf-yang-push:selection-filter": 32,
    # configured subscriptions (RFC 8639's "configured" feature): none; the list shows the
    # dynamic ones, as state
    "/ietf-subscribed-notifications:subscriptions/subscription": 0,
}
DEFAULT_ENTRIES = 1024
# data elements of one <config> (an edit, or an inline copy-config or validate source)
EDIT_ELEMENTS = 50_000


@dataclass(frozen=True)
class Limits:
    entries: Mapping[str, int] = field(default_factory=lambda: ENTRIES)
    default_entries: int = DEFAULT_ENTRIES
    edit_elements: int = EDIT_ELEMENTS

    def entries_of(self, node: SchemaNode) -> int:
        return self.entries.get(schema_path(node), self.default_entries)

    def check_edit(self, config: etree._Element) -> None:
        """Refuse a ``<config>`` with more data elements than one request may carry; counts
        no further than the limit."""
        elements = config.iterdescendants(etree.Element)
        if next(itertools.islice(elements, self.edit_elements, None), None) is not None:
            raise TooBigError(
                ErrorType.APPLICATION,
                message=f"the configuration holds more than {self.edit_elements} elements, "
                "more than this switch works on in one request",
            )

    def check_entries(self, schema: Schema, changes: Diff) -> None:
        """Refuse a write after which a list or leaf-list holds more entries than allowed:
        those that grew, and those inside created subtrees."""
        for grown in changes.grown:
            self._check(schema, grown.node, grown.instance, grown.entries)
        for change in changes.changes:
            if change.kind is ChangeKind.CREATE and isinstance(change.node, InternalNode):
                for node, instance, count in _sequences(
                    schema, change.node, change.new, change.instance
                ):
                    self._check(schema, node, instance, count)

    def _check(self, schema: Schema, node: SequenceNode, instance: str, count: int) -> None:
        limit = self.entries_of(node)
        if count > limit:
            raise ResourceDeniedError(
                ErrorType.APPLICATION,
                path=instance,
                path_namespaces=schema.path_namespaces(instance),
                message=f"{_what(node)} can hold at most {limit} entries on this switch",
            )


DEFAULT_LIMITS = Limits()


def _what(node: SequenceNode) -> str:
    return f"{'list' if isinstance(node, ListNode) else 'leaf-list'} {node.name!r}"


@cache
def schema_path(node: SchemaNode) -> str:
    """``/module:top/child/…``: the data nodes from the top, the module where it changes."""
    steps: list[str] = []
    current: SchemaNode | None = node
    while current is not None and current.parent is not None:
        if isinstance(current, DataNode):
            parent = current.data_parent()
            same = parent is not None and parent.ns == current.ns
            steps.append(current.name if same else f"{current.ns}:{current.name}")
        current = current.parent
    return "/" + "/".join(reversed(steps))


def _sequences(
    schema: Schema, node: InternalNode, value: Any, instance: str
) -> Iterator[tuple[SequenceNode, str, int]]:
    """The lists and leaf-lists inside a created container or entry, with their
    instance-identifiers and lengths; a value of the wrong shape is left to validation."""
    if not isinstance(value, dict):
        return
    for member, below in value.items():
        child = member_node(node, member)
        if child is None:
            continue
        child_instance = schema.step(instance, child)
        if isinstance(child, LeafListNode | ListNode) and isinstance(below, list):
            yield child, child_instance, len(below)
            if isinstance(child, ListNode):
                for entry in below:
                    if isinstance(entry, dict):
                        entry_instance = child_instance + schema.key_predicates(child, entry)
                        yield from _sequences(schema, child, entry, entry_instance)
        elif isinstance(child, ContainerNode):
            yield from _sequences(schema, child, below, child_instance)
