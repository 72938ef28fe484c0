"""The switch emulator behind the datastores: configuration in, state out, vetoes as rpc-errors.

The only module that knows both sides. Values cross between the generated dataclasses of
``model.py`` and RFC 7951 raw objects by walking the dataclass fields alongside the yangson
schema (a field ``software_download_speed`` is the node ``software-download-speed``; the
node's type gives the raw form), so no YANG name is written here twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from yangson.schemanode import ContainerNode, InternalNode, LeafNode, SchemaNode

from smartupgrade_server.datastore.codec import RawObject, Schema
from smartupgrade_server.datastore.store import ConfigChange, DatastoreName, Datastores
from smartupgrade_server.device import ConfigRejectedError, OperationRefusedError, Switch
from smartupgrade_server.model import (
    CONFIG_LEAVES,
    MODULE,
    SSL_POLICY_MODULE,
    SSL_POLICY_NAME,
    Schedule,
    SmartUpgrade,
)
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, RpcError

logger = logging.getLogger(__name__)

T = TypeVar("T")

(_ROOT,) = {spec.path[0] for spec in CONFIG_LEAVES.values()}
SMART_UPGRADE = f"{MODULE}:{_ROOT}"
_POLICIES, _POLICY, _POLICY_KEY = SSL_POLICY_NAME.path

# An RPC the switch refuses. Only what RFC 6241 names more precisely than operation-failed is
# listed: an operation while another upgrade runs needs "a resource that already is in use" —
# the tag a configuration change gets for the same reason (ConfigRejectedError carries it).
_REFUSAL_TAGS: Mapping[str, ErrorTag] = {"upgrade-in-progress": ErrorTag.IN_USE}


@dataclasses.dataclass(frozen=True)
class SslPolicy:
    """One entry of the sunc-ssl-policy list, read field by field like the generated classes."""

    name: str
    trusted_ca: tuple[str, ...] = ()


# --- dataclass <-> raw ----------------------------------------------------------------------


def yang_name(name: str) -> str:
    """The YANG identifier of a generated dataclass field."""
    return name.replace("_", "-")


def field_name(yang_identifier: str) -> str:
    """The generated dataclass field of a YANG identifier."""
    return yang_identifier.replace("-", "_")


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        (annotation,) = (a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def from_raw(cls: type[T], raw: Mapping[str, Any]) -> T:
    """The dataclass ``cls`` from a raw object; absent members keep the field's default,
    which the generator took from the YANG default."""
    dataclass: type[Any] = cls
    hints = _hints(dataclass)
    values: dict[str, object] = {}
    for item in dataclasses.fields(dataclass):
        member = raw.get(yang_name(item.name))
        if member is not None:
            values[item.name] = _value_from_raw(hints[item.name], member)
    return cls(**values)


def _value_from_raw(annotation: Any, raw: Any) -> object:
    annotation = _unwrap_optional(annotation)
    if typing.get_origin(annotation) is tuple:
        (item_type, _) = typing.get_args(annotation)
        return tuple(_value_from_raw(item_type, item) for item in raw)
    if dataclasses.is_dataclass(annotation):
        return from_raw(typing.cast(type[Any], annotation), raw)
    if annotation is datetime:
        return datetime.fromisoformat(raw)
    if annotation in (int, Decimal) or (
        isinstance(annotation, type) and issubclass(annotation, Enum)
    ):
        # RFC 7951 writes 64-bit integers and decimal64 as strings
        return annotation(raw)
    return raw


def to_raw(value: object, node: InternalNode) -> RawObject:
    """The raw members of a dataclass instance under the schema node ``node``.

    None leaves and empty non-presence containers are left out. A field the schema lacks must
    hold its default (a feature the model does not implement); anything else is a model that
    drifted from the schema, and raises.
    """
    raw: RawObject = {}
    for item in dataclasses.fields(value):  # type: ignore[arg-type]
        field_value = getattr(value, item.name)
        child = node.get_data_child(yang_name(item.name), MODULE)
        if child is None:
            if field_value != _default(item):
                raise ValueError(f"{type(value).__name__}.{item.name} has no schema node")
            continue
        member = _member(field_value, child)
        if member is not None:
            raw[child.iname()] = member
    return raw


def _default(item: dataclasses.Field[Any]) -> object:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def _member(value: object, node: SchemaNode) -> Any:
    if value is None:
        return None
    if isinstance(node, ContainerNode):
        members = to_raw(value, node)
        return members if members or node.presence else None
    assert isinstance(node, LeafNode)
    return node.type.to_raw(cooked(value))


def cooked(value: object) -> object:
    """A Python value as yangson's cooked value of a leaf."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


(_SCHEDULE,) = (
    yang_name(item.name)
    for item in dataclasses.fields(SmartUpgrade)
    if _unwrap_optional(_hints(SmartUpgrade)[item.name]) is Schedule
)


def smart_upgrade_config(raw: RawObject) -> SmartUpgrade:
    """The configuration leaves of a raw ``running`` as the generated dataclass."""
    return from_raw(SmartUpgrade, raw.get(SMART_UPGRADE, {}))


def ssl_policies(raw: RawObject) -> dict[str, tuple[str, ...]]:
    """Policy name -> trusted CA certificates (PEM), from a raw ``running``."""
    container = raw.get(f"{SSL_POLICY_MODULE}:{_POLICIES}", {})
    entries = (from_raw(SslPolicy, entry) for entry in container.get(_POLICY, ()))
    return {entry.name: entry.trusted_ca for entry in entries}


