"""What a write costs per list entry, from 1,000 to 100,000 entries: flat, not quadratic.

    .venv/bin/python -m tools.bench.edit_scaling                    # 1,000 10,000 100,000
    .venv/bin/python -m tools.bench.edit_scaling --sizes 1000 4000  # the smoke test's run

An edit-config adds N new SSL policies to a list that holds N already (so that every new entry
is looked up among existing ones). Each step of the datastores' write path is measured on its
own, beyond the switch's limit of 32 policies (datastore/limits.py), by calling it directly:
the edit engine, the diff, the limits' check, NACM's authorize step for a user whose writes
are checked node by node (every node of every new entry), and the RFC 6470 config-change
notification. Validation (yangson) is measured up to ``--validate-up-to`` entries: its list
walk is quadratic in the length of one list, which the limit bounds, so it is shown apart.

The peer of each size is the 1,000-entry run of the same step in the same process: the ratio
column is the cost per entry against it (1.0: flat). Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.authorize import Write
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import diff
from smartupgrade_server.datastore.edit import apply_edit
from smartupgrade_server.datastore.incremental import Validated
from smartupgrade_server.datastore.limits import Limits
from smartupgrade_server.datastore.persistence import save_config
from smartupgrade_server.datastore.store import STARTUP_FILE, ConfigChange, Datastores
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.nacm.factory import factory_nacm
from smartupgrade_server.nacm.rules import NACM
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.operations.notifications import NotificationStream

SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
POLICIES = "sunc-ssl-policy:ssl-policies"
# a level-2 user whose rules permit SSL policies: NACM checks every created node
OPERATOR = SessionContext(2, "operator", 2, "127.0.0.1:1")
PERMIT_POLICIES: RawObject = {
    "name": "operators",
    "group": ["level-2"],
    "rule": [{"name": "policies", "module-name": "sunc-ssl-policy", "action": "permit"}],
}
STEPS = ("edit", "diff", "limits", "NACM", "notification")


class _NoTimers:
    """The datastores' scheduler: no confirmed commit is made here."""

    def __call__(self, delay: float, callback: Callable[[], None]) -> _NoTimers:
        return self

    def cancel(self) -> None:
        pass


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC)

    def call_at(self, when: datetime, callback: Callable[[], Any]) -> Any:
        raise AssertionError("no subscription stops here")


@dataclass(frozen=True)
class Row:
    entries: int
    # microseconds per new entry, by step
    per_entry: dict[str, float]


def _best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(entries: int, repeat: int, validate_up_to: int, work: Path) -> Row:
    schema = Schema(data_model(ap_upgrade=True))
    old: RawObject = {POLICIES: {"ssl-policy": [{"name": f"p{i}"} for i in range(entries)]}}
    config = etree.fromstring(
        f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><ssl-policies xmlns="{SSLP}">'
        + "".join(f"<ssl-policy><name>q{i}</name></ssl-policy>" for i in range(entries))
        + "</ssl-policies></config>"
    )
    new = apply_edit(schema, old, config).config
    changes = diff(schema, old, new)
    assert len(changes.changes) == entries
    limits = Limits(default_entries=2 * entries, entries={})

    nacm = factory_nacm()
    nacm[NACM]["rule-list"].insert(0, PERMIT_POLICIES)
    directory = work / f"switch-{entries}"
    directory.mkdir()
    save_config(directory / STARTUP_FILE, nacm)
    datastores = Datastores(schema, directory, _NoTimers())
    access = AccessControl(datastores)
    write = Write(OPERATOR, "running", old, new, changes)
    stream = NotificationStream(schema, _Clock())
    empty = schema.model.from_raw({})
    change = ConfigChange(empty, empty, changes, 0, new, old)

    seconds = {
        "edit": _best(repeat, lambda: apply_edit(schema, old, config)),
        "diff": _best(repeat, lambda: diff(schema, old, new)),
        "limits": _best(repeat, lambda: limits.check_entries(schema, changes)),
        "NACM": _best(repeat, lambda: access.authorize(write)),
        "notification": _best(repeat, lambda: stream.commit(change)),
    }
    if entries <= validate_up_to:
        base = Validated(old, schema.model.from_raw(old))
        seconds["validation"] = _best(
            repeat, lambda: validated(schema, new, base=base, changes=changes.changes)
        )
    return Row(entries, {step: value / entries * 1e6 for step, value in seconds.items()})


def table(rows: Sequence[Row]) -> str:
    steps = [*STEPS, *(["validation"] if "validation" in rows[0].per_entry else [])]
    peer = rows[0]
    lines = [
        "| new entries | " + " | ".join(f"{step} us/entry (ratio)" for step in steps) + " |",
        "|---:|" + "---:|" * len(steps),
    ]
    for row in rows:
        cells = []
        for step in steps:
            value = row.per_entry.get(step)
            cells.append(
                "—" if value is None else f"{value:.1f} ({value / peer.per_entry[step]:.2f})"
            )
        lines.append(f"| {row.entries:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--validate-up-to",
        type=int,
        default=4_000,
        help="measure yangson's validation up to this many entries (it is quadratic)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="edit-scaling-") as work:
        # the first run fills the schema's caches; it is not reported
        measure(100, 1, 0, Path(work))
        for entries in args.sizes:
            rows.append(measure(entries, args.repeat, args.validate_up_to, Path(work)))
            print(f"{entries:,} entries measured", file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
