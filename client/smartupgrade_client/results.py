"""Results that are not state of ``/smart-upgrade``: RPC outputs, SSL policies and progress.

The state itself is the generated :class:`~smartupgrade_model.model.SmartUpgrade`; these few
classes follow the module's RPC outputs and ``sunc-ssl-policy`` list and are filled by the same
field-driven parser (:func:`smartupgrade_client.parsers.from_element`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smartupgrade_model.model import CancellationStatus, FileKind, UpgradeStatus, UpgradeTarget


@dataclass(frozen=True)
class OperationStarted:
    """Output of ``download`` and ``right-now``: the operation's identifier (carried by its
    notifications), the upgrade status when the server replied, and what it upgrades (the
    switch's choice when the request named no target: the AP with smart upgrade for APs
    enabled)."""

    operation_id: int
    upgrade_status: UpgradeStatus
    target: UpgradeTarget


@dataclass(frozen=True)
class CancelOutput:
    """Output of ``cancel``."""

    cancellation_status: CancellationStatus


@dataclass(frozen=True)
class Progress:
    """Progress of one file of a running operation, as ``wait`` reports it: percent and rate
    (KB/s, may be absent before the first bytes arrive), with the operation's upgrade status."""

    file_kind: FileKind
    percent: int
    speed: Decimal | None
    upgrade_status: UpgradeStatus | None
