"""Between NETCONF XML and yangson: schema lookup, leaf values, XML rendering, error paths.

A datastore's content is kept as a yangson *raw* object (RFC 7951 JSON: module-qualified
member names where the module changes, lists as arrays of objects), because that is what
yangson validates and what is persisted. Everything that crosses the wire as XML is converted
here, with the YANG schema deciding what each element is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any, cast

from lxml import etree
from yangson import DataModel
from yangson.datatype import IdentityrefType, LinkType
from yangson.instvalue import ArrayValue, ObjectValue
from yangson.schemanode import (
    ContainerNode,
    DataNode,
    InternalNode,
    LeafListNode,
    LeafNode,
    ListNode,
    SchemaNode,
    TerminalNode,
)

from smartupgrade_model.model import SSL_POLICY_MODULE
from smartupgrade_model.modules import data_model
from smartupgrade_server.netconf.capabilities import BASE_NS, qname
from smartupgrade_server.netconf.errors import (
    ErrorType,
    RpcError,
    UnknownElementError,
    UnknownNamespaceError,
)

WITH_DEFAULTS_NS = "urn:ietf:params:xml:ns:netconf:default:1.0"
WITH_DEFAULTS_PARAM_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
# the typedef whose values are case-insensitive (see the sunc-ssl-policy module description)
_POLICY_NAME_TYPEDEF = "policy-name"


class WithDefaults(StrEnum):
    """RFC 6243 retrieval modes."""

    REPORT_ALL = "report-all"
    REPORT_ALL_TAGGED = "report-all-tagged"
    TRIM = "trim"
    EXPLICIT = "explicit"


class Schema:
    """One yangson data model, with the namespace and prefix maps the XML side needs."""

    def __init__(self, model: DataModel) -> None:
        self.model = model
        data = model.schema_data
        self.module_of_namespace: dict[str, str] = {
            ns: module.yang_id[0] for ns, module in data.modules_by_ns.items()
        }
        self.namespace_of_module: dict[str, str] = {
            module: ns for ns, module in self.module_of_namespace.items()
        }
        self.prefix_of_module: dict[str, str] = {}
        for mid, module in data.modules.items():
            for prefix, target in module.prefix_map.items():
                if target == mid:
                    self.prefix_of_module[mid[0]] = prefix
        # what an XPath filter may use without declaring it: module prefixes and names
        self.xpath_prefixes: dict[str, str] = {}
        for name, prefix in self.prefix_of_module.items():
            self.xpath_prefixes[prefix] = self.namespace_of_module[name]
            self.xpath_prefixes[name] = self.namespace_of_module[name]

    @property
    def root(self) -> InternalNode:
        return self.model.schema

    def data_child(self, parent: InternalNode, element: etree._Element, path: str) -> DataNode:
        """The schema node of ``element``, a child of ``parent``'s data.

        An element without a namespace (Ansible and hand-written XML) matches by local name:
        first in the parent's module, then in any module if that is unambiguous.
        """
        name = etree.QName(element)
        local = name.localname
        if name.namespace is None:
            candidates = [c for c in parent.data_children() if c.name == local]
            preferred = [c for c in candidates if c.ns == parent.ns]
            if len(preferred) == 1:
                return cast(DataNode, preferred[0])
            if len(candidates) == 1:
                return cast(DataNode, candidates[0])
        else:
            module = self.module_of_namespace.get(name.namespace)
            if module is None:
                raise UnknownNamespaceError(
                    ErrorType.APPLICATION,
                    local,
                    name.namespace,
                    path=path or "/",
                    path_namespaces=self.path_namespaces(path),
                    message=f"namespace {name.namespace!r} belongs to no module of this server",
                )
            child = parent.get_data_child(local, module)
            if child is not None:
                return cast(DataNode, child)
        raise UnknownElementError(
            ErrorType.APPLICATION,
            local,
            path=path or "/",
            path_namespaces=self.path_namespaces(path),
            message=f"{local!r} is not a data node here",
        )

    def top_level_node(self, element: etree._Element) -> DataNode | None:
        """The schema node of a top-level element of a ``<config>``; None if there is none
        (the edit reports it)."""
        try:
            return self.data_child(self.root, element, "")
        except RpcError:
            return None

    def step(self, path: str, node: SchemaNode) -> str:
        """``path`` extended by one schema node, each step with its module's prefix."""
        return f"{path}/{self.prefix_of_module[node.ns]}:{node.name}"

    def key_predicates(self, node: ListNode, entry: Mapping[str, Any]) -> str:
        """The predicates of an entry's keys; a key the entry lacks (an invalid entry, in an
        error-path) has none."""
        return self.predicates(node, key_strings(node, entry))

    def predicates(self, node: ListNode, keys: Mapping[str, str]) -> str:
        """The predicates of keys given as canonical strings by key name."""
        return "".join(
            f"[{self.prefix_of_module[module]}:{name}={_quote(keys[name])}]"
            for name, module in node.keys
            if name in keys
        )

    def identity_from_xml(self, element: etree._Element) -> str | None:
        """An identityref's XML text in its raw form (RFC 7951: ``module:identity``), the
        prefix read from the element's namespace declarations (RFC 7950 §9.10.3); None if the
        prefix names no module of this server."""
        prefix, colon, name = (element.text or "").strip().rpartition(":")
        module = self.module_of_namespace.get(element.nsmap.get(prefix or None, ""))
        if module is None or (colon and not prefix):
            return None
        return f"{module}:{name}"

    def path_namespaces(self, path: str) -> dict[str, str]:
        """The prefix declarations an error-path needs."""
        return {
            prefix: self.namespace_of_module[module]
            for module, prefix in self.prefix_of_module.items()
            if f"{prefix}:" in path
        }

    def instance_path(self, route: Sequence[str | int], value: ObjectValue) -> str:
        """The instance-identifier (RFC 7950 §9.13) of a yangson instance route.

        ``route`` is yangson's ``InstanceNode.path``: member names and array indexes.
        """
        path = ""
        node: SchemaNode = self.root
        current: Any = value
        for step in route:
            if isinstance(step, int):
                entry = current[step]
                if isinstance(node, ListNode):
                    path += self.key_predicates(node, entry)
                else:
                    leaf_list = cast(LeafListNode, node)
                    path += f"[.={_quote(leaf_list.type.canonical_string(entry))}]"
                current = entry
                continue
            module, _, local = step.rpartition(":")
            child = cast(InternalNode, node).get_data_child(local, module or node.ns)
            path = self.step(path, child)
            node = child
            current = current[step]
        return path or "/"

    def list_keys(self, element: etree._Element) -> Sequence[str]:
        """The key names of a list-entry element of rendered data (for filters)."""
        steps: list[etree._Element] = []
        current: etree._Element | None = element
        while current is not None and current.getparent() is not None:
            steps.append(current)
            current = current.getparent()
        node: SchemaNode = self.root
        for step in reversed(steps):
            if not isinstance(node, InternalNode):
                return ()
            name = etree.QName(step)
            module = self.module_of_namespace.get(name.namespace or "")
            child = node.get_data_child(name.localname, module) if module else None
            if child is None:
                return ()
            node = child
        if isinstance(node, ListNode):
            return tuple(key_name for key_name, _ in node.keys)
        return ()

    def render(
        self,
        value: ObjectValue,
        *,
        config_only: bool,
        mode: WithDefaults,
        root_tag: str = qname("data"),
        members: Collection[str] | None = None,
    ) -> etree._Element:
        """The XML of a whole data tree under ``root_tag``, in schema order.

        ``value`` already holds the defaults if ``mode`` reports them; ``trim`` leaves out and
        ``report-all-tagged`` tags the leaves whose value is their schema default. ``members``
        names the top-level members to render (None: all).
        """
        nsmap: dict[str | None, str] = {None: BASE_NS}
        if mode is WithDefaults.REPORT_ALL_TAGGED:
            nsmap["wd"] = WITH_DEFAULTS_NS
        root = etree.Element(root_tag, nsmap=cast(Mapping[str, str], nsmap))
        skip = () if members is None else [name for name in value if name not in members]
        _Renderer(self, config_only, mode).members(root, self.root, value, skip)
        return root

    def render_node(self, parent: InternalNode, node: DataNode, raw: Any) -> etree._Element:
        """One node of ``parent`` from its raw value, with its subtree and its namespace
        declared on it: a list entry (``raw`` one entry's object), a leaf-list entry (one
        value), a container or a leaf."""
        out = etree.Element("out")
        # a JSON pointer below the root: yangson qualifies members with their module at the
        # top only
        pointer = f"/{node.iname()}"
        cooked: Any
        if isinstance(node, ListNode):
            cooked = [node.entry_from_raw(raw, pointer)]
        elif isinstance(node, LeafListNode):
            cooked = [node.type.from_raw(raw)]
        else:
            cooked = node.from_raw(raw, pointer)
        renderer = _Renderer(self, config_only=False, mode=WithDefaults.EXPLICIT)
        renderer.node(out, parent, node, cooked, declare=True)
        return out[0]


