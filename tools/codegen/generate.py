"""Generates everything that is derived from the YANG modules.

    .venv/bin/python -m tools.codegen.generate          # write the files
    .venv/bin/python -m tools.codegen.generate --check  # exit 1 if any file is stale

Outputs: the Python model constants, enumerations and dataclasses of the ``smartupgrade_model``
package that the server and the client share, ``docs/yang-tree.txt`` (``pyang -f tree``),
``docs/yang-reference.md``, the SDK's code of the seed's configuration commands and their
tables in ``docs/sdk.md`` and ``docs/cli.md`` (:mod:`tools.codegen.commands`, from
:mod:`smartupgrade_model.commands`), and the tables of ``docs/device.md`` and ``docs/server.md``
that the switch's refusal and transition tables hold (:mod:`tools.codegen.device_tables`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from smartupgrade_model.modules import DEVIATIONS
from tools.codegen import commands, device_tables
from tools.codegen.yang_reader import (
    REPO_ROOT,
    YANG_DIR,
    Container,
    EnumType,
    Leaf,
    Model,
    camel,
    read_model,
)

PYTHON_TARGET = REPO_ROOT / "model" / "smartupgrade_model" / "model.py"
TREE_TARGET = REPO_ROOT / "docs" / "yang-tree.txt"
REFERENCE_TARGET = REPO_ROOT / "docs" / "yang-reference.md"

_PY_TYPES = {
    "str": "str",
    "int": "int",
    "bool": "bool",
    "decimal": "Decimal",
    "datetime": "datetime",
}


def _py_name(yang_name: str) -> str:
    return yang_name.replace("-", "_")


def _const_name(yang_name: str) -> str:
    return _py_name(yang_name).upper()


def _py_type(leaf: Leaf) -> str:
    if leaf.enum is not None:
        return leaf.enum.class_name
    return _PY_TYPES[leaf.kind]


def _py_default(leaf: Leaf) -> str:
    if leaf.default is None:
        return "None"
    if leaf.enum is not None:
        return f"{leaf.enum.class_name}.{_const_name(leaf.default)}"
    if leaf.kind == "bool":
        return "True" if leaf.default == "true" else "False"
    if leaf.kind == "int":
        return leaf.default
    return repr(leaf.default)


def _enum_source(enum: EnumType) -> list[str]:
    table = f"_{_const_name(enum.typedef)}_DISPLAY"
    lines = [f"class {enum.class_name}(StrEnum):", f'    """{enum.description}"""', ""]
    for value in enum.values:
        lines.append(f"    {_const_name(value.name)} = {value.name!r}")
        lines.append(f'    """{value.description}"""')
    lines += [
        "",
        "    @property",
        "    def display(self) -> str:",
        '        """The switch\'s own string for this value."""',
        f"        return {table}[self]",
        "",
        "",
        f"{table}: Final[Mapping[str, str]] = {{",
    ]
    for value in enum.values:
        lines.append(f"    {value.name!r}: {(value.display or value.name)!r},")
    lines += ["}", "", ""]
    return lines


def _dataclass_source(name: str, doc: str, leaves: Iterable[Leaf], extra: list[str]) -> list[str]:
    lines = ["@dataclass(frozen=True)", f"class {name}:", f'    """{_first_sentence(doc)}"""', ""]
    required = [leaf for leaf in leaves if leaf.mandatory and leaf.default is None]
    optional = [leaf for leaf in leaves if leaf not in required]
    for leaf in required:
        lines.append(f"    {_py_name(leaf.path[-1])}: {_py_type(leaf)}")
    for leaf in optional:
        annotation = _py_type(leaf) if leaf.default is not None else f"{_py_type(leaf)} | None"
        lines.append(f"    {_py_name(leaf.path[-1])}: {annotation} = {_py_default(leaf)}")
    lines += extra
    return [*lines, "", ""]


def _first_sentence(text: str) -> str:
    return text.split(". ", maxsplit=1)[0].rstrip(".") + "."


def _container_class(container: Container) -> str:
    return camel(container.path[-1])


def _member_line(child: Container) -> str:
    name = _container_class(child)
    if child.presence:
        return f"    {_py_name(child.path[-1])}: {name} | None = None"
    return f"    {_py_name(child.path[-1])}: {name} = field(default_factory={name})"


def _shape(container: Container) -> tuple[object, ...]:
    """What a container's class holds: its leaves' names and types, its children's classes."""
    return (
        tuple((leaf.path[-1], _py_type(leaf), leaf.default) for leaf in container.leaves),
        tuple((child.path[-1], _shape(child)) for child in container.containers),
    )


def _dataclasses(top: Container) -> list[str]:
    """One class per container name, children first: containers of one name hold the same
    leaves (one grouping, e.g. the switch's and the AP's `version-information`) and share it."""
    lines: list[str] = []
    shapes: dict[str, tuple[object, ...]] = {}

    def emit(container: Container) -> None:
        for child in container.containers:
            emit(child)
        name = "SmartUpgrade" if container is top else _container_class(container)
        if name in shapes:
            if shapes[name] != _shape(container):
                raise ValueError(f"two containers named {container.path[-1]} differ")
            return
        shapes[name] = _shape(container)
        extra = [_member_line(child) for child in container.containers]
        lines.extend(_dataclass_source(name, container.description, container.leaves, extra))

    emit(top)
    return lines


