"""The subscription RPCs of RFC 8639 and RFC 8641, each parsed once into a request value.

``establish-subscription``, ``modify-subscription``, ``delete-subscription`` and
``kill-subscription`` (module ietf-subscribed-notifications) and ``resync-subscription``
(ietf-yang-push). A parameter's value is read with the type of its input node in the data
model: an element no input node describes is ``unknown-element``, a value its type refuses
``bad-element``, a mandatory parameter left out ``missing-element``, one given twice or beside
another case of its choice ``bad-element``. What depends on the switch (the stream, the
datastore, whether a filter can be evaluated, the period) is the subscriptions' to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from lxml import etree
from yangson.schemanode import (
    AnydataNode,
    ContainerNode,
    DataNode,
    InternalNode,
    LeafListNode,
    LeafNode,
    RpcActionNode,
    TerminalNode,
)

from smartupgrade_model.modules import SUBSCRIBED_NOTIFICATIONS_MODULE, YANG_PUSH_MODULE
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.filters import Filter, subtree_filter_of, xpath_of
from smartupgrade_server.netconf.errors import (
    BadElementError,
    ErrorType,
    MissingElementError,
    UnknownElementError,
)

DATASTORES_MODULE = "ietf-datastores"


@dataclass(frozen=True)
class StreamTarget:
    """An event stream and how its records are chosen; ``stream`` is None in a modification
    (which may change the filter only)."""

    stream: str | None
    filter: Filter | None = None
    # a configured filter (/sn:filters/sn:stream-filter), instead of ``filter``
    filter_name: str | None = None
    replay_start: datetime | None = None


@dataclass(frozen=True)
class DatastoreTarget:
    """A datastore (an ietf-datastores identity's name) and the nodes selected from it."""

    datastore: str
    filter: Filter | None = None
    # a configured filter (/sn:filters/yp:selection-filter), instead of ``filter``
    filter_name: str | None = None


@dataclass(frozen=True)
class PeriodicTrigger:
    # centiseconds
    period: int
    anchor: datetime | None = None


@dataclass(frozen=True)
class OnChangeTrigger:
    # centiseconds
    dampening: int = 0
    sync_on_start: bool = True
    # change types (create, delete, insert, move, replace) not to report
    excluded: frozenset[str] = frozenset()


Target = StreamTarget | DatastoreTarget
Trigger = PeriodicTrigger | OnChangeTrigger


@dataclass(frozen=True)
class EstablishRequest:
    target: Target
    stop: datetime | None = None
    # an ietf-subscribed-notifications encoding identity's name; None: the session's (XML)
    encoding: str | None = None
    trigger: Trigger | None = None


@dataclass(frozen=True)
class ModifyRequest:
    """What a modification changes; None: left as it is."""

    id: int
    target: Target | None = None
    stop: datetime | None = None
    trigger: Trigger | None = None


@dataclass(frozen=True)
class SubscriptionRequest:
    """delete-subscription, kill-subscription, resync-subscription: one subscription."""

    id: int


# The cases of the target choice, and the alternatives within each: a request gives the
# parameters of one case of a choice at most.
_STREAM_CASE = frozenset(
    {
        "stream",
        "replay-start-time",
        "stream-filter-name",
        "stream-subtree-filter",
        "stream-xpath-filter",
    }
)
_DATASTORE_CASE = frozenset(
    {"datastore", "selection-filter-ref", "datastore-subtree-filter", "datastore-xpath-filter"}
)
_ALTERNATIVES = (
    frozenset({"stream-filter-name", "stream-subtree-filter", "stream-xpath-filter"}),
    frozenset({"selection-filter-ref", "datastore-subtree-filter", "datastore-xpath-filter"}),
    frozenset({"periodic", "on-change"}),
)


class _Parameters:
    """The parameters of one request element: each child checked against the input node."""

    def __init__(self, schema: Schema, node: InternalNode, parent: etree._Element) -> None:
        self.schema = schema
        self.rpc = etree.QName(parent).localname
        self.elements: dict[str, list[etree._Element]] = {}
        self.nodes: dict[str, DataNode] = {}
        known = _known(schema, node)
        for element in parent:
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element)
            found = known.get(
                (name.namespace or schema.namespace_of_module[node.ns], name.localname)
            )
            if found is None:
                raise UnknownElementError(
                    ErrorType.APPLICATION,
                    name.localname,
                    message=f"{name.localname!r} is not a parameter of {self.rpc!r}",
                )
            repeated = self.elements.setdefault(name.localname, [])
            if repeated and not isinstance(found, LeafListNode):
                raise BadElementError(
                    ErrorType.APPLICATION,
                    name.localname,
                    message=f"{name.localname!r} is given twice",
                )
            repeated.append(element)
            self.nodes[name.localname] = found
        given = self.elements.keys()
        cases = [
            sorted(case & given)[0] for case in (_STREAM_CASE, _DATASTORE_CASE) if case & given
        ]
        for alternatives in (*_ALTERNATIVES, frozenset(cases)):
            present = sorted(alternatives & given)
            if len(present) > 1:
                raise BadElementError(
                    ErrorType.APPLICATION,
                    present[1],
                    message=f"{' and '.join(present)} are alternatives: give one",
                )

    def __contains__(self, name: str) -> bool:
        return name in self.elements

    def element(self, name: str) -> etree._Element | None:
        found = self.elements.get(name)
        return None if found is None else found[0]

    def value(self, name: str) -> Any:
        element = self.element(name)
        return None if element is None else self._typed(name, element)

    def values(self, name: str) -> list[Any]:
        return [self._typed(name, element) for element in self.elements.get(name, ())]

    def required(self, name: str) -> Any:
        if name not in self.elements:
            raise MissingElementError(
                ErrorType.APPLICATION, name, message=f"{self.rpc!r} needs {name!r}"
            )
        return self.value(name)

    def time(self, name: str) -> datetime | None:
        text = self.value(name)
        return None if text is None else datetime.fromisoformat(text)

    def identity(self, name: str) -> tuple[str, str] | None:
        """An identityref's value as (module, identity); its prefix is resolved where the
        element stands."""
        element = self.element(name)
        if element is None:
            return None
        text = (element.text or "").strip()
        prefix, _, local = text.rpartition(":")
        module = self.schema.module_of_namespace.get(element.nsmap.get(prefix or None) or "")
        if module is None or not local:
            raise self._bad(name, text)
        return module, local

    def nested(self, name: str) -> _Parameters | None:
        element = self.element(name)
        node = self.nodes.get(name)
        if element is None:
            return None
        assert isinstance(node, ContainerNode)
        return _Parameters(self.schema, node, element)

    def _typed(self, name: str, element: etree._Element) -> Any:
        node = self.nodes[name]
        text = (element.text or "").strip()
        assert isinstance(node, TerminalNode)
        value = node.type.parse_value(text)
        if value is None or value not in node.type:
            raise self._bad(name, text)
        return value

    def _bad(self, name: str, text: str) -> BadElementError:
        return BadElementError(
            ErrorType.APPLICATION, name, message=f"{text!r} is not a valid {name}"
        )


