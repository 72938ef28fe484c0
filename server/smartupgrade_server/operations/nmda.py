"""NMDA (RFC 8342, RFC 8526): ``<get-data>`` and ``<edit-data>`` on the datastores named by
their ``ietf-datastores`` identities.

``operational`` is ``running`` with the device's state and the discovery state (through the
dispatcher's state sources); ``with-origin`` tells where each configuration node of it comes
from: ``or:intended`` (it is in running, which is also intended here: no template or inactive
configuration exists), ``or:default`` (a schema default in use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from lxml import etree
from yangson.schemanode import DataNode, InternalNode, LeafListNode, ListNode

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import module
from smartupgrade_server.datastore.codec import Schema, WithDefaults
from smartupgrade_server.datastore.filters import FilterContext
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.datastore.yang_library import (
    NMDA_MODULE,
    ORIGIN_MODULE,
    nsmap,
)
from smartupgrade_server.netconf.operations import Handler
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.dispatcher import StateSource
from smartupgrade_server.operations.requests import (
    NMDA_OPERATIONS,
    OPERATIONAL,
    EditDataRequest,
    GetDataRequest,
    parse_request,
)

# RFC 8342 origin identities this server reports
INTENDED = "intended"
DEFAULT = "default"


class NmdaOperations:
    def __init__(self, datastores: Datastores, state_sources: Sequence[StateSource] = ()) -> None:
        self.datastores = datastores
        self.state_sources = tuple(state_sources)
        self.ns = module(NMDA_MODULE).namespace
        self.origin_ns = module(ORIGIN_MODULE).namespace

    def register(self, register: Callable[[str, str, Handler], None]) -> None:
        handlers = {"get-data": self._get_data, "edit-data": self._edit_data}
        assert set(handlers) == set(NMDA_OPERATIONS)
        for name, handler in handlers.items():
            register(self.ns, name, handler)

    # --- get-data --------------------------------------------------------------------------

    async def _get_data(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        get = parse_request(request.operation)
        assert isinstance(get, GetDataRequest)
        schema = self.datastores.schema
        operational = get.datastore == OPERATIONAL
        instance = (
            self.datastores.operational()
            if operational
            else self.datastores.instance(DatastoreName(get.datastore))
        )
        mode = get.with_defaults
        reported = (
            instance.add_defaults()
            if mode in (WithDefaults.REPORT_ALL, WithDefaults.REPORT_ALL_TAGGED)
            else instance
        )
        data = schema.render(reported.value, config_only=get.config_filter is True, mode=mode)
        if get.filter is not None:
            context_ = FilterContext(
                list_keys=schema.list_keys, module_prefixes=schema.xpath_prefixes
            )
            data = get.filter.apply(data, context_)
        if operational and get.config_filter is not True:
            for source in self.state_sources:
                data.extend(source(get.filter))
        if get.config_filter is False:
            _drop_config(data, schema.root, schema)
        if get.with_origin:
            self._annotate(data)
        if get.max_depth is not None:
            _cut(data, get.max_depth)
        reply = etree.Element(
            f"{{{self.ns}}}data",
            nsmap=nsmap({None: self.ns, **({"or": self.origin_ns} if get.with_origin else {})}),
        )
        reply.extend(list(data))
        return reply

    def _annotate(self, data: etree._Element) -> None:
        """or:origin on every configuration node: intended if running has it, else default."""
        running = self.datastores.raw_view(DatastoreName.RUNNING)
        attribute = f"{{{self.origin_ns}}}origin"
        for element, in_running in _config_nodes(
            data, self.datastores.schema.root, running, self.datastores.schema
        ):
            element.set(attribute, f"or:{INTENDED if in_running else DEFAULT}")

    # --- edit-data -------------------------------------------------------------------------

    async def _edit_data(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        edit = parse_request(request.operation)
        assert isinstance(edit, EditDataRequest)
        await self.datastores.edit_async(
            edit.datastore, edit.config, context, default_operation=edit.default_operation
        )
        return None


def _schema_child(parent: InternalNode, element: etree._Element, schema: Schema) -> DataNode | None:
    name = etree.QName(element)
    module_name = schema.module_of_namespace.get(name.namespace or "")
    if module_name is None:
        return None
    return cast(DataNode | None, parent.get_data_child(name.localname, module_name))


def _entry(node: ListNode, entries: list[RawObject], element: etree._Element) -> RawObject | None:
    """The raw list entry whose keys the element's key leaves have."""
    for entry in entries:
        for key_name, key_module in node.keys:
            key_node = cast(Any, node.get_data_child(key_name, key_module))
            key_element = element.find(f"{{{etree.QName(element).namespace}}}{key_name}")
            raw_value = entry.get(key_node.iname())
            if key_element is None or raw_value is None:
                break
            value = key_node.type.from_raw(raw_value)
            if key_node.type.canonical_string(value) != (key_element.text or ""):
                break
        else:
            return entry
    return None


def _config_nodes(
    parent_element: etree._Element, parent: InternalNode, raw: RawObject | None, schema: Schema
) -> Iterator[tuple[etree._Element, bool]]:
    """(element, schema node, present in ``raw``) for each configuration node below."""
    for element in parent_element:
        if not isinstance(element.tag, str):
            continue
        node = _schema_child(parent, element, schema)
        if node is None or not node.config:
            continue
        member = raw.get(node.iname()) if raw is not None else None
        if isinstance(node, ListNode):
            entry = _entry(node, member, element) if isinstance(member, list) else None
            yield element, entry is not None
            yield from _config_nodes(element, node, entry, schema)
        elif isinstance(node, InternalNode) and not isinstance(node, LeafListNode):
            yield element, member is not None
            below = member if isinstance(member, dict) else None
            yield from _config_nodes(element, node, below, schema)
        else:
            yield element, member is not None


def _drop_config(parent_element: etree._Element, parent: InternalNode, schema: Schema) -> bool:
    """Remove configuration leaves (not list keys); True if state remains below."""
    keys = {name for name, _ in parent.keys} if isinstance(parent, ListNode) else set()
    has_state = False
    for element in list(parent_element):
        if not isinstance(element.tag, str):
            continue
        node = _schema_child(parent, element, schema)
        if node is None:
            has_state = True
            continue
        if isinstance(node, InternalNode):
            if _drop_config(element, node, schema) or not node.config:
                has_state = True
            else:
                parent_element.remove(element)
        elif node.config:
            if etree.QName(element).localname not in keys:
                parent_element.remove(element)
        else:
            has_state = True
    return has_state


def _cut(parent: etree._Element, depth: int) -> None:
    """Keep ``depth`` levels of data nodes below ``parent`` (RFC 8526 max-depth)."""
    for child in parent:
        if depth <= 1:
            for grandchild in list(child):
                child.remove(grandchild)
        else:
            _cut(child, depth - 1)