def _leaf_spec(leaf: Leaf) -> str:
    return (
        f"LeafSpec(path={leaf.path!r}, kind={leaf.kind!r}, default={leaf.default!r}, "
        f"ranges={leaf.ranges!r}, lengths={leaf.lengths!r}, patterns={leaf.patterns!r}, "
        f"rule={leaf.rule!r}, feature={leaf.feature!r})"
    )


def python_source(model: Model) -> str:
    source_name = f"yang/{model.path.name}"
    lines = [
        f'"""Constants, enumerations and state classes of the {model.name} YANG module.',
        "",
        f"GENERATED from {source_name} by tools/codegen/generate.py: do not edit.",
        "Run `.venv/bin/python -m tools.codegen.generate` after changing the module.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from dataclasses import dataclass, field",
        "from datetime import datetime",
        "from decimal import Decimal",
        "from enum import StrEnum",
        "from typing import Final",
        "",
        f"MODULE: Final = {model.name!r}",
        f"REVISION: Final = {model.revision!r}",
        f"NAMESPACE: Final = {model.namespace!r}",
        f"SSL_POLICY_MODULE: Final = {model.ssl_module!r}",
        f"SSL_POLICY_REVISION: Final = {model.ssl_revision!r}",
        f"SSL_POLICY_NAMESPACE: Final = {model.ssl_namespace!r}",
        f"FEATURES: Final = {model.features!r}",
        f"RPCS: Final = {tuple(r.name for r in model.rpcs)!r}",
        f"NOTIFICATIONS: Final = {tuple(n.name for n in model.notifications)!r}",
        "",
        "",
    ]
    for enum in model.enums:
        lines += _enum_source(enum)
    lines += [
        "@dataclass(frozen=True)",
        "class LeafSpec:",
        '    """A configuration leaf: its default and the restrictions of its type."""',
        "",
        "    path: tuple[str, ...]",
        "    kind: str",
        "    default: str | None",
        "    ranges: tuple[tuple[int, int], ...]",
        "    lengths: tuple[tuple[int, int], ...]",
        "    patterns: tuple[str, ...]",
        "    rule: str | None",
        '    """The error-message of its restrictions: what a valid value is, in words."""',
        "    feature: str | None",
        "",
        "",
        "CONFIG_LEAVES: Final[Mapping[str, LeafSpec]] = {",
    ]
    for container in model.top.walk():
        for leaf in container.leaves:
            if leaf.config:
                lines.append(f"    {'/' + '/'.join(leaf.path)!r}: {_leaf_spec(leaf)},")
    lines += [
        "}",
        f"SSL_POLICY_NAME: Final = {_leaf_spec(model.ssl_policy_name)}",
        "",
        "",
        "@dataclass(frozen=True)",
        "class Constraint:",
        '    """A must statement: its error-app-tag and error-message, and the message of the',
        "    refusal of an ``undo`` that breaks it (``su:undo-error-message``; None: the same",
        '    message)."""',
        "",
        "    path: tuple[str, ...]",
        "    app_tag: str",
        "    message: str",
        "    undo_message: str | None",
        "",
        "",
        "CONSTRAINTS: Final[Mapping[str, Constraint]] = {",
    ]
    for constraint in model.constraints:
        lines.append(
            f"    {constraint.app_tag!r}: Constraint({constraint.path!r}, "
            f"{constraint.app_tag!r}, {constraint.message!r}, {constraint.undo_message!r}),"
        )
    lines += [
        "}",
        "",
        "",
        "@dataclass(frozen=True)",
        "class DisplayField:",
        '    """One line of `display smart-upgrade information`."""',
        "",
        "    path: tuple[str, ...]",
        "    label: str",
        "    time_format: str | None",
        "",
        "",
        "@dataclass(frozen=True)",
        "class DisplaySection:",
        '    """One section of `display smart-upgrade information`, in the switch\'s order."""',
        "",
        "    title: str",
        "    path: tuple[str, ...]",
        "    feature: str | None",
        "    fields: tuple[DisplayField, ...]",
        "    ap_path: tuple[str, ...] | None = None",
        '    """The container whose leaves of the same names the section shows when the switch',
        '    displays its AP (`display-ap-section`)."""',
        "",
        "",
        "DISPLAY_SECTIONS: Final[tuple[DisplaySection, ...]] = (",
    ]
    ap_paths = {
        container.ap_section: container.path
        for container in model.top.walk()
        if container.ap_section is not None
    }
    for container in model.top.walk():
        if container.section is None:
            continue
        ap_path = ap_paths.pop(container.section, None)
        lines.append(
            f"    DisplaySection({container.section!r}, {container.path!r}, "
            f"{container.feature!r}, "
            + ("" if ap_path is None else f"ap_path={ap_path!r}, ")
            + "fields=("
        )
        for leaf in container.leaves:
            if leaf.label is not None:
                lines.append(
                    f"        DisplayField({leaf.path!r}, {leaf.label!r}, {leaf.time_format!r}),"
                )
        lines.append("    )),")
    if ap_paths:
        raise ValueError(f"display-ap-section names no section: {', '.join(ap_paths)}")
    lines += [")", "", ""]
    lines += _dataclasses(model.top)
    return _ruff_format("\n".join(lines))