@cache
def _known(schema: Schema, node: InternalNode) -> Mapping[tuple[str, str], DataNode]:
    """The parameters of an input node or a container in it, by (namespace, name)."""
    return {
        (schema.namespace_of_module[child.ns], child.name): child for child in _parameters(node)
    }


def _parameters(node: InternalNode) -> Iterator[DataNode]:
    for child in node.data_children():
        if isinstance(child, LeafNode | LeafListNode | AnydataNode | ContainerNode):
            yield child


def _input(schema: Schema, name: str, module: str) -> InternalNode:
    rpc = schema.root.get_child(name, module)
    assert isinstance(rpc, RpcActionNode), name
    found = rpc.get_child("input", module)
    assert isinstance(found, InternalNode)
    return found


def _filter(parameters: _Parameters, subtree: str, xpath: str) -> Filter | None:
    element = parameters.element(subtree)
    if element is not None:
        return subtree_filter_of(element)
    element = parameters.element(xpath)
    return None if element is None else xpath_of(element)


def _target(parameters: _Parameters, *, establish: bool) -> Target | None:
    if "datastore" in parameters:
        identity = parameters.identity("datastore")
        assert identity is not None
        module, name = identity
        if module != DATASTORES_MODULE:
            raise parameters._bad("datastore", f"{module}:{name}")
        return DatastoreTarget(
            name,
            _filter(parameters, "datastore-subtree-filter", "datastore-xpath-filter"),
            parameters.value("selection-filter-ref"),
        )
    if _DATASTORE_CASE & parameters.elements.keys():
        raise MissingElementError(
            ErrorType.APPLICATION,
            "datastore",
            message="a selection filter needs the datastore it selects from",
        )
    stream = parameters.required("stream") if establish else None
    filter_name = parameters.value("stream-filter-name")
    filtered = _filter(parameters, "stream-subtree-filter", "stream-xpath-filter")
    if stream is None and filter_name is None and filtered is None:
        return None
    return StreamTarget(stream, filtered, filter_name, parameters.time("replay-start-time"))


