"""The generated dataclasses to and from data of the module. No I/O.

One reflective converter for the server and the client: a dataclass field
``software_download_speed`` is the node ``software-download-speed``, its annotation says how a
value is converted (a nested dataclass recurses, ``tuple[...]`` is a leaf-list, an enum field
takes the generated ``StrEnum``), so no YANG name is written here twice.

- :func:`from_raw` / :func:`to_raw`: RFC 7951 raw objects (the server's datastores), the leaf's
  type in the yangson schema giving the raw form;
- :func:`scalar`: one leaf from its text (the client's XML replies) or its raw value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from yangson.schemanode import ContainerNode, InternalNode, LeafNode, SchemaNode

from smartupgrade_model.model import (
    CONFIG_LEAVES,
    MODULE,
    SSL_POLICY_MODULE,
    SSL_POLICY_NAME,
    Schedule,
    SmartUpgrade,
)

T = TypeVar("T")
RawObject = dict[str, Any]

(ROOT,) = {spec.path[0] for spec in CONFIG_LEAVES.values()}
SMART_UPGRADE = f"{MODULE}:{ROOT}"
_POLICIES, _POLICY, _POLICY_KEY = SSL_POLICY_NAME.path


@dataclass(frozen=True)
class SslPolicy:
    """An entry of ``/sslp:ssl-policies/ssl-policy``: its canonical (lower-case) name and its
    trusted CA certificates in PEM, in order."""

    name: str
    trusted_ca: tuple[str, ...] = ()


def yang_name(name: str) -> str:
    """The YANG identifier of a generated dataclass field."""
    return name.replace("_", "-")


def field_name(yang_identifier: str) -> str:
    """The generated dataclass field of a YANG identifier."""
    return yang_identifier.replace("-", "_")


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}


def field_types(cls: type[Any]) -> dict[str, Any]:
    """The fields of a dataclass and their annotations, ``X | None`` read as ``X``."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELD_TYPES[cls] = {name: _unwrap_optional(hint) for name, hint in hints.items()}
    return found


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        (annotation,) = (a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def scalar(annotation: Any, value: object) -> object:
    """One leaf's value as the field's type, from its raw value or its XML text; ValueError
    (or decimal.InvalidOperation) when it is not one."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation(value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if value not in ("true", "false"):
            raise ValueError(f"{value!r} is not a boolean")
        return value == "true"
    if annotation in (int, Decimal):
        # RFC 7951 writes 64-bit integers and decimal64 as strings
        return annotation(value)
    if annotation is datetime:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date-and-time")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            # yang:date-and-time always carries its offset (RFC 6991)
            raise ValueError(f"{value!r} has no time zone offset")
        return moment
    if annotation is not str:
        raise TypeError(f"no conversion of a leaf to {annotation!r}")
    return value


def from_raw(cls: type[T], raw: Mapping[str, Any]) -> T:
    """The dataclass ``cls`` from a raw object; absent members keep the field's default,
    which the generator took from the YANG default."""
    dataclass_type: type[Any] = cls
    hints = field_types(dataclass_type)
    values: dict[str, object] = {}
    for item in dataclasses.fields(dataclass_type):
        member = raw.get(yang_name(item.name))
        if member is not None:
            values[item.name] = _value_from_raw(hints[item.name], member)
    return cls(**values)


def _value_from_raw(annotation: Any, raw: Any) -> object:
    if typing.get_origin(annotation) is tuple:
        (item_type, _) = typing.get_args(annotation)
        return tuple(_value_from_raw(item_type, item) for item in raw)
    if dataclasses.is_dataclass(annotation):
        return from_raw(typing.cast(type[Any], annotation), raw)
    return scalar(annotation, raw)


def to_raw(value: object, node: InternalNode) -> RawObject:
    """The raw members of a dataclass instance under the schema node ``node``.

    None leaves and empty non-presence containers are left out. A field the schema lacks must
    hold its default (a feature the model does not implement); anything else is a model that
    drifted from the schema, and raises.
    """
    raw: RawObject = {}
    for item in dataclasses.fields(typing.cast(Any, value)):
        field_value = getattr(value, item.name)
        child = node.get_data_child(yang_name(item.name), node.ns)
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


(SCHEDULE,) = (
    yang_name(name)
    for name, annotation in field_types(SmartUpgrade).items()
    if annotation is Schedule
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
        yang_name(item.name): list(value) if isinstance(value, tuple) else value
        for item in dataclasses.fields(policy)
        if (value := getattr(policy, item.name)) is not None
    }
    return {f"{SSL_POLICY_MODULE}:{_POLICIES}": {_POLICY: [entry]}}


def state_of(state: SmartUpgrade, root: InternalNode) -> RawObject:
    """The operational (config false) containers of a switch's state as a raw object; ``root``
    is the schema's root node."""
    node = root.get_data_child(ROOT, MODULE)
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
