"""RFC 8341 access control decisions: the ``/nacm`` configuration and its rules. No I/O.

A decision is made for one user (name and groups) and one request: an operation (``exec``),
a notification (``read``), or a data node (``read``, ``create``, ``update``, ``delete``).
Rule-lists are searched in order, only those naming one of the user's groups; the first rule
that matches decides (RFC 8341 §3.4.4-3.4.6). Without a match the node's ``default-deny-*``
extension, then the ``*-default`` leaf decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smartupgrade_server.datastore.diff import DataPath, Step

NACM_MODULE = "ietf-netconf-acm"
NACM = f"{NACM_MODULE}:nacm"


class Access(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXEC = "exec"


class Sensitivity(StrEnum):
    """The NACM extension on a schema node (or an ancestor of it)."""

    NONE = "none"
    DEFAULT_DENY_WRITE = "default-deny-write"
    DEFAULT_DENY_ALL = "default-deny-all"


@dataclass(frozen=True)
class Rule:
    name: str
    module: str
    # exactly one of them, or none: the rule then matches any request of the module
    rpc: str | None
    notification: str | None
    path: DataPath | None
    operations: frozenset[str]
    permit: bool

    def allows_operation(self, access: Access) -> bool:
        return "*" in self.operations or access.value in self.operations

    def matches_module(self, module: str | None) -> bool:
        return self.module in ("*", module)


@dataclass(frozen=True)
class RuleList:
    name: str
    groups: frozenset[str]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class NacmConfig:
    enabled: bool = True
    read_permit: bool = True
    write_permit: bool = False
    exec_permit: bool = True
    external_groups: bool = True
    members: Mapping[str, frozenset[str]] | None = None
    rule_lists: tuple[RuleList, ...] = ()

    def groups_of(self, username: str, external: Iterable[str]) -> frozenset[str]:
        """The user's groups: those of /nacm/groups, and those of the transport (user levels)."""
        groups = {name for name, users in (self.members or {}).items() if username in users}
        if self.external_groups:
            groups.update(external)
        return frozenset(groups)

    def rules_for(self, groups: frozenset[str]) -> Iterable[Rule]:
        for rule_list in self.rule_lists:
            if "*" in rule_list.groups or rule_list.groups & groups:
                yield from rule_list.rules

    def reads_everything(self, groups: frozenset[str]) -> bool:
        """Whether every data node is readable, default-deny-all ones included."""
        return self._permits_everything(groups, Access.READ)

    def writes_everything(self, groups: frozenset[str]) -> bool:
        """Whether every data node may be created, updated and deleted, default-deny ones
        included."""
        return all(
            self._permits_everything(groups, access)
            for access in (Access.CREATE, Access.UPDATE, Access.DELETE)
        )

    def _permits_everything(self, groups: frozenset[str], access: Access) -> bool:
        """Whether the first rule that could decide ``access`` to any data node permits it for
        any module and path."""
        for rule in self.rules_for(groups):
            if rule.rpc is not None or rule.notification is not None:
                continue
            if not rule.allows_operation(access):
                continue
            return rule.permit and rule.path is None and rule.module == "*"
        return False

    # --- decisions --------------------------------------------------------------------

    def may_exec(
        self, groups: frozenset[str], module: str | None, rpc: str, sensitivity: Sensitivity
    ) -> bool:
        for rule in self.rules_for(groups):
            if (
                rule.matches_module(module)
                and rule.notification is None
                and rule.path is None
                and rule.rpc in (None, "*", rpc)
                and rule.allows_operation(Access.EXEC)
            ):
                return rule.permit
        if sensitivity is Sensitivity.DEFAULT_DENY_ALL:
            return False
        return self.exec_permit

    def may_receive(
        self, groups: frozenset[str], module: str, notification: str, sensitivity: Sensitivity
    ) -> bool:
        for rule in self.rules_for(groups):
            if (
                rule.matches_module(module)
                and rule.rpc is None
                and rule.path is None
                and rule.notification in (None, "*", notification)
                and rule.allows_operation(Access.READ)
            ):
                return rule.permit
        if sensitivity is Sensitivity.DEFAULT_DENY_ALL:
            return False
        return self.read_permit

    def may_access(
        self, groups: frozenset[str], path: DataPath, access: Access, sensitivity: Sensitivity
    ) -> bool:
        module = path[-1].module
        for rule in self.rules_for(groups):
            if rule.rpc is not None or rule.notification is not None:
                continue
            if not rule.allows_operation(access):
                continue
            if rule.path is not None:
                # a path rule names its node by its own prefixes, whatever module-name says
                if _covers(rule.path, path):
                    return rule.permit
            elif rule.matches_module(module):
                return rule.permit
        if sensitivity is Sensitivity.DEFAULT_DENY_ALL:
            return False
        if access is Access.READ:
            return self.read_permit
        if sensitivity is Sensitivity.DEFAULT_DENY_WRITE:
            return False
        return self.write_permit


