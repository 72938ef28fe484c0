"""Reads the smart-upgrade YANG modules with pyang into plain descriptions for the generators."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # pyang 2.6 (pinned by pydantify) imports the deprecated pkg_resources.
    warnings.simplefilter("ignore")
    from pyang import context, repository

REPO_ROOT = Path(__file__).resolve().parents[2]
YANG_DIR = REPO_ROOT / "yang"
MAIN_MODULE = "sunc-smart-upgrade"
SSL_MODULE = "sunc-ssl-policy"

Stmt = Any  # pyang.statements.Statement has no type information


@dataclass(frozen=True)
class EnumValue:
    name: str
    display: str | None
    description: str
    feature: str | None


@dataclass(frozen=True)
class EnumType:
    typedef: str
    description: str
    values: tuple[EnumValue, ...]

    @property
    def class_name(self) -> str:
        return camel(self.typedef)


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    """Node names from the module's top container down to the leaf."""
    yang_type: str
    """The type as written in the module (e.g. ``inet:port-number``)."""
    kind: str
    """Python-facing kind: str, int, bool, decimal, datetime, or enum."""
    enum: EnumType | None
    config: bool
    default: str | None
    mandatory: bool
    ranges: tuple[tuple[int, int], ...]
    lengths: tuple[tuple[int, int], ...]
    patterns: tuple[str, ...]
    rule: str | None
    """The error-message of its type's restrictions (one per leaf): its rule in words."""
    units: str | None
    label: str | None
    time_format: str | None
    feature: str | None
    description: str


@dataclass(frozen=True)
class Container:
    path: tuple[str, ...]
    config: bool
    presence: bool
    feature: str | None
    section: str | None
    ap_section: str | None
    """The title of the section this container's leaves stand in for when the switch displays
    its AP (`display-ap-section`)."""
    description: str
    leaves: tuple[Leaf, ...]
    containers: tuple[Container, ...]

    def walk(self) -> Iterator[Container]:
        yield self
        for child in self.containers:
            yield from child.walk()


@dataclass(frozen=True)
class Constraint:
    path: tuple[str, ...]
    xpath: str
    app_tag: str
    message: str
    undo_message: str | None


