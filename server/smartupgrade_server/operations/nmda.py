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
from smartupgrade_server.datastore.edit import EditOperation
from smartupgrade_server.datastore.filters import (
    Filter,
    FilterContext,
    SubtreeFilter,
    XPathFilter,
)
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.datastore.yang_library import (
    DATASTORES_MODULE,
    NMDA_MODULE,
    ORIGIN_MODULE,
    nsmap,
)
from smartupgrade_server.netconf.errors import (
    ErrorType,
    InvalidValueError,
    MissingElementError,
    OperationNotSupportedError,
)
from smartupgrade_server.netconf.operations import Handler
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.capabilities import BASIC_MODE
from smartupgrade_server.operations.dispatcher import StateSource

OPERATIONAL = "operational"
# RFC 8342 origin identities this server reports
INTENDED = "intended"
DEFAULT = "default"


class NmdaOperations:
    def __init__(self, datastores: Datastores, state_sources: Sequence[StateSource] = ()) -> None:
        self.datastores = datastores
        self.state_sources = tuple(state_sources)
        self.ns = module(NMDA_MODULE).namespace
        self.ds_ns = module(DATASTORES_MODULE).namespace
        self.origin_ns = module(ORIGIN_MODULE).namespace

    def register(self, register: Callable[[str, str, Handler], None]) -> None:
        register(self.ns, "get-data", self._get_data)
        register(self.ns, "edit-data", self._edit_data)

    # --- parameters ------------------------------------------------------------------------

    def _child(self, operation: etree._Element, name: str) -> etree._Element | None:
        return operation.find(f"{{{self.ns}}}{name}")

    def _text(self, operation: etree._Element, name: str) -> str | None:
        element = self._child(operation, name)
        return None if element is None else (element.text or "").strip()

    def _datastore(self, operation: etree._Element, writable: bool) -> str:
        """The datastore parameter's identity: a ds: identity this server has."""
        element = self._child(operation, "datastore")
        if element is None:
            raise MissingElementError(
                ErrorType.PROTOCOL, "datastore", message="a <datastore> is required"
            )
        prefix, _, local = (element.text or "").strip().rpartition(":")
        names = {name.value for name in DatastoreName}
        allowed = names - {DatastoreName.STARTUP.value} if writable else names | {OPERATIONAL}
        if element.nsmap.get(prefix or None) != self.ds_ns or local not in allowed:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"datastore {element.text!r} is not one of "
                f"{', '.join(sorted(allowed))} (ietf-datastores identities)",
            )
        return local

    def _with_defaults(self, operation: etree._Element) -> WithDefaults:
        text = self._text(operation, "with-defaults")
        if text is None:
            return BASIC_MODE
        try:
            return WithDefaults(text)
        except ValueError:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"{text!r} is not a with-defaults mode (one of {', '.join(WithDefaults)})",
            ) from None

    def _filter(self, operation: etree._Element) -> Filter | None:
        subtree = self._child(operation, "subtree-filter")
        if subtree is not None:
            return SubtreeFilter(tuple(c for c in subtree if isinstance(c.tag, str)))
        xpath = self._child(operation, "xpath-filter")
        if xpath is not None:
            namespaces = {prefix: uri for prefix, uri in xpath.nsmap.items() if prefix}
            return XPathFilter((xpath.text or "").strip(), namespaces)
        return None

    def _max_depth(self, operation: etree._Element) -> int | None:
        text = self._text(operation, "max-depth")
        if text is None or text == "unbounded":
            return None
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"max-depth {text!r} is not 1..65535 or unbounded",
            )
        return int(text)

    def _config_filter(self, operation: etree._Element) -> bool | None:
        text = self._text(operation, "config-filter")
        if text is None:
            return None
        if text not in ("true", "false"):
            raise InvalidValueError(
                ErrorType.PROTOCOL, message=f"config-filter {text!r} is not a boolean"
            )
        return text == "true"

    # --- get-data --------------------------------------------------------------------------

    async def _get_data(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        operation = request.operation
        datastore = self._datastore(operation, writable=False)
        with_origin = self._child(operation, "with-origin") is not None
        if with_origin and datastore != OPERATIONAL:
            raise InvalidValueError(
                ErrorType.PROTOCOL, message="with-origin is only valid for operational"
            )
        for name in ("origin-filter", "negated-origin-filter"):
            if self._child(operation, name) is not None:
                raise OperationNotSupportedError(
                    ErrorType.PROTOCOL, message=f"{name} is not supported; use with-origin"
                )
        mode = self._with_defaults(operation)
        config_filter = self._config_filter(operation)
        selection = self._filter(operation)
        max_depth = self._max_depth(operation)

        schema = self.datastores.schema
        operational = datastore == OPERATIONAL
        instance = (
            self.datastores.operational()
            if operational
            else self.datastores.instance(DatastoreName(datastore))
        )
        reported = (
            instance.add_defaults()
            if mode in (WithDefaults.REPORT_ALL, WithDefaults.REPORT_ALL_TAGGED)
            else instance
        )
        data = schema.render(reported.value, config_only=config_filter is True, mode=mode)
        if selection is not None:
            context_ = FilterContext(
                list_keys=schema.list_keys, module_prefixes=schema.xpath_prefixes
            )
            data = selection.apply(data, context_)
        if operational and config_filter is not True:
            for source in self.state_sources:
                data.extend(source(selection))
        if config_filter is False:
            _drop_config(data, schema.root, schema)
        if with_origin:
            self._annotate(data)
        if max_depth is not None:
            _cut(data, max_depth)
        reply = etree.Element(
            f"{{{self.ns}}}data",
            nsmap=nsmap({None: self.ns, **({"or": self.origin_ns} if with_origin else {})}),
        )
        reply.extend(list(data))
        return reply

    def _annotate(self, data: etree._Element) -> None:
        """or:origin on every configuration node: intended if running has it, else default."""
        running = self.datastores.raw(DatastoreName.RUNNING)
        attribute = f"{{{self.origin_ns}}}origin"
        for element, in_running in _config_nodes(
            data, self.datastores.schema.root, running, self.datastores.schema
        ):
            element.set(attribute, f"or:{INTENDED if in_running else DEFAULT}")

    # --- edit-data -------------------------------------------------------------------------

    async def _edit_data(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        operation = request.operation
        datastore = DatastoreName(self._datastore(operation, writable=True))
        config = self._child(operation, "config")
        if config is None:
            if self._child(operation, "url") is not None:
                raise OperationNotSupportedError(
                    ErrorType.PROTOCOL, message="the :url capability is not supported"
                )
            raise MissingElementError(
                ErrorType.PROTOCOL, "config", message="<edit-data> needs a <config>"
            )
        text = self._text(operation, "default-operation")
        try:
            default_operation = EditOperation(text) if text is not None else EditOperation.MERGE
        except ValueError:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"{text!r} is not a default-operation (one of {', '.join(EditOperation)})",
            ) from None
        self.datastores.edit(
            datastore, config, context.session_id, default_operation=default_operation
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
