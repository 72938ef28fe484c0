"""The dispatcher the transport calls for every ``<rpc>`` but close-session and kill-session.

The base operations are parsed into request values (:mod:`.requests`); each is answered with
the datastores' help, returning the reply content (None for ``<ok/>``) or raising
:class:`RpcError`.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Awaitable, Callable

from lxml import etree
from yangson.instance import RootNode
from yangson.instvalue import ObjectValue

from smartupgrade_server.datastore.codec import WithDefaults
from smartupgrade_server.datastore.filters import Filter, FilterContext, SubtreeFilter
from smartupgrade_server.datastore.store import DatastoreName, Datastores, Members
from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import ErrorType, OperationNotSupportedError
from smartupgrade_server.netconf.operations import Handler, OperationTable
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.requests import (
    BASE_OPERATIONS,
    CancelCommitRequest,
    CommitRequest,
    CopyConfigRequest,
    DeleteConfigRequest,
    DiscardChangesRequest,
    EditConfigRequest,
    GetConfigRequest,
    GetRequest,
    LockRequest,
    UnlockRequest,
    ValidateRequest,
    parse_request,
)

# the top-level elements of some state that a <get> filter (None: no filter) selects
StateSource = Callable[[Filter | None], list[etree._Element]]
# what an instance is rendered as: with-defaults mode, config only, top-level members
_RenderKey = tuple[WithDefaults, bool, Members]

# ncclient's huawei device handler offers m.cli() and m.action() in this namespace; a user
# reaching for them is told where the same things are in the YANG model.
HUAWEI_NS = "http://www.huawei.com/netconf/capability/base/1.0"
HUAWEI_OPERATIONS = {
    "execute-cli": "Huawei <execute-cli> is not emulated: read 'display smart-upgrade "
    "information' with <get> of /sunc-smart-upgrade:smart-upgrade and configure it with "
    "<edit-config>",
    "execute-action": "Huawei <execute-action> is not emulated: use the RPCs of module "
    "sunc-smart-upgrade",
}


class NetconfOperations:
    """RFC 6241 operations on one switch's datastores (a transport ``Dispatcher``)."""

    def __init__(self, datastores: Datastores) -> None:
        self.datastores = datastores
        # yangson instances are immutable and the datastores hand out the same one while its
        # data is unchanged (running until a commit, get's until running or the state
        # changes), so its XML is rendered once; an entry goes with its instance
        self._renders: weakref.WeakKeyDictionary[RootNode, dict[_RenderKey, etree._Element]] = (
            weakref.WeakKeyDictionary()
        )
        self._state_sources: list[StateSource] = []
        schema = datastores.schema
        # top-level node name -> (namespace, member) of each such node, for a filter's names
        self._top_level: dict[str, list[tuple[str, str]]] = {}
        for node in schema.root.data_children():
            self._top_level.setdefault(node.name, []).append(
                (schema.namespace_of_module[node.ns], node.iname())
            )
        self._table = OperationTable()
        for name in BASE_OPERATIONS:
            self._table.register(BASE_NS, name, self._base)
        for name, message in HUAWEI_OPERATIONS.items():
            self._table.register(HUAWEI_NS, name, _not_emulated(message))

    def add_state_source(self, source: StateSource) -> None:
        """State kept outside the datastores (e.g. /netconf-state), added to <get>'s reply."""
        self._state_sources.append(source)

    def register(self, namespace: str, name: str, handler: Handler) -> None:
        """Add an operation of a YANG module (its RPCs), e.g. operations/smart_upgrade.py."""
        self._table.register(namespace, name, handler)

    async def dispatch(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        return await self._table.dispatch(context, request)

    def session_ended(self, context: SessionContext) -> None:
        """The registry's end hook: locks and an unconfirmed commit go with the session."""
        self.datastores.session_ended(context.session_id)

    # --- reading ------------------------------------------------------------------------

    def _rendered(
        self,
        instance: RootNode,
        mode: WithDefaults,
        *,
        config_only: bool,
        members: Members = None,
    ) -> etree._Element:
        value: ObjectValue = (
            instance.add_defaults().value
            if mode in (WithDefaults.REPORT_ALL, WithDefaults.REPORT_ALL_TAGGED)
            else instance.value
        )
        return self.datastores.schema.render(
            value, config_only=config_only, mode=mode, members=members
        )

    def _kept_render(
        self, instance: RootNode, mode: WithDefaults, *, config_only: bool, members: Members
    ) -> etree._Element:
        """``_rendered``, once per instance; the tree is shared and must not be modified."""
        renders = self._renders.setdefault(instance, {})
        key = (mode, config_only, members)
        data = renders.get(key)
        if data is None:
            data = renders[key] = self._rendered(
                instance, mode, config_only=config_only, members=members
            )
        return data

    def _members(self, selection: Filter | None) -> Members:
        """The top-level members a filter can select anything from (None: any)."""
        if not isinstance(selection, SubtreeFilter):
            return None
        members: set[str] = set()
        for element in selection.children:
            if (element.text or "").strip() and not any(
                isinstance(child.tag, str) for child in element
            ):
                # a content match node at the top is matched against the data root's leaves,
                # and if all match the whole root is selected (RFC 6241 §6.2.5)
                return None
            name = etree.QName(element)
            for namespace, member in self._top_level.get(name.localname, ()):
                if name.namespace in (None, namespace):
                    members.add(member)
        return frozenset(members)

    def _data(
        self,
        selection: Filter | None,
        mode: WithDefaults,
        instance_of: Callable[[Members], RootNode],
        *,
        config_only: bool,
    ) -> etree._Element:
        """The data a get or get-config selects; ``instance_of`` gives the datastore's
        content with at least the given top-level members."""
        schema = self.datastores.schema
        # nothing outside the filter's top-level nodes is converted or rendered
        members = self._members(selection)
        data = self._kept_render(
            instance_of(members), mode, config_only=config_only, members=members
        )
        if selection is None:
            return copy.deepcopy(data)
        context = FilterContext(list_keys=schema.list_keys, module_prefixes=schema.xpath_prefixes)
        return selection.apply(data, context)

    # --- operations ---------------------------------------------------------------------

    async def _base(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        datastores = self.datastores
        session = context.session_id
        match parse_request(request.operation):
            case GetRequest() as get:
                data = self._data(
                    get.filter, get.with_defaults, datastores.operational, config_only=False
                )
                for source in self._state_sources:
                    data.extend(source(get.filter))
                return data
            case GetConfigRequest() as get_config:
                instance = datastores.instance(get_config.source)
                return self._data(
                    get_config.filter,
                    get_config.with_defaults,
                    lambda _members: instance,
                    config_only=True,
                )
            case EditConfigRequest() as edit:
                errors = await datastores.edit_async(
                    edit.target,
                    edit.config,
                    context,
                    default_operation=edit.default_operation,
                    test_option=edit.test_option,
                    error_option=edit.error_option,
                )
                if len(errors) == 1:
                    raise errors[0]
                # several <rpc-error>s are the reply's children (continue-on-error)
                return [error.to_xml() for error in errors] or None
            case CopyConfigRequest(target, DatastoreName() as source, with_defaults):
                # RFC 6243 §4.5.3: the source as get-config would report it in this mode
                rendered = self._rendered(
                    datastores.instance(source), with_defaults, config_only=True
                )
                await datastores.copy_async(target, rendered, context)
            case CopyConfigRequest(target, config):
                assert isinstance(config, etree._Element)
                await datastores.copy_async(target, config, context)
            case DeleteConfigRequest(target):
                datastores.delete(target, context)
            case LockRequest(target):
                datastores.lock(target, session)
            case UnlockRequest(target):
                datastores.unlock(target, session)
            case ValidateRequest(DatastoreName() as source):
                await datastores.check_async(datastores.raw_view(source))
            case ValidateRequest(config):
                assert isinstance(config, etree._Element)
                await datastores.check_async(config)
            case CommitRequest() as commit:
                datastores.commit(
                    context,
                    confirmed=commit.confirmed,
                    timeout=commit.timeout,
                    persist=commit.persist,
                    persist_id=commit.persist_id,
                )
            case CancelCommitRequest(persist_id):
                datastores.cancel_commit(context, persist_id)
            case DiscardChangesRequest():
                datastores.discard_changes(context)
            case other:
                raise AssertionError(f"{other!r} is not a base operation")
        return None


def _not_emulated(message: str) -> Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]:
    async def refuse(context: SessionContext, request: RpcRequest) -> ReplyContent:
        raise OperationNotSupportedError(ErrorType.PROTOCOL, message=message)

    return refuse
