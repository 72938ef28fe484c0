"""RFC 8341 enforcement around the operations: exec checks, read pruning, write denials,
notification filtering, and the ``/nacm`` counters.

The rules live in ``running`` (``/ietf-netconf-acm:nacm``) and are read again whenever
``running`` changes. A user's level (users.yaml) gives its external groups ``level-0`` …
``level-N`` (rules.level_groups). Changes the switch makes itself (session 0) are not
checked: they are the server's, not a user's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import NoReturn

from lxml import etree
from yangson.instance import RootNode
from yangson.schemanode import InternalNode, ListNode, SchemaNode
from yangson.statement import Statement

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import ChangeKind, DataPath, Diff, Step, diff, expand
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption, apply_edit
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.nacm.rules import (
    NACM,
    Access,
    NacmConfig,
    RulePathError,
    Sensitivity,
    level_groups,
    parse_config,
    parse_path,
)
from smartupgrade_server.netconf.capabilities import BASE_NS, qname
from smartupgrade_server.netconf.errors import AccessDeniedError, ErrorType, RpcError
from smartupgrade_server.netconf.operations import Dispatcher
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

# the access a change of each kind needs (a move is an update of the entry moved)
_ACCESS = {
    ChangeKind.CREATE: Access.CREATE,
    ChangeKind.DELETE: Access.DELETE,
    ChangeKind.UPDATE: Access.UPDATE,
    ChangeKind.MOVE: Access.UPDATE,
}
_DATA_STATEMENTS = frozenset(
    {"container", "list", "leaf", "leaf-list", "anydata", "anyxml", "choice", "case"}
)
_NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
_CONFIG_CHANGE = "netconf-config-change"
# replies whose children are data nodes, pruned of what the user may not read
_READS = frozenset({qname("get"), qname("get-config"), f"{{{_NMDA_NS}}}get-data"})
_WRITES = frozenset(
    {
        qname("edit-config"),
        qname("copy-config"),
        qname("delete-config"),
        qname("commit"),
        f"{{{_NMDA_NS}}}edit-data",
    }
)


@cache
def _sensitivities(schema: Schema) -> dict[tuple[str, ...], Sensitivity]:
    """The nodes (module-qualified name paths), RPCs and notifications carrying a NACM
    extension, read from the module statements (yangson keeps no extensions)."""
    found: dict[tuple[str, ...], Sensitivity] = {}

    def walk(statement: Statement, module: str, path: tuple[str, ...]) -> None:
        for child in statement.substatements:
            if child.prefix is not None:
                continue
            if child.keyword in _DATA_STATEMENTS or child.keyword in ("rpc", "notification"):
                child_path = (*path, f"{module}:{child.argument}")
                for extension in child.substatements:
                    if extension.keyword in ("default-deny-all", "default-deny-write") and (
                        extension.prefix is not None
                    ):
                        found[child_path] = Sensitivity(extension.keyword)
                walk(child, module, child_path)

    for (name, _), module in schema.model.schema_data.modules.items():
        walk(module.statement, name, ())
    return found


@dataclass(frozen=True)
class _UserAccess:
    groups: frozenset[str]
    reads_everything: bool
    writes_everything: bool
    # operation (Clark notation) -> may execute it
    executes: dict[str, bool] = field(default_factory=dict)


class AccessControl:
    """The decisions of one switch's NACM configuration for the sessions of its users."""

    def __init__(self, datastores: Datastores) -> None:
        self.datastores = datastores
        self.schema = datastores.schema
        self._sensitive = _sensitivities(self.schema)
        self._modules = {
            **{prefix: module for module, prefix in self.schema.prefix_of_module.items()},
            **{module: module for module in self.schema.prefix_of_module},
        }
        self._cached: tuple[RootNode, NacmConfig] | None = None
        # per (user name, level), for the cached configuration: groups and whether they may
        # read or write everything, which every request would work out again
        self._users: dict[tuple[str, int], _UserAccess] = {}
        self.denied_operations = 0
        self.denied_data_writes = 0
        self.denied_notifications = 0

    # --- the configuration --------------------------------------------------------------

    def config(self) -> NacmConfig:
        running = self.datastores.instance(DatastoreName.RUNNING)
        if self._cached is None or self._cached[0] is not running:
            raw = self.datastores.raw_view(DatastoreName.RUNNING)
            self._cached = (running, parse_config(raw.get(NACM), self._modules))
            self._users = {}
        return self._cached[1]

    def _user(self, config: NacmConfig, context: SessionContext) -> _UserAccess:
        """The user's groups, and whether they may read or write every node; ``config`` is
        ``self.config()``, which the cache belongs to."""
        key = (context.username, context.level)
        found = self._users.get(key)
        if found is None:
            groups = config.groups_of(context.username, level_groups(context.level))
            found = self._users[key] = _UserAccess(
                groups, config.reads_everything(groups), config.writes_everything(groups)
            )
        return found

    def _groups(self, config: NacmConfig, context: SessionContext) -> frozenset[str]:
        return self._user(config, context).groups

    def state(self) -> RawObject:
        """The counters of ``/nacm`` (config false, mandatory)."""
        return {
            NACM: {
                "denied-operations": self.denied_operations,
                "denied-data-writes": self.denied_data_writes,
                "denied-notifications": self.denied_notifications,
            }
        }

    def _sensitivity(self, names: tuple[str, ...]) -> Sensitivity:
        """A node's extension, or the strongest of its ancestors'."""
        result = Sensitivity.NONE
        for end in range(1, len(names) + 1):
            found = self._sensitive.get(names[:end])
            if found is Sensitivity.DEFAULT_DENY_ALL:
                return found
            if found is not None:
                result = found
        return result

    # --- operations ---------------------------------------------------------------------

    def may_exec(self, context: SessionContext, name: etree.QName) -> bool:
        """Whether the user may run the operation ``name``; nothing is counted (a web page
        asks before it offers a button)."""
        config = self.config()
        if not config.enabled:
            return True
        user = self._user(config, context)
        decided = user.executes.get(name.text)
        if decided is None:
            module = (
                "ietf-netconf"
                if name.namespace == BASE_NS
                else self.schema.module_of_namespace.get(name.namespace or "")
            )
            sensitivity = self._sensitivity((f"{module}:{name.localname}",))
            decided = user.executes[name.text] = config.may_exec(
                user.groups, module, name.localname, sensitivity
            )
        return decided

    def may_read(self, context: SessionContext, module: str, names: tuple[str, ...]) -> bool:
        """Whether the user may read the node ``names`` (no list entries) of ``module``'s
        top-level tree, as a <get> would keep it."""
        config = self.config()
        if not config.enabled:
            return True
        user = self._user(config, context)
        if user.reads_everything:
            return True
        path = tuple(Step(module, name) for name in names)
        qualified = tuple(f"{module}:{name}" for name in names)
        # a node is readable only if every ancestor is: pruning removes a whole subtree
        return all(
            config.may_access(
                user.groups, path[:end], Access.READ, self._sensitivity(qualified[:end])
            )
            for end in range(1, len(path) + 1)
        )

    def check_exec(self, context: SessionContext, operation: etree._Element) -> None:
        name = etree.QName(operation)
        if self.may_exec(context, name):
            return
        self.denied_operations += 1
        raise AccessDeniedError(
            ErrorType.APPLICATION,
            message=f"user {context.username!r} may not execute {name.localname!r}",
        )

    def readable(self, context: SessionContext, content: etree._Element) -> etree._Element | None:
        """A notification (its event element) as this session's user may receive it: None if
        the user may not read it (RFC 8341 §3.4.6), and a config change without the edits of
        nodes the user may not read (they would tell what the nodes are)."""
        config = self.config()
        if not config.enabled:
            return content
        name = etree.QName(content)
        module = self.schema.module_of_namespace.get(name.namespace or "")
        if module is None:
            return content
        groups = self._groups(config, context)
        sensitivity = self._sensitivity((f"{module}:{name.localname}",))
        if not config.may_receive(groups, module, name.localname, sensitivity):
            self.denied_notifications += 1
            return None
        if name.localname != _CONFIG_CHANGE:
            return content
        pruned = copy.deepcopy(content)
        for edit in pruned.iterfind(f"{{{name.namespace}}}edit"):
            target = edit.findtext(f"{{{name.namespace}}}target") or "/"
            try:
                path = parse_path(target, self._modules)
            except RulePathError:
                continue
            names = tuple(f"{step.module}:{step.name}" for step in path)
            if path and not config.may_access(groups, path, Access.READ, self._sensitivity(names)):
                pruned.remove(edit)
        return pruned

    # --- reading ------------------------------------------------------------------------

    def prune(self, context: SessionContext, data: etree._Element) -> None:
        """Remove, in place, every child subtree of ``data`` the user may not read."""
        config = self.config()
        if not config.enabled:
            return
        user = self._user(config, context)
        if user.reads_everything:
            return
        groups = user.groups

        def visit(
            parent: etree._Element, node: SchemaNode, path: DataPath, names: tuple[str, ...]
        ) -> None:
            for element in list(parent):
                if not isinstance(element.tag, str) or not isinstance(node, InternalNode):
                    continue
                qualified = etree.QName(element)
                module = self.schema.module_of_namespace.get(qualified.namespace or "")
                child = node.get_data_child(qualified.localname, module) if module else None
                if child is None:
                    continue
                assert module is not None
                step = Step(module, qualified.localname, _element_keys(element, child))
                child_names = (*names, f"{module}:{qualified.localname}")
                if not config.may_access(
                    groups, (*path, step), Access.READ, self._sensitivity(child_names)
                ):
                    parent.remove(element)
                    continue
                visit(element, child, (*path, step), child_names)

        visit(data, self.schema.root, (), ())

    # --- writing ------------------------------------------------------------------------

    def writes_everything(self, context: SessionContext) -> bool:
        """Whether every write of the session is permitted, so that nothing needs checking."""
        config = self.config()
        return (
            not config.enabled
            or context.session_id == 0
            or self._user(config, context).writes_everything
        )

    def check_write(self, context: SessionContext, old: RawObject, new: RawObject) -> None:
        """Raise access-denied for the first change of ``old`` into ``new`` not permitted."""
        if self.writes_everything(context):
            return
        self.check_changes(context, diff(self.schema, old, new))

    def check_changes(self, context: SessionContext, changes: Diff) -> None:
        """Raise access-denied for the first change the user may not make: every node
        created, updated or deleted, every node inside a created or deleted subtree, every
        entry of an ordered-by user list placed elsewhere; a change that cannot be
        interpreted is refused."""
        config = self.config()
        groups = self._groups(config, context)
        for change in changes.changes:
            if change.opaque:
                self._deny(context, change.instance, "write")
            if change.kind is ChangeKind.MOVE:
                for placed in change.moved:
                    self._check(context, groups, placed.path, Access.UPDATE, placed.instance)
                continue
            for node in expand(self.schema, change):
                self._check(context, groups, node.path, _ACCESS[node.kind], node.instance)

    def _check(
        self,
        context: SessionContext,
        groups: frozenset[str],
        path: DataPath,
        access: Access,
        instance: str,
    ) -> None:
        names = tuple(f"{step.module}:{step.name}" for step in path)
        if not self.config().may_access(groups, path, access, self._sensitivity(names)):
            self._deny(context, instance, access.value)

    def _deny(self, context: SessionContext, instance: str, access: str) -> NoReturn:
        self.denied_data_writes += 1
        raise AccessDeniedError(
            ErrorType.APPLICATION,
            path=instance,
            path_namespaces=self.schema.path_namespaces(instance),
            message=f"user {context.username!r} may not {access} this node",
        )