def ssl_policy_config(name: str, trusted_ca: tuple[str, ...]) -> RawObject:
    """A raw configuration holding one SSL policy (the inverse of ssl_policies)."""
    policy = SslPolicy(name, trusted_ca)
    entry = {
        yang_name(item.name): getattr(policy, item.name) for item in dataclasses.fields(policy)
    }
    entry = {
        key: list(value) if isinstance(value, tuple) else value for key, value in entry.items()
    }
    return {f"{SSL_POLICY_MODULE}:{_POLICIES}": {_POLICY: [entry]}}


def state_of(state: SmartUpgrade, schema: Schema) -> RawObject:
    """The operational (config false) containers of a switch's state as a raw object."""
    node = schema.root.get_data_child(_ROOT, MODULE)
    assert isinstance(node, ContainerNode)
    members: RawObject = {}
    for item in dataclasses.fields(state):
        child = node.get_data_child(yang_name(item.name), MODULE)
        if child is None or child.config:
            continue
        member = _member(getattr(state, item.name), child)
        if member is not None:
            members[child.iname()] = member
    return {node.iname(): members} if members else {}


# --- errors -----------------------------------------------------------------------------


def error_path(schema: Schema, path: tuple[str, ...]) -> str:
    """An instance-identifier with the module's prefix, from a node path of the module."""
    text = ""
    node: SchemaNode = schema.root
    for name in path:
        assert isinstance(node, InternalNode)
        child = node.get_data_child(name, MODULE)
        assert child is not None, f"{path} is not a path of {MODULE}"
        text = schema.step(text, child)
        node = child
    return text


def config_rejected(schema: Schema, error: ConfigRejectedError) -> RpcError:
    """The switch's veto of a configuration change; the switch chose the error-tag."""
    path = error_path(schema, error.path)
    return RpcError(
        ErrorTag(error.error_tag),
        ErrorType.APPLICATION,
        app_tag=error.app_tag,
        path=path,
        path_namespaces=schema.path_namespaces(path),
        message=error.message,
    )


def operation_refused(error: OperationRefusedError) -> RpcError:
    """An RPC the switch cannot start now."""
    return RpcError(
        _REFUSAL_TAGS.get(error.app_tag, ErrorTag.OPERATION_FAILED),
        ErrorType.APPLICATION,
        app_tag=error.app_tag,
        message=error.message,
    )


# --- the subscription -----------------------------------------------------------------------


class DeviceLink:
    """Feeds ``running`` to the switch, lets it veto changes, and deletes the schedule when
    the switch cancels it."""

    def __init__(self, device: Switch, datastores: Datastores) -> None:
        self.device = device
        self.datastores = datastores
        self._pending_edits: set[asyncio.Handle] = set()
        self._last_state: tuple[SmartUpgrade, RawObject] | None = None
        self._last_change: tuple[ConfigChange, SmartUpgrade, dict[str, tuple[str, ...]]] | None = (
            None
        )

    def attach(self) -> None:
        """Give the switch the current ``running`` and follow every change from now on."""
        running = self.datastores.raw(DatastoreName.RUNNING)
        self.device.apply_config(smart_upgrade_config(running), ssl_policies(running))
        self.datastores.subscribe(self)
        self.datastores.set_state_provider(self._state)
        self.device.on_schedule_cancel = self._schedule_cancelled

    def _state(self) -> RawObject:
        # The generated dataclasses are frozen: an equal snapshot has the same raw form, and
        # the datastores keep what they built from it while they get the same object again.
        state = self.device.state()
        if self._last_state is None or self._last_state[0] != state:
            self._last_state = (state, state_of(state, self.datastores.schema))
        return self._last_state[1]

    def _device_config(
        self, change: ConfigChange
    ) -> tuple[SmartUpgrade, dict[str, tuple[str, ...]]]:
        # commit is told the change that prepare was: convert it once
        if self._last_change is None or self._last_change[0] is not change:
            config = change.config
            self._last_change = (change, smart_upgrade_config(config), ssl_policies(config))
        return self._last_change[1:]

    # ConfigSubscriber

    def prepare(self, change: ConfigChange) -> None:
        try:
            self.device.check_config(*self._device_config(change))
        except ConfigRejectedError as error:
            raise config_rejected(self.datastores.schema, error) from None

    def commit(self, change: ConfigChange) -> None:
        self.device.apply_config(*self._device_config(change))

    def abort(self, change: ConfigChange) -> None:
        """check_config keeps nothing, so there is nothing to undo."""

    # the schedule

    def _schedule_cancelled(self) -> None:
        # The switch calls this from inside an RPC or from apply_config, i.e. while running is
        # being changed: the deletion runs as the next step of the loop, as its own edit.
        handle = asyncio.get_running_loop().call_soon(self._delete_schedule)
        self._pending_edits.add(handle)

    def _delete_schedule(self) -> None:
        self._pending_edits = {h for h in self._pending_edits if not h.cancelled()}

        def delete(config: RawObject) -> None:
            config.get(SMART_UPGRADE, {}).pop(_SCHEDULE, None)

        try:
            self.datastores.system_edit(delete)
        except RpcError:
            logger.exception("the switch cancelled its schedule, but deleting it was refused")

    def close(self) -> None:
        for handle in self._pending_edits:
            handle.cancel()
        self._pending_edits.clear()
