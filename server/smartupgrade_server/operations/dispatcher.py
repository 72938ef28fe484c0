"""The dispatcher the transport calls for every ``<rpc>`` but close-session and kill-session.

Each handler reads its parameters from the request, calls the datastores, and returns the
reply content (None for ``<ok/>``) or raises :class:`RpcError`. Parameters are looked up in
the base namespace, and also without one: Ansible sends ``<config>`` un-namespaced.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

from lxml import etree
from yangson.instance import RootNode
from yangson.instvalue import ObjectValue

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import WITH_DEFAULTS_PARAM_NS, WithDefaults
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption, apply_edit
from smartupgrade_server.datastore.filters import (
    Filter,
    FilterContext,
    SubtreeFilter,
    parse_filter,
)
from smartupgrade_server.datastore.store import (
    DEFAULT_CONFIRM_TIMEOUT,
    DatastoreName,
    Datastores,
    EditTestOption,
    Members,
)
from smartupgrade_server.netconf.capabilities import BASE_NS, qname
from smartupgrade_server.netconf.errors import (
    ErrorType,
    InvalidValueError,
    MissingElementError,
    OperationNotSupportedError,
)
from smartupgrade_server.netconf.operations import Handler, OperationTable
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.capabilities import BASIC_MODE

# <config> (inline) or a datastore name
Source = DatastoreName | etree._Element
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


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for child in parent:
        if isinstance(child.tag, str) and child.tag in (qname(name), name):
            return child
    return None


def _text(parent: etree._Element, name: str) -> str | None:
    child = _child(parent, name)
    return None if child is None else (child.text or "").strip()


_Option = TypeVar("_Option", EditOperation, ErrorOption, EditTestOption)


def _enum(parent: etree._Element, name: str, kind: type[_Option], default: _Option) -> _Option:
    text = _text(parent, name)
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"{text!r} is not a {name} (one of {', '.join(kind)})",
        ) from None


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
        handlers: dict[str, Callable[[SessionContext, etree._Element], ReplyContent]] = {
            "get": self._get,
            "get-config": self._get_config,
            "edit-config": self._edit_config,
            "copy-config": self._copy_config,
            "delete-config": self._delete_config,
            "lock": self._lock,
            "unlock": self._unlock,
            "validate": self._validate,
            "commit": self._commit,
            "cancel-commit": self._cancel_commit,
            "discard-changes": self._discard_changes,
        }
        for name, handler in handlers.items():
            self._table.register(BASE_NS, name, _async(handler))
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

    # --- parameters ---------------------------------------------------------------------

    def _source(self, operation: etree._Element, name: str, *, inline: bool) -> Source:
        container = _child(operation, name)
        if container is None:
            raise MissingElementError(
                ErrorType.PROTOCOL,
                name,
                message=f"<{etree.QName(operation).localname}> needs a <{name}>",
            )
        for child in container:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local == "config" and inline:
                return child
            if local == "url":
                raise OperationNotSupportedError(
                    ErrorType.PROTOCOL, message="the :url capability is not supported"
                )
            try:
                return DatastoreName(local)
            except ValueError:
                break
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"<{name}> names no datastore this server has "
            f"({', '.join(DatastoreName)}{', or <config>' if inline else ''})",
        )

    def _datastore(self, operation: etree._Element, name: str) -> DatastoreName:
        source = self._source(operation, name, inline=False)
        assert isinstance(source, DatastoreName)
        return source

    def _inline(self, config: etree._Element) -> RawObject:
        """An inline <config> as a raw configuration (edited into an empty one)."""
        return apply_edit(self.datastores.schema, {}, config, EditOperation.MERGE).config

    def _with_defaults(self, operation: etree._Element) -> WithDefaults:
        for child in operation:
            if (
                isinstance(child.tag, str)
                and child.tag == f"{{{WITH_DEFAULTS_PARAM_NS}}}with-defaults"
            ):
                text = (child.text or "").strip()
                try:
                    return WithDefaults(text)
                except ValueError:
                    raise InvalidValueError(
                        ErrorType.PROTOCOL,
                        message=f"{text!r} is not a with-defaults mode "
                        f"(one of {', '.join(WithDefaults)})",
                    ) from None
        return BASIC_MODE

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
        operation: etree._Element,
        instance_of: Callable[[Members], RootNode],
        *,
        config_only: bool,
    ) -> tuple[etree._Element, Filter | None]:
        """The data a get or get-config selects, and its filter; ``instance_of`` gives the
        datastore's content with at least the given top-level members."""
        schema = self.datastores.schema
        mode = self._with_defaults(operation)
        filter_element = _child(operation, "filter")
        selection = None if filter_element is None else parse_filter(filter_element)
        # nothing outside the filter's top-level nodes is converted or rendered
        members = self._members(selection)
        data = self._kept_render(
            instance_of(members), mode, config_only=config_only, members=members
        )
        if selection is None:
            return copy.deepcopy(data), None
        context = FilterContext(list_keys=schema.list_keys, module_prefixes=schema.xpath_prefixes)
        return selection.apply(data, context), selection

    # --- operations ---------------------------------------------------------------------

    def _get(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        data, selection = self._data(operation, self.datastores.operational, config_only=False)
        for source in self._state_sources:
            data.extend(source(selection))
        return data

    def _get_config(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        source = self._datastore(operation, "source")
        instance = self.datastores.instance(source)
        return self._data(operation, lambda _members: instance, config_only=True)[0]

    def _edit_config(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        target = self._datastore(operation, "target")
        config = _child(operation, "config")
        if config is None:
            if _child(operation, "url") is not None:
                raise OperationNotSupportedError(
                    ErrorType.PROTOCOL, message="the :url capability is not supported"
                )
            raise MissingElementError(
                ErrorType.PROTOCOL, "config", message="<edit-config> needs a <config>"
            )
        errors = self.datastores.edit(
            target,
            config,
            context.session_id,
            default_operation=_enum(
                operation, "default-operation", EditOperation, EditOperation.MERGE
            ),
            test_option=_enum(
                operation, "test-option", EditTestOption, EditTestOption.TEST_THEN_SET
            ),
            error_option=_enum(operation, "error-option", ErrorOption, ErrorOption.STOP_ON_ERROR),
        )
        if len(errors) == 1:
            raise errors[0]
        # several <rpc-error>s are the reply's children (continue-on-error)
        return [error.to_xml() for error in errors] or None

    def _copy_config(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        target = self._datastore(operation, "target")
        source = self._source(operation, "source", inline=True)
        if source == target:
            raise InvalidValueError(
                ErrorType.PROTOCOL, message="the source and the target are the same datastore"
            )
        if isinstance(source, DatastoreName):
            # RFC 6243 §4.5.3: the source as get-config would report it in this mode
            rendered = self._rendered(
                self.datastores.instance(source), self._with_defaults(operation), config_only=True
            )
            config = self._inline(rendered)
        else:
            config = self._inline(source)
        self.datastores.copy(target, config, context.session_id)
        return None

    def _delete_config(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        self.datastores.delete(self._datastore(operation, "target"), context.session_id)
        return None

    def _lock(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        self.datastores.lock(self._datastore(operation, "target"), context.session_id)
        return None

    def _unlock(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        self.datastores.unlock(self._datastore(operation, "target"), context.session_id)
        return None

    def _validate(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        source = self._source(operation, "source", inline=True)
        if isinstance(source, DatastoreName):
            self.datastores.check(self.datastores.raw(source))
        else:
            self.datastores.check(self._inline(source))
        return None

    def _commit(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        timeout_text = _text(operation, "confirm-timeout")
        timeout = DEFAULT_CONFIRM_TIMEOUT
        if timeout_text is not None:
            if not timeout_text.isdigit() or int(timeout_text) < 1:
                raise InvalidValueError(
                    ErrorType.PROTOCOL,
                    message=f"confirm-timeout {timeout_text!r} is not a number of seconds",
                )
            timeout = int(timeout_text)
        self.datastores.commit(
            context.session_id,
            confirmed=_child(operation, "confirmed") is not None,
            timeout=timeout,
            persist=_text(operation, "persist"),
            persist_id=_text(operation, "persist-id"),
        )
        return None

    def _cancel_commit(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        self.datastores.cancel_commit(context.session_id, _text(operation, "persist-id"))
        return None

    def _discard_changes(self, context: SessionContext, operation: etree._Element) -> ReplyContent:
        self.datastores.discard_changes(context.session_id)
        return None


def _async(
    handler: Callable[[SessionContext, etree._Element], ReplyContent],
) -> Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]:
    async def run(context: SessionContext, request: RpcRequest) -> ReplyContent:
        return handler(context, request.operation)

    return run


def _not_emulated(message: str) -> Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]:
    async def refuse(context: SessionContext, request: RpcRequest) -> ReplyContent:
        raise OperationNotSupportedError(ErrorType.PROTOCOL, message=message)

    return refuse