@dataclass(frozen=True)
class Operation:
    """An RPC or a notification."""

    name: str
    description: str
    inputs: tuple[Leaf, ...] = ()
    outputs: tuple[Leaf, ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    revision: str
    namespace: str
    prefix: str
    path: Path
    ssl_module: str
    ssl_revision: str
    ssl_namespace: str
    features: tuple[str, ...]
    enums: tuple[EnumType, ...]
    top: Container
    constraints: tuple[Constraint, ...]
    rpcs: tuple[Operation, ...]
    notifications: tuple[Operation, ...]
    ssl_policy_name: Leaf = field(repr=False)


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _ext(stmt: Stmt, name: str) -> str | None:
    found = stmt.search_one((MAIN_MODULE, name))
    return None if found is None else str(found.arg)


def _feature(stmt: Stmt) -> str | None:
    found = stmt.search_one("if-feature")
    return None if found is None else str(found.arg)


def _description(stmt: Stmt) -> str:
    found = stmt.search_one("description")
    return "" if found is None else str(found.arg)


class _Reader:
    def __init__(self) -> None:
        repo = repository.FileRepository(f"{YANG_DIR}:{YANG_DIR / 'ietf'}", use_env=False)
        self.ctx = context.Context(repo)
        self.modules: dict[str, Stmt] = {}
        for name in (MAIN_MODULE, SSL_MODULE):
            (path,) = YANG_DIR.glob(f"{name}@*.yang")
            self.modules[name] = self.ctx.add_module(str(path), path.read_text(encoding="utf-8"))
        self.ctx.validate()
        errors = [f"{pos}: {tag} {args}" for pos, tag, args in self.ctx.errors]
        if errors:
            raise RuntimeError("pyang reports:\n" + "\n".join(errors))
        self.enums: dict[str, EnumType] = {}
        self.main = self.modules[MAIN_MODULE]

    def enum_of(self, typedef: Stmt) -> EnumType:
        name = str(typedef.arg)
        if name not in self.enums:
            values = tuple(
                EnumValue(
                    str(e.arg), _ext(e, "display-value"), one_line(_description(e)), _feature(e)
                )
                for e in typedef.search_one("type").search("enum")
            )
            self.enums[name] = EnumType(name, one_line(_description(typedef)), values)
        return self.enums[name]

    def resolve(self, type_stmt: Stmt) -> tuple[str, EnumType | None, list[Stmt]]:
        """The builtin type behind a type statement, its enum (if a local typedef), the chain."""
        chain = [type_stmt]
        current = type_stmt
        enum: EnumType | None = None
        while current.i_typedef is not None:
            typedef = current.i_typedef
            if enum is None and typedef.search_one("type").arg == "enumeration":
                enum = self.enum_of(typedef)
            current = typedef.search_one("type")
            chain.append(current)
        if current.arg == "leafref":
            target = current.i_type_spec.i_target_node
            return self.resolve(target.search_one("type"))
        return str(current.arg), enum, chain

    def leaf(
        self, stmt: Stmt, path: tuple[str, ...], config: bool, inherited: str | None = None
    ) -> Leaf:
        type_stmt = stmt.search_one("type")
        builtin, enum, chain = self.resolve(type_stmt)
        if type_stmt.arg == "leafref":
            chain = [*chain, type_stmt]
        ranges: list[tuple[int, int]] = []
        lengths: list[tuple[int, int]] = []
        patterns: list[str] = []
        rules: set[str] = set()
        for member in self._union_members(chain):
            ranges.extend(_spec_bounds(member.i_type_spec, "ranges"))
            lengths.extend(_spec_bounds(member.i_type_spec, "lengths"))
            patterns.extend(str(p.arg) for p in member.search("pattern"))
            for restriction in (*member.search("range"), *member.search("length")):
                rules.update(_error_messages(restriction))
            for pattern in member.search("pattern"):
                rules.update(_error_messages(pattern))
        if len(rules) > 1:
            raise ValueError(f"{'/'.join(path)}: one error-message per leaf, not {rules}")
        if not lengths:
            for member in chain:
                lengths.extend(_spec_bounds(member.i_type_spec, "lengths"))
        kind = _kind(builtin, type_stmt.arg, enum)
        default = stmt.search_one("default")
        mandatory = stmt.search_one("mandatory")
        units = stmt.search_one("units") or _first_units(chain)
        return Leaf(
            path=path,
            yang_type=str(type_stmt.arg),
            kind=kind,
            enum=enum,
            config=config,
            default=None if default is None else str(default.arg),
            mandatory=mandatory is not None and mandatory.arg == "true",
            ranges=_narrowest(ranges),
            lengths=_narrowest(lengths),
            # A union's members each have their own patterns; none of them applies to all values.
            patterns=() if _is_union(chain) else tuple(dict.fromkeys(patterns)),
            rule=next(iter(rules), None),
            units=None if units is None else str(units.arg),
            label=_ext(stmt, "display-label"),
            time_format=_ext(stmt, "display-time-format"),
            feature=_feature(stmt) or inherited,
            description=one_line(_description(stmt)),
        )

    def _union_members(self, chain: list[Stmt]) -> Iterator[Stmt]:
        for member in chain:
            if member.arg == "union":
                for sub in member.search("type"):
                    yield from self._union_members([sub, *self._typedef_chain(sub)])
            elif member.arg == "leafref":
                target = member.i_type_spec.i_target_node.search_one("type")
                yield from self._union_members([target, *self._typedef_chain(target)])
            else:
                yield member

    @staticmethod
    def _typedef_chain(type_stmt: Stmt) -> list[Stmt]:
        chain = []
        current = type_stmt
        while current.i_typedef is not None:
            current = current.i_typedef.search_one("type")
            chain.append(current)
        return chain

    def container(
        self, stmt: Stmt, path: tuple[str, ...], config: bool, inherited: str | None = None
    ) -> Container:
        config = config and stmt.i_config is not False
        feature = _feature(stmt) or inherited
        leaves: list[Leaf] = []
        containers: list[Container] = []
        for child in stmt.i_children:
            child_path = (*path, str(child.arg))
            if child.keyword == "leaf":
                leaf_config = config and child.i_config is not False
                leaves.append(self.leaf(child, child_path, leaf_config, feature))
            elif child.keyword == "container":
                containers.append(self.container(child, child_path, config, feature))
        return Container(
            path=path,
            config=config,
            presence=stmt.search_one("presence") is not None,
            feature=feature,
            section=_ext(stmt, "display-section"),
            ap_section=_ext(stmt, "display-ap-section"),
            description=one_line(_description(stmt)),
            leaves=tuple(leaves),
            containers=tuple(containers),
        )

    def constraints(self, stmt: Stmt, path: tuple[str, ...]) -> Iterator[Constraint]:
        for must in stmt.search("must"):
            yield Constraint(
                path,
                one_line(str(must.arg)),
                str(must.search_one("error-app-tag").arg),
                one_line(str(must.search_one("error-message").arg)),
                None if (undo := _ext(must, "undo-error-message")) is None else one_line(undo),
            )
        for child in getattr(stmt, "i_children", []):
            if child.keyword in ("leaf", "container"):
                yield from self.constraints(child, (*path, str(child.arg)))

    def operation(self, stmt: Stmt) -> Operation:
        def leaves(part: Stmt | None) -> tuple[Leaf, ...]:
            if part is None:
                return ()
            return tuple(
                self.leaf(c, (str(c.arg),), False) for c in part.i_children if c.keyword == "leaf"
            )

        if stmt.keyword == "rpc":
            return Operation(
                str(stmt.arg),
                one_line(_description(stmt)),
                leaves(stmt.search_one("input")),
                leaves(stmt.search_one("output")),
            )
        return Operation(str(stmt.arg), one_line(_description(stmt)), outputs=leaves(stmt))

    def model(self) -> Model:
        main = self.main
        top_stmt = main.search_one("container", "smart-upgrade")
        top = self.container(top_stmt, ("smart-upgrade",), True)
        for typedef in main.search("typedef"):
            if typedef.search_one("type").arg == "enumeration":
                self.enum_of(typedef)
        ssl = self.modules[SSL_MODULE]
        policy_list = ssl.search_one("container", "ssl-policies").search_one("list", "ssl-policy")
        policy_name = self.leaf(
            policy_list.search_one("leaf", "name"), ("ssl-policies", "ssl-policy", "name"), True
        )
        return Model(
            name=MAIN_MODULE,
            revision=str(main.search_one("revision").arg),
            namespace=str(main.search_one("namespace").arg),
            prefix=str(main.search_one("prefix").arg),
            path=Path(main.pos.ref),
            ssl_module=SSL_MODULE,
            ssl_revision=str(ssl.search_one("revision").arg),
            ssl_namespace=str(ssl.search_one("namespace").arg),
            features=tuple(str(f.arg) for f in main.search("feature")),
            enums=tuple(sorted(self.enums.values(), key=lambda e: e.typedef)),
            top=top,
            constraints=tuple(self.constraints(top_stmt, ("smart-upgrade",))),
            rpcs=tuple(self.operation(s) for s in main.search("rpc")),
            notifications=tuple(self.operation(s) for s in main.search("notification")),
            ssl_policy_name=policy_name,
        )


def _error_messages(restriction: Stmt) -> Iterator[str]:
    found = restriction.search_one("error-message")
    if found is not None:
        yield one_line(str(found.arg))


def _spec_bounds(spec: Any, attribute: str) -> Iterator[tuple[int, int]]:
    # pyang nests restrictions: a pattern spec wraps the length spec it restricts, as `base`.
    while spec is not None:
        yield from _bounds(getattr(spec, attribute, None))
        spec = getattr(spec, "base", None)


def _bounds(spec: object) -> Iterator[tuple[int, int]]:
    for low, high in spec or []:  # type: ignore[attr-defined]
        if isinstance(low, int) and isinstance(high, int):
            yield (low, high)
        elif isinstance(low, int) and high is None:
            yield (low, low)


def _narrowest(bounds: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    # A derived type's restriction comes last in the chain walk and replaces its base's.
    if not bounds:
        return ()
    low = max(b[0] for b in bounds)
    high = min(b[1] for b in bounds)
    return ((low, high),)


def _first_units(chain: list[Stmt]) -> Stmt | None:
    for member in chain:
        typedef = member.i_typedef
        if typedef is not None and typedef.search_one("units") is not None:
            return typedef.search_one("units")
    return None


def _is_union(chain: list[Stmt]) -> bool:
    return any(member.arg == "union" for member in chain)


_INT_TYPES = re.compile(r"^u?int(8|16|32|64)$")


def _kind(builtin: str, written: str, enum: EnumType | None) -> str:
    if enum is not None:
        return "enum"
    if written == "yang:date-and-time":
        return "datetime"
    if _INT_TYPES.match(builtin):
        return "int"
    return {"boolean": "bool", "decimal64": "decimal"}.get(builtin, "str")


def read_model() -> Model:
    return _Reader().model()