@cache
def switch_schema(*, ap_upgrade: bool, smart_upgrade: bool = True) -> Schema:
    """The schema of one feature set (docs/yang.md), one per process: every switch of a fleet
    with the same features shares it, and the caches hung on it."""
    return Schema(data_model(ap_upgrade=ap_upgrade, smart_upgrade=smart_upgrade))


class _Renderer:
    def __init__(self, schema: Schema, config_only: bool, mode: WithDefaults) -> None:
        self.schema = schema
        self.config_only = config_only
        self.mode = mode

    def members(
        self,
        out: etree._Element,
        parent: InternalNode,
        value: ObjectValue,
        skip: Iterable[str] = (),
    ) -> None:
        skipped = set(skip)
        for child in parent.data_children():
            member = child.iname()
            if member not in value or member in skipped or (self.config_only and not child.config):
                continue
            self.node(out, parent, child, value[member])

    def node(
        self,
        out: etree._Element,
        parent: InternalNode,
        node: DataNode,
        value: Any,
        *,
        declare: bool = False,
    ) -> None:
        """``declare``: the namespace on the node even where its parent's is the same."""
        namespace = self.schema.namespace_of_module[node.ns]
        tag = f"{{{namespace}}}{node.name}"
        nsmap = cast(Mapping[str, str], {None: namespace})
        new_namespace = declare or parent.ns != node.ns

        def element() -> etree._Element:
            if new_namespace:
                return etree.SubElement(out, tag, nsmap=nsmap)
            return etree.SubElement(out, tag)

        if isinstance(node, LeafNode):
            is_default = node.default is not None and value == node.default
            if is_default and self.mode is WithDefaults.TRIM:
                return
            leaf = self.terminal(out, node, value, nsmap if new_namespace else None)
            if is_default and self.mode is WithDefaults.REPORT_ALL_TAGGED:
                leaf.set(f"{{{WITH_DEFAULTS_NS}}}default", "true")
        elif isinstance(node, LeafListNode):
            for item in cast(ArrayValue, value):
                self.terminal(out, node, item, nsmap if new_namespace else None)
        elif isinstance(node, ListNode):
            keys = [node.get_data_child(name, module) for name, module in node.keys]
            for entry in cast(ArrayValue, value):
                entry_element = element()
                for key in keys:
                    self.node(entry_element, node, key, entry[key.iname()])
                self.members(entry_element, node, entry, [key.iname() for key in keys])
        elif isinstance(node, ContainerNode):
            container = element()
            self.members(container, node, value)
            if not node.presence and len(container) == 0:
                out.remove(container)

    def terminal(
        self,
        out: etree._Element,
        node: TerminalNode,
        value: Any,
        nsmap: Mapping[str, str] | None,
    ) -> etree._Element:
        """A leaf or leaf-list element; an identity as ``prefix:name`` with its prefix
        declared (RFC 7950 §9.10.3)."""
        tag = f"{{{self.schema.namespace_of_module[node.ns]}}}{node.name}"
        if not isinstance(node.type, IdentityrefType):
            leaf = etree.SubElement(out, tag, nsmap=nsmap)
            leaf.text = node.type.canonical_string(value)
            return leaf
        name, module = value
        prefix = self.schema.prefix_of_module[module]
        declared = {**(nsmap or {}), prefix: self.schema.namespace_of_module[module]}
        leaf = etree.SubElement(out, tag, nsmap=declared)
        leaf.text = f"{prefix}:{name}"
        return leaf