def _covers(rule_path: DataPath, path: DataPath) -> bool:
    """The rule's node is the node itself or one of its ancestors (RFC 8341 §3.4.5)."""
    if len(rule_path) > len(path):
        return False
    for wanted, step in zip(rule_path, path, strict=False):
        if (wanted.module, wanted.name) != (step.module, step.name):
            return False
        if any(step.keys.get(key) != value for key, value in wanted.keys.items()):
            return False
    return True


# --- /nacm as an RFC 7951 raw object ------------------------------------------------------

_STEP = re.compile(
    r"/(?:(?P<prefix>[A-Za-z_][\w.-]*):)?(?P<name>[A-Za-z_][\w.-]*)(?P<predicates>(?:\[[^\]]*\])*)"
)
_PREDICATE = re.compile(
    r"\[\s*(?:[A-Za-z_][\w.-]*:)?(?P<key>[A-Za-z_][\w.-]*)\s*=\s*(?:'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\")\s*\]"
)


class RulePathError(ValueError):
    pass


def parse_path(text: str, modules: Mapping[str, str]) -> DataPath:
    """A rule's ``path``: prefixes are the modules' own prefixes or names (``modules`` maps
    either to the module name), since the XML namespace declarations of the configuration
    are not kept."""
    text = text.strip()
    if text == "/":
        return ()
    steps: list[Step] = []
    position = 0
    module: str | None = None
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise RulePathError(f"{text!r} is not a data node path")
        prefix = match["prefix"]
        if prefix is not None:
            module = modules.get(prefix)
            if module is None:
                raise RulePathError(f"{text!r}: unknown prefix {prefix!r}")
        if module is None:
            raise RulePathError(f"{text!r}: the first step needs a prefix")
        keys = {
            found["key"]: found["single"] if found["single"] is not None else found["double"]
            for found in _PREDICATE.finditer(match["predicates"])
        }
        steps.append(Step(module, match["name"], keys))
        position = match.end()
    return tuple(steps)


def parse_config(raw: Mapping[str, Any] | None, modules: Mapping[str, str]) -> NacmConfig:
    """The ``ietf-netconf-acm:nacm`` member of a raw ``running`` (absent: the RFC defaults).

    A rule whose path cannot be read matches nothing; the schema only says it is a string.
    """
    if raw is None:
        return NacmConfig()
    members = {
        group["name"]: frozenset(group.get("user-name", ()))
        for group in raw.get("groups", {}).get("group", ())
    }
    rule_lists = []
    for rule_list in raw.get("rule-list", ()):
        rules = []
        for rule in rule_list.get("rule", ()):
            path = None
            if "path" in rule:
                try:
                    path = parse_path(rule["path"], modules)
                except RulePathError:
                    continue
            operations = rule.get("access-operations", "*")
            rules.append(
                Rule(
                    rule["name"],
                    rule.get("module-name", "*"),
                    rule.get("rpc-name"),
                    rule.get("notification-name"),
                    path,
                    frozenset(operations.split()) if isinstance(operations, str) else frozenset(),
                    rule.get("action") == "permit",
                )
            )
        rule_lists.append(
            RuleList(rule_list["name"], frozenset(rule_list.get("group", ())), tuple(rules))
        )
    return NacmConfig(
        enabled=raw.get("enable-nacm", True),
        read_permit=raw.get("read-default", "permit") == "permit",
        write_permit=raw.get("write-default", "deny") == "permit",
        exec_permit=raw.get("exec-default", "permit") == "permit",
        external_groups=raw.get("enable-external-groups", True),
        members=members,
        rule_lists=tuple(rule_lists),
    )


def level_groups(level: int) -> Sequence[str]:
    """The external groups of a user of a VRP level: a level-N user may run every command of
    level N and below, so it is in ``level-0`` up to ``level-N``."""
    return tuple(f"level-{n}" for n in range(level + 1))