def _element_keys(element: etree._Element, node: SchemaNode) -> dict[str, str]:
    if not isinstance(node, ListNode):
        return {}
    keys = {}
    for key_name, _ in node.keys:
        for child in element:
            if isinstance(child.tag, str) and etree.QName(child).localname == key_name:
                keys[key_name] = (child.text or "").strip()
    return keys


class AccessControlledOperations:
    """A transport ``Dispatcher`` that applies NACM around another one."""

    def __init__(self, operations: Dispatcher, access: AccessControl) -> None:
        self.operations = operations
        self.access = access

    def authorize(self, context: SessionContext, request: RpcRequest) -> None:
        """The exec check alone, for the operations the transport runs (kill-session)."""
        self.access.check_exec(context, request.operation)

    async def dispatch(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        self.access.check_exec(context, request.operation)
        tag = request.operation_tag
        if tag in _WRITES:
            self._check_write(context, request.operation)
        reply = await self.operations.dispatch(context, request)
        if tag in _READS and isinstance(reply, etree._Element):
            self.access.prune(context, reply)
        return reply

    def _check_write(self, context: SessionContext, operation: etree._Element) -> None:
        if self.access.writes_everything(context):
            # the write itself is not worked out (an edit applied twice)
            return
        datastores = self.access.datastores
        local = etree.QName(operation).localname
        if local == "commit":
            if datastores.candidate_modified:
                self.access.check_write(
                    context,
                    datastores.raw_view(DatastoreName.RUNNING),
                    datastores.raw_view(DatastoreName.CANDIDATE),
                )
            return
        target = _datastore(operation, "datastore" if local == "edit-data" else "target")
        if target is None:
            return
        old = datastores.raw_view(target)
        if local == "delete-config":
            new: RawObject = {}
        elif local == "copy-config":
            source = _child(operation, "source")
            what = (
                next((c for c in source if isinstance(c.tag, str)), None)
                if source is not None
                else None
            )
            if what is None:
                return
            if etree.QName(what).localname == "config":
                new = apply_edit(datastores.schema, {}, what, EditOperation.MERGE).config
            else:
                try:
                    new = datastores.raw_view(DatastoreName(etree.QName(what).localname))
                except ValueError:
                    return
        else:
            config = _child(operation, "config")
            if config is None:
                return
            try:
                new = apply_edit(
                    datastores.schema,
                    old,
                    config,
                    EditOperation(_text(operation, "default-operation") or EditOperation.MERGE),
                    ErrorOption(_text(operation, "error-option") or ErrorOption.STOP_ON_ERROR),
                ).config
            except (RpcError, ValueError):
                # the operation itself refuses this edit, with the error it reports
                return
        self.access.check_write(context, old, new)


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    """A parameter of a base or NMDA operation (Ansible sends them without a namespace)."""
    for child in parent:
        if isinstance(child.tag, str) and child.tag in (
            qname(name),
            f"{{{_NMDA_NS}}}{name}",
            name,
        ):
            return child
    return None


def _text(parent: etree._Element, name: str) -> str | None:
    child = _child(parent, name)
    return None if child is None else (child.text or "").strip()


def _datastore(operation: etree._Element, name: str) -> DatastoreName | None:
    container = _child(operation, name)
    if container is None:
        return None
    if name == "datastore":
        # <edit-data>: an identity such as ds:running
        try:
            return DatastoreName((container.text or "").strip().rpartition(":")[2])
        except ValueError:
            return None
    for child in container:
        if isinstance(child.tag, str):
            try:
                return DatastoreName(etree.QName(child).localname)
            except ValueError:
                return None
    return None