def _trigger(parameters: _Parameters) -> Trigger | None:
    periodic = parameters.nested("periodic")
    if periodic is not None:
        return PeriodicTrigger(periodic.required("period"), periodic.time("anchor-time"))
    on_change = parameters.nested("on-change")
    if on_change is None:
        return None
    sync = on_change.value("sync-on-start")
    return OnChangeTrigger(
        on_change.value("dampening-period") or 0,
        True if sync is None else bool(sync),
        frozenset(on_change.values("excluded-change")),
    )


def parse_establish(schema: Schema, operation: etree._Element) -> EstablishRequest:
    parameters = _Parameters(
        schema, _input(schema, "establish-subscription", SUBSCRIBED_NOTIFICATIONS_MODULE), operation
    )
    if "stream" not in parameters and "datastore" not in parameters:
        raise MissingElementError(
            ErrorType.APPLICATION,
            "stream",
            message="establish-subscription needs a target: a stream, or a datastore "
            "(ietf-yang-push)",
        )
    target = _target(parameters, establish=True)
    assert target is not None
    trigger = _trigger(parameters)
    if isinstance(target, DatastoreTarget) and trigger is None:
        raise MissingElementError(
            ErrorType.APPLICATION,
            "periodic",
            message="a datastore subscription is periodic or on-change: give one",
        )
    if isinstance(target, StreamTarget) and trigger is not None:
        raise BadElementError(
            ErrorType.APPLICATION,
            "periodic" if isinstance(trigger, PeriodicTrigger) else "on-change",
            message="an event stream subscription has no update trigger",
        )
    encoding = parameters.identity("encoding")
    return EstablishRequest(
        target, parameters.time("stop-time"), None if encoding is None else encoding[1], trigger
    )


def parse_modify(schema: Schema, operation: etree._Element) -> ModifyRequest:
    parameters = _Parameters(
        schema, _input(schema, "modify-subscription", SUBSCRIBED_NOTIFICATIONS_MODULE), operation
    )
    return ModifyRequest(
        parameters.required("id"),
        _target(parameters, establish=False),
        parameters.time("stop-time"),
        _trigger(parameters),
    )


def parse_subscription(schema: Schema, operation: etree._Element) -> SubscriptionRequest:
    """delete-subscription, kill-subscription or resync-subscription."""
    name = etree.QName(operation).localname
    module = YANG_PUSH_MODULE if name == "resync-subscription" else SUBSCRIBED_NOTIFICATIONS_MODULE
    parameters = _Parameters(schema, _input(schema, name, module), operation)
    return SubscriptionRequest(parameters.required("id"))
