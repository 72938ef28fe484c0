"""RFC 8341 enforcement: exec checks around the operations, read pruning, the datastores'
authorize step for every write, notification filtering, and the ``/nacm`` counters.

The rules live in ``running`` (``/ietf-netconf-acm:nacm``) and are read again whenever
``running`` changes. A user's level (users.yaml) gives its external groups ``level-0`` …
``level-N`` (rules.level_groups). Changes the switch makes itself (session 0) are not
checked: they are the server's, not a user's.

A write is checked on the changes the datastores worked out (:class:`Diff`), never on the
request: what cannot be interpreted is refused. The authorize step may run on the worker
thread that works a write out, so what it caches belongs to one configuration and the
counter it moves is locked.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import NoReturn

from lxml import etree
from yangson.schemanode import DataNode, InternalNode, ListNode, SchemaNode
from yangson.statement import Statement

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.authorize import SYSTEM_SESSION, Write, Writer
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import ChangeKind, DataPath, Diff, Step, expand
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.nacm.rules import (
    NACM,
    Access,
    NacmConfig,
    Sensitivity,
    level_groups,
    parse_config,
)
from smartupgrade_server.netconf.capabilities import BASE_NS, qname
from smartupgrade_server.netconf.errors import AccessDeniedError, ErrorType
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
_WRITE_ACCESS = (Access.CREATE, Access.UPDATE, Access.DELETE)
_DATA_STATEMENTS = frozenset(
    {"container", "list", "leaf", "leaf-list", "anydata", "anyxml", "choice", "case"}
)
_NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
_CONFIG_CHANGE = "netconf-config-change"
# replies whose children are data nodes, pruned of what the user may not read
_READS = frozenset({qname("get"), qname("get-config"), f"{{{_NMDA_NS}}}get-data"})


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
        # running's raw object, its rules, and per (user name, level) the user's groups and
        # whether they may read or write everything, which every request would work out again
        self._cached: tuple[RawObject, NacmConfig, dict[tuple[str, int], _UserAccess]] | None
        self._cached = None
        self.denied_operations = 0
        self.denied_data_writes = 0
        self.denied_notifications = 0
        self._counting = threading.Lock()

    # --- the configuration --------------------------------------------------------------

    def config(self) -> NacmConfig:
        running = self.datastores.raw_view(DatastoreName.RUNNING)
        cached = self._cached
        if cached is None or cached[0] is not running:
            cached = self._cached = (running, parse_config(running.get(NACM), self._modules), {})
        return cached[1]

    def _user(self, config: NacmConfig, context: SessionContext) -> _UserAccess:
        """The user's groups, and whether they may read or write every node, under the
        rules ``config`` (``self.config()``)."""
        cached = self._cached
        # rules replaced meanwhile (by the event loop, while a write was worked out on a
        # worker thread): the answer is not kept for the new ones
        users = cached[2] if cached is not None and cached[1] is config else {}
        key = (context.username, context.level)
        found = users.get(key)
        if found is None:
            groups = config.groups_of(context.username, level_groups(context.level))
            found = users[key] = _UserAccess(
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

    def readable(
        self, context: SessionContext, content: etree._Element, edits: Sequence[DataPath]
    ) -> etree._Element | None:
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
        found = list(pruned.iterfind(f"{{{name.namespace}}}edit"))
        for index, edit in enumerate(found):
            # the path of each edit is the diff's; an edit without one is not shown
            path = edits[index] if len(edits) == len(found) else None
            names = () if path is None else tuple(f"{s.module}:{s.name}" for s in path)
            if path is None or (
                path and not config.may_access(groups, path, Access.READ, self._sensitivity(names))
            ):
                pruned.remove(edit)
        return pruned

    # --- reading ------------------------------------------------------------------------

    def reads_everything(self, context: SessionContext) -> bool:
        """Whether the user may read every node, so that nothing needs pruning."""
        config = self.config()
        return not config.enabled or self._user(config, context).reads_everything

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

    # --- writing: the datastores' authorize step ---------------------------------------------

    def writes_everything(self, context: SessionContext) -> bool:
        """Whether every write of the session is permitted, so that nothing needs checking."""
        config = self.config()
        return (
            not config.enabled
            or context.session_id == SYSTEM_SESSION
            or self._user(config, context).writes_everything
        )

    def before_edit(self, writer: Writer, datastore: str, tops: Sequence[DataNode]) -> None:
        """Refuse at once an edit naming a top-level node under which the user may create,
        update and delete nothing: no rule could permit it and the defaults deny it. Such an
        edit is refused even if it would change nothing there (a merge of what is already
        there), which RFC 8341 would let through; it is not worked out."""
        context = self._user_of(writer)
        if context is None or self.writes_everything(context):
            return
        config = self.config()
        groups = self._groups(config, context)
        for top in tops:
            if not self._may_write_under(config, groups, top):
                self._deny(context, self.schema.step("", top), "write anything under")

    def authorize(self, write: Write) -> None:
        """Raise access-denied for the first change the user may not make; the switch's own
        writes are not checked, nor those of a user who may write everything."""
        context = self._user_of(write.writer)
        if context is not None and not self.writes_everything(context):
            self.check_changes(context, write.diff)

    def check_changes(self, context: SessionContext, changes: Diff) -> None:
        """Raise access-denied for the first change the user may not make: every node
        created, updated or deleted, every node inside a created or deleted subtree, every
        entry of an ordered-by user list placed elsewhere. A change that cannot be
        interpreted (a member no schema node describes, entries without distinct keys) is
        refused."""
        config = self.config()
        groups = self._groups(config, context)
        for change in changes.changes:
            if change.kind is ChangeKind.MOVE:
                for placed in change.moved:
                    self._check(context, groups, placed.path, Access.UPDATE, placed.instance)
                continue
            for node in expand(self.schema, change):
                if node.opaque:
                    self._deny(context, node.instance, "write")
                self._check(context, groups, node.path, _ACCESS[node.kind], node.instance)

    def _user_of(self, writer: Writer) -> SessionContext | None:
        """The writer's session, None for the switch itself; a session known only by its id
        names no user, so nothing it writes is permitted."""
        if not isinstance(writer, int):
            return writer
        if writer == SYSTEM_SESSION:
            return None
        self._count_denied_write()
        raise AccessDeniedError(
            ErrorType.APPLICATION, message=f"the write of session {writer} names no user"
        )

    def _may_write_under(self, config: NacmConfig, groups: frozenset[str], top: DataNode) -> bool:
        """Whether some rule could permit a write of some node of ``top``'s subtree, or the
        defaults do."""
        for rule in config.rules_for(groups):
            if rule.rpc is not None or rule.notification is not None or not rule.permit:
                continue
            if not any(rule.allows_operation(access) for access in _WRITE_ACCESS):
                continue
            if rule.path is None:
                if rule.module == "*" or rule.module in _modules_within(top):
                    return True
            elif not rule.path or (rule.path[0].module, rule.path[0].name) == (top.ns, top.name):
                return True
        # a default-deny extension on the top node holds for everything below it
        sensitivity = self._sensitivity((f"{top.ns}:{top.name}",))
        return config.write_permit and sensitivity is Sensitivity.NONE

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
        self._count_denied_write()
        raise AccessDeniedError(
            ErrorType.APPLICATION,
            path=instance,
            path_namespaces=self.schema.path_namespaces(instance),
            message=f"user {context.username!r} may not {access} this node",
        )

    def _count_denied_write(self) -> None:
        with self._counting:
            self.denied_data_writes += 1


@cache
def _modules_within(top: SchemaNode) -> frozenset[str]:
    """The modules of the data nodes in ``top``'s subtree (augments bring others)."""
    found = {top.ns}
    if isinstance(top, InternalNode):
        for child in top.data_children():
            found |= _modules_within(child)
    return frozenset(found)


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
    """A transport ``Dispatcher`` that checks NACM's exec rules around another one and
    prunes what it reads; writes are checked by the datastores' authorize step."""

    def __init__(self, operations: Dispatcher, access: AccessControl) -> None:
        self.operations = operations
        self.access = access

    def authorize(self, context: SessionContext, request: RpcRequest) -> None:
        """The exec check alone, for the operations the transport runs (kill-session)."""
        self.access.check_exec(context, request.operation)

    async def dispatch(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        self.access.check_exec(context, request.operation)
        reply = await self.operations.dispatch(context, request)
        if request.operation_tag in _READS and isinstance(reply, etree._Element):
            self.access.prune(context, reply)
        return reply