@lru_cache(maxsize=256)
def _key_leaves(node: ListNode) -> tuple[tuple[str, str, TerminalNode], ...]:
    """A list's keys: name, member name in an entry, schema node."""
    found = []
    for name, module in node.keys:
        key = cast(TerminalNode, node.get_data_child(name, module))
        found.append((name, key.iname(), key))
    return tuple(found)


def key_strings(node: ListNode, entry: Mapping[str, Any]) -> dict[str, str]:
    """An entry's keys as canonical strings, by key name; a key the entry lacks is absent."""
    return {
        name: key.type.canonical_string(entry[member])
        for name, member, key in _key_leaves(node)
        if member in entry
    }


def is_policy_name(node: TerminalNode) -> bool:
    """Whether a leaf holds an SSL policy name (the typedef, or a leafref to such a leaf)."""
    data_type = node.type
    if isinstance(data_type, LinkType):
        data_type = data_type.ref_type
    return bool(
        data_type.name == _POLICY_NAME_TYPEDEF and data_type.sctx.text_mid[0] == SSL_POLICY_MODULE
    )


def _quote(value: str) -> str:
    return f"'{value}'" if "'" not in value else f'"{value}"'


def normalise_message(message: str | None) -> str | None:
    """A YANG error-message as one line: the module wraps it, yangson keeps the indentation."""
    return None if message is None else re.sub(r"\s+", " ", message).strip()
