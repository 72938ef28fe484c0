"""Discovery: RFC 6022 ``/netconf-state`` and ``<get-schema>``, and the yang-library trees.

A client that knows only the server's address reads the modules from here, downloads each one
with ``<get-schema>`` and compiles them. The state is rendered as XML for ``<get>`` and
``<get-data>`` of ``operational``; the counters are the transport's (netconf/counters.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from lxml import etree

from smartupgrade_model.modules import module
from smartupgrade_server.datastore.filters import Filter, FilterContext, SubtreeFilter
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.datastore.yang_library import (
    MONITORING_MODULE,
    YANG_LIBRARY_MODULE,
    ModuleSet,
    module_prefix,
    modules_state_xml,
    nsmap,
    yang_library_xml,
)
from smartupgrade_server.datastore.yang_library import list_keys as yang_library_keys
from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NSMAP, qname
from smartupgrade_server.netconf.counters import NetconfCounters
from smartupgrade_server.netconf.errors import ErrorType, InvalidValueError, MissingElementError
from smartupgrade_server.netconf.operations import Handler
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

# RFC 6022: the only schema format served, and where a client gets it from
SCHEMA_FORMAT = "yang"
SCHEMA_LOCATION = "NETCONF"

_KEYS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("datastores", "datastore"): ("name",),
    ("schemas", "schema"): ("identifier", "version", "format"),
    ("sessions", "session"): ("session-id",),
}


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class Discovery:
    """What one switch tells about itself; :meth:`listening` gives it the current server's
    counters and capabilities (a reboot starts a new server)."""

    def __init__(self, modules: ModuleSet, datastores: Datastores) -> None:
        self.modules = modules
        self.datastores = datastores
        monitoring = modules.module(MONITORING_MODULE)
        if monitoring is None:
            raise ValueError(f"{MONITORING_MODULE} is not among the server's modules")
        self._ns = monitoring.namespace
        self._counters: NetconfCounters | None = None
        self._capabilities: tuple[str, ...] = ()
        self._library = (yang_library_xml(modules), modules_state_xml(modules))
        self._library_ns = module(YANG_LIBRARY_MODULE).namespace
        # what an XPath filter may use undeclared: the same filter also selects from the
        # datastores, so every module's prefix and name must resolve here too
        self._prefixes: dict[str, str] = {}
        for advertised in modules.modules:
            self._prefixes[advertised.name] = advertised.namespace
            self._prefixes[module_prefix(advertised)] = advertised.namespace

    def listening(self, counters: NetconfCounters, capabilities: Sequence[str]) -> None:
        self._counters = counters
        # the session adds the base capabilities to every hello
        self._capabilities = tuple(dict.fromkeys([BASE_1_0, BASE_1_1, *capabilities]))

    def register(self, register: Callable[[str, str, Handler], None]) -> None:
        register(self._ns, "get-schema", self._get_schema)

    # --- state ---------------------------------------------------------------------------

    def state(self) -> list[etree._Element]:
        """``/netconf-state``, ``/yang-library`` and ``/modules-state``, fresh copies."""
        return [self.netconf_state(), *(copy.deepcopy(tree) for tree in self._library)]

    def selected(self, selection: Filter | None) -> list[etree._Element]:
        """What a <get> or <get-data> filter selects of :meth:`state` (a dispatcher state
        source)."""
        if selection is None:
            return self.state()
        if isinstance(selection, SubtreeFilter) and not any(
            etree.QName(child).namespace in (None, self._ns, self._library_ns)
            for child in selection.children
        ):
            # a filter for other modules only: nothing here is rendered
            return []
        data = etree.Element(qname("data"), nsmap=BASE_NSMAP)
        data.extend(self.state())
        context = FilterContext(list_keys=self.list_keys, module_prefixes=self._prefixes)
        return list(selection.apply(data, context))

    def list_keys(self, element: etree._Element) -> tuple[str, ...]:
        name = etree.QName(element)
        if name.namespace != self._ns:
            return yang_library_keys(element)
        parent = element.getparent()
        parent_name = etree.QName(parent).localname if parent is not None else ""
        return _KEYS.get((parent_name, name.localname), ())

    def netconf_state(self) -> etree._Element:
        root = etree.Element(
            self._tag("netconf-state"), nsmap=nsmap({None: self._ns, "ncm": self._ns})
        )
        capabilities = self._sub(root, "capabilities")
        for capability in self._capabilities:
            self._sub(capabilities, "capability", capability)
        self._datastores(self._sub(root, "datastores"))
        schemas = self._sub(root, "schemas")
        for mod in self.modules.modules:
            schema = self._sub(schemas, "schema")
            self._sub(schema, "identifier", mod.name)
            self._sub(schema, "version", mod.revision)
            self._sub(schema, "format", f"ncm:{SCHEMA_FORMAT}")
            self._sub(schema, "namespace", mod.namespace)
            self._sub(schema, "location", SCHEMA_LOCATION)
        counters = self._counters
        if counters is not None:
            self._sessions(self._sub(root, "sessions"), counters)
            self._statistics(self._sub(root, "statistics"), counters)
        return root

    def _datastores(self, parent: etree._Element) -> None:
        for name in DatastoreName:
            datastore = self._sub(parent, "datastore")
            self._sub(datastore, "name", name.value)
            holder = self.datastores.locked_by(name)
            since = self.datastores.locked_since(name)
            if holder is not None and since is not None:
                lock = self._sub(self._sub(datastore, "locks"), "global-lock")
                self._sub(lock, "locked-by-session", str(holder))
                self._sub(lock, "locked-time", _timestamp(since))

    def _sessions(self, parent: etree._Element, counters: NetconfCounters) -> None:
        for session in counters.sessions.values():
            entry = self._sub(parent, "session")
            self._sub(entry, "session-id", str(session.session_id))
            self._sub(entry, "transport", f"ncm:{session.transport.value}")
            self._sub(entry, "username", session.username)
            self._sub(entry, "source-host", session.source_host)
            self._sub(entry, "login-time", _timestamp(session.login_time))
            self._sub(entry, "in-rpcs", str(session.in_rpcs))
            self._sub(entry, "in-bad-rpcs", str(session.in_bad_rpcs))
            self._sub(entry, "out-rpc-errors", str(session.out_rpc_errors))
            self._sub(entry, "out-notifications", str(session.out_notifications))

    def _statistics(self, parent: etree._Element, counters: NetconfCounters) -> None:
        self._sub(parent, "netconf-start-time", _timestamp(counters.start_time))
        for name, value in (
            ("in-bad-hellos", counters.in_bad_hellos),
            ("in-sessions", counters.in_sessions),
            ("dropped-sessions", counters.dropped_sessions),
            ("in-rpcs", counters.in_rpcs),
            ("in-bad-rpcs", counters.in_bad_rpcs),
            ("out-rpc-errors", counters.out_rpc_errors),
            ("out-notifications", counters.out_notifications),
        ):
            self._sub(parent, name, str(value))

    def _tag(self, name: str) -> str:
        return f"{{{self._ns}}}{name}"

    def _sub(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, self._tag(name))
        if text is not None:
            element.text = text
        return element

    # --- <get-schema> ----------------------------------------------------------------------

    async def _get_schema(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        operation = request.operation
        identifier = self._parameter(operation, "identifier")
        if identifier is None:
            raise MissingElementError(
                ErrorType.PROTOCOL, "identifier", message="<get-schema> needs an <identifier>"
            )
        version = self._parameter(operation, "version")
        schema_format = self._parameter(operation, "format")
        if schema_format is not None and self._format_name(operation, schema_format) != (
            SCHEMA_FORMAT
        ):
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"schema format {schema_format!r} is not served (only {SCHEMA_FORMAT})",
            )
        for mod in self.modules.modules:
            if mod.name == identifier and version in (None, mod.revision):
                data = etree.Element(self._tag("data"), nsmap=nsmap({None: self._ns}))
                data.text = mod.source
                return data
        wanted = identifier if version is None else f"{identifier}@{version}"
        raise InvalidValueError(ErrorType.PROTOCOL, message=f"no schema {wanted!r} on this server")

    def _parameter(self, operation: etree._Element, name: str) -> str | None:
        element = operation.find(self._tag(name))
        return None if element is None else (element.text or "").strip()

    def _format_name(self, operation: etree._Element, value: str) -> str | None:
        """The identity's local name if it is one of ietf-netconf-monitoring's."""
        prefix, _, local = value.rpartition(":")
        if not prefix:
            # ncclient sends a bare 'yang' with no default namespace in scope
            return local
        element = operation.find(self._tag("format"))
        namespace = element.nsmap.get(prefix) if element is not None else None
        return local if namespace == self._ns else None
