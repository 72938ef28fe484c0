"""The tables of the docs that the switch's own tables hold: its refusals
(`device/refusals.py`) and the stages of its transition table (`device/transitions.py`).

A doc keeps its prose; the table NAME goes between `<!-- generated: NAME (tools/codegen) -->`
and the next `<!-- end generated -->`. `generate.py` writes them with the other generated
files, and its `--check` (tests/unit/yang/test_generated.py) fails when one is stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from smartupgrade_server.device.refusals import REFUSALS, Refusal
from smartupgrade_server.device.transitions import STAGE_MEANINGS, STAGES, Kind, Stage, Timer
from tools.codegen.targets import Target
from tools.codegen.yang_reader import REPO_ROOT, read_model

DEVICE_DOC = REPO_ROOT / "docs" / "device.md"
SERVER_DOC = REPO_ROOT / "docs" / "server.md"
END = "<!-- end generated -->"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    return ["", _row(*header), "|" + "---|" * len(header), *(_row(*row) for row in rows)]


def _configuration(refusal: Refusal) -> bool:
    return refusal.path is not None


def _instance_path(path: tuple[str, ...], prefix: str) -> str:
    return "".join(
        f"/{prefix}:<leaf>" if step == "{leaf}" else f"/{prefix}:{step}" for step in path
    )


def device_configuration() -> list[str]:
    return _table(
        ("error-tag", "app-tag", "node", "message", "when", "YANG refuses it first by"),
        (
            (r.error_tag, f"`{r.app_tag}`", r.refused, r.message, r.cause, r.yang_first or "—")
            for r in REFUSALS.values()
            if _configuration(r)
        ),
    )


def device_rpcs() -> list[str]:
    return _table(
        ("RPC", "error-tag", "app-tag", "message", "when"),
        (
            (r.refused, r.error_tag, f"`{r.app_tag}`", r.message, r.cause)
            for r in REFUSALS.values()
            if not _configuration(r)
        ),
    )


def server_configuration() -> list[str]:
    prefix = read_model().prefix
    return _table(
        ("cause", "error-tag", "error-app-tag", "error-path"),
        (
            (r.cause, r.error_tag, f"`{r.app_tag}`", f"`{_instance_path(r.path, prefix)}`")
            for r in REFUSALS.values()
            if r.path is not None and r.yang_first is None
        ),
    )


def server_rpcs() -> list[str]:
    return _table(
        ("RPC", "cause", "error-tag", "error-app-tag"),
        (
            (r.refused, r.cause, r.error_tag, f"`{r.app_tag}`")
            for r in REFUSALS.values()
            if not _configuration(r)
        ),
    )


def _kind(kind: Kind) -> str:
    if isinstance(kind, Timer):
        return f"`TimerFired({kind.name})`"
    return f"`{kind.__name__}`"


def device_stages() -> list[str]:
    rows = []
    for stage, inputs in STAGES.items():
        stays = [_kind(kind) for kind, targets in inputs.items() if targets <= {stage}]
        moves = [
            f"{_kind(kind)} → {', '.join(s.value for s in Stage if s in targets)}"
            for kind, targets in inputs.items()
            if not targets <= {stage}
        ]
        rows.append(
            (f"`{stage.value}`", STAGE_MEANINGS[stage], "; ".join(moves) or "—", ", ".join(stays))
        )
    return _table(("stage", "what", "inputs that may change it", "inputs it takes and stays"), rows)


def _part(path: Path, name: str, table: Callable[[], list[str]]) -> Target:
    return Target(path, table, f"<!-- generated: {name} (tools/codegen) -->", END)


TARGETS = (
    _part(DEVICE_DOC, "stages", device_stages),
    _part(DEVICE_DOC, "refusals-rpcs", device_rpcs),
    _part(DEVICE_DOC, "refusals-configuration", device_configuration),
    _part(SERVER_DOC, "server-refusals-configuration", server_configuration),
    _part(SERVER_DOC, "server-refusals-rpcs", server_rpcs),
)