def _ruff_format(source: str) -> str:
    # Generated code is formatted like the rest, so `ruff format --check` holds for it too.
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "format", "--stdin-filename", "model.py", "-"],
        input=source,
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    return result.stdout


def tree_source() -> str:
    pyang = Path(sys.executable).with_name("pyang")
    # a deviation module has no nodes of its own to draw
    deviations = {name for names in DEVIATIONS.values() for name in names}
    modules = sorted(
        str(p) for p in YANG_DIR.glob("sunc-*.yang") if p.name.split("@")[0] not in deviations
    )
    result = subprocess.run(
        [str(pyang), "-f", "tree", "-p", f"{YANG_DIR}:{YANG_DIR / 'ietf'}", *modules],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONWARNINGS": "ignore"},
    )
    return result.stdout


def _type_text(leaf: Leaf) -> str:
    parts = [f"`{leaf.yang_type}`"]
    if leaf.ranges:
        parts.append("range " + ", ".join(f"{lo}..{hi}" for lo, hi in leaf.ranges))
    if leaf.lengths:
        parts.append("length " + ", ".join(f"{lo}..{hi}" for lo, hi in leaf.lengths))
    if leaf.units:
        parts.append(f"units {leaf.units}")
    return ", ".join(parts)


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|")


def reference_source(model: Model) -> str:
    out = [
        f"# YANG reference: `{model.name}` revision {model.revision}",
        "",
        f"<!-- GENERATED from yang/{model.path.name} by tools/codegen/generate.py: "
        "do not edit. -->",
        "",
        f"Namespace `{model.namespace}`, prefix `{model.prefix}`. "
        f"Features: {', '.join(f'`{f}`' for f in model.features)}. "
        f"SSL policies come from `{model.ssl_module}` (`{model.ssl_namespace}`).",
        "",
        "The *Display* column is the label of `display smart-upgrade information`; "
        "values are shown as '-' when absent.",
        "",
    ]
    for container in model.top.walk():
        title = "/" + "/".join(container.path)
        flags = []
        if not container.config:
            flags.append("state")
        if container.presence:
            flags.append("presence")
        if container.feature:
            flags.append(f"if-feature `{container.feature}`")
        heading = f"## `{title}`" + (f" ({', '.join(flags)})" if flags else "")
        out += [heading, ""]
        if container.section:
            out += [f"Display section: **{container.section}**", ""]
        out += [container.description, ""]
        if container.leaves:
            out += [
                "| Leaf | Type | Default | Display | Description |",
                "|---|---|---|---|---|",
            ]
            for leaf in container.leaves:
                out.append(
                    f"| `{leaf.path[-1]}` | {_cell(_type_text(leaf))} | "
                    f"{_cell(leaf.default)} | {_cell(leaf.label)} | {_cell(leaf.description)} |"
                )
            out.append("")
    out += [
        "## Constraints",
        "",
        "| Node | error-app-tag | error-message | error-message of an `undo` that breaks it |",
        "|---|---|---|---|",
    ]
    for constraint in model.constraints:
        out.append(
            f"| `/{'/'.join(constraint.path)}` | `{constraint.app_tag}` | "
            f"{_cell(constraint.message)} | {_cell(constraint.undo_message)} |"
        )
    out += ["", "## Enumerations", ""]
    for enum in model.enums:
        out += [f"### `{enum.typedef}`", "", enum.description, "", "| Value | Display | Meaning |"]
        out.append("|---|---|---|")
        for value in enum.values:
            out.append(f"| `{value.name}` | {_cell(value.display)} | {_cell(value.description)} |")
        out.append("")
    for title, operations in (("RPCs", model.rpcs), ("Notifications", model.notifications)):
        out += [f"## {title}", ""]
        for op in operations:
            out += [f"### `{op.name}`", "", op.description, ""]
            for part, leaves in (("Input", op.inputs), ("Output", op.outputs)):
                if leaves:
                    out += [f"{part}:", ""]
                    out += [
                        f"- `{leaf.path[-1]}`: {_type_text(leaf)}"
                        + (f", default `{leaf.default}`" if leaf.default else "")
                        + f" — {leaf.description}"
                        for leaf in leaves
                    ]
                    out.append("")
    return "\n".join(out).rstrip() + "\n"


def expected_files() -> dict[Path, str]:
    model = read_model()
    files = {PYTHON_TARGET: python_source(model)}
    files[TREE_TARGET] = tree_source()
    files[REFERENCE_TARGET] = reference_source(model)
    for target in (*commands.TARGETS, *device_tables.TARGETS):
        # a file with several parts is filled part after part
        text = target.fill(files.get(target.path) or target.path.read_text(encoding="utf-8"))
        files[target.path] = _ruff_format(text) if target.python else text
    return files


def stale_files() -> list[Path]:
    return [
        path
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
