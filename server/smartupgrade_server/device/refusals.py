"""Everything the switch refuses, in one table: each refusal's rpc-error fields (error-tag,
error-app-tag, message, node) and, for the docs, what is refused and when.

The rules that are also YANG `must` statements take their app-tag, message and node from the
module (`model.CONSTRAINTS`); the others are the switch's own. The tables of `docs/device.md`
and `docs/server.md` are generated from `REFUSALS` (`tools/codegen`), so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final

from smartupgrade_model.model import CONSTRAINTS
from smartupgrade_model.rules import refused_value

# What RFC 6241 Appendix A calls them; the NETCONF layer maps these strings to its ErrorTag.
INVALID_VALUE: Final = "invalid-value"
IN_USE: Final = "in-use"
OPERATION_FAILED: Final = "operation-failed"


class Refused(Enum):
    """A refusal of the switch (the key of `REFUSALS`)."""

    SSL_POLICY_NOT_BOUND = auto()
    SSL_POLICY_NOT_FOUND = auto()
    AP_UPGRADE_NOT_SUPPORTED = auto()
    AP_WITHOUT_SMART_UPGRADE = auto()
    URL_NOT_USABLE = auto()
    SCHEDULE_TIME_NOT_A_DATE = auto()
    DOWNLOAD_TIME_NOT_IN_FUTURE = auto()
    REBOOT_NOT_AFTER_DOWNLOAD = auto()
    CONFIG_IN_USE = auto()
    SYSTEM_REBOOTING = auto()
    NOT_ENABLED = auto()
    UPGRADE_IN_PROGRESS = auto()
    AP_UPGRADE_NOT_ENABLED = auto()
    NO_AP = auto()
    NOTHING_TO_CANCEL = auto()


@dataclass(frozen=True)
class Refusal:
    """One refusal. `message` may name `{fields}` the check fills in; `path` is the node of a
    configuration veto (None: an RPC the switch cannot start now)."""

    error_tag: str
    app_tag: str
    message: str
    path: tuple[str, ...] | None
    refused: str
    """What is refused, for the docs: the RPCs, or the configuration node."""
    cause: str
    """When, for the docs."""
    yang_first: str | None = None
    """The YANG rule that refuses the same edit before the switch is asked (so a NETCONF, CLI
    or web client gets YANG's error); the switch's check guards every other caller."""


def _yang_rule(app_tag: str, error_tag: str, cause: str) -> Refusal:
    constraint = CONSTRAINTS[app_tag]
    return Refusal(
        error_tag,
        constraint.app_tag,
        constraint.message,
        constraint.path,
        "`/" + "/".join(constraint.path) + "`",
        cause,
        yang_first="`must`",
    )


_UPGRADE_RPCS = "`download`, `right-now`"
_STARTING_RPCS = "`refresh`, `download`, `right-now`"

REFUSALS: Final[Mapping[Refused, Refusal]] = {
    Refused.SSL_POLICY_NOT_BOUND: _yang_rule(
        "ssl-policy-not-bound", INVALID_VALUE, "`enabled` true without an SSL policy"
    ),
    Refused.SSL_POLICY_NOT_FOUND: Refusal(
        INVALID_VALUE,
        "ssl-policy-not-found",
        "The SSL policy {policy} does not exist.",
        ("smart-upgrade", "ssl-policy"),
        "`/smart-upgrade/ssl-policy`",
        "the bound SSL policy is not configured",
        yang_first="leafref (`instance-required`)",
    ),
    Refused.AP_UPGRADE_NOT_SUPPORTED: Refusal(
        INVALID_VALUE,
        "ap-upgrade-not-supported",
        "Smart AP upgrade is not supported on {model}.",
        ("smart-upgrade", "ap", "enabled"),
        "`/smart-upgrade/ap/enabled`",
        "`ap/enabled` true on a model outside the seed's AP list",
        yang_first="feature `ap-upgrade` not advertised (`unknown-element`)",
    ),
    Refused.AP_WITHOUT_SMART_UPGRADE: _yang_rule(
        "smart-upgrade-not-enabled", INVALID_VALUE, "`ap/enabled` true without `enabled`"
    ),
    Refused.URL_NOT_USABLE: Refusal(
        INVALID_VALUE,
        "url-not-usable",
        refused_value("url", "{url}", "{reason}"),
        ("smart-upgrade", "url"),
        "`/smart-upgrade/url`",
        "a URL the switch cannot reach the HOUP with: a scheme other than `https://`, user "
        "information, a query or fragment, a port outside 1..65535, a host that is neither a "
        "name nor an IP address (`device/endpoint.py`)",
    ),
    Refused.SCHEDULE_TIME_NOT_A_DATE: Refusal(
        INVALID_VALUE,
        "not-a-date",
        refused_value("{leaf}", "{value}", "{reason}"),
        ("smart-upgrade", "schedule", "{leaf}"),
        "`/smart-upgrade/schedule/<leaf>`",
        "a schedule time whose date does not exist (`2030-02-30 00:00:00`: the module's pattern "
        "lets DD be 31 in any month)",
    ),
    Refused.DOWNLOAD_TIME_NOT_IN_FUTURE: Refusal(
        INVALID_VALUE,
        "download-time-not-in-future",
        "The download time {value} must be later than the current time of the switch ({now}).",
        ("smart-upgrade", "schedule", "download-at"),
        "`/smart-upgrade/schedule/download-at`",
        "a new or changed schedule whose download time is not later than the switch's clock",
    ),
    Refused.REBOOT_NOT_AFTER_DOWNLOAD: _yang_rule(
        "reboot-not-after-download", INVALID_VALUE, "reboot time not later than download time"
    ),
    Refused.CONFIG_IN_USE: Refusal(
        IN_USE,
        "upgrade-in-progress",
        "The configuration of {command} cannot be changed while an upgrade is in progress.",
        ("smart-upgrade", "{leaf}"),
        "`/smart-upgrade/<leaf>`",
        "during an upgrade, a change of `url`, `https-port`, `ssl-policy`, `verify-server`, "
        "`enabled` or `ap` (what the running upgrade depends on)",
    ),
    Refused.SYSTEM_REBOOTING: Refusal(
        OPERATION_FAILED,
        "system-rebooting",
        "The system is rebooting.",
        None,
        _STARTING_RPCS,
        "the switch is rebooting (no NETCONF session survives a reboot: only in-process callers "
        "see it)",
    ),
    Refused.NOT_ENABLED: Refusal(
        OPERATION_FAILED,
        "smart-upgrade-not-enabled",
        "Smart upgrade is not enabled.",
        None,
        _STARTING_RPCS,
        "smart upgrade is not enabled",
    ),
    Refused.UPGRADE_IN_PROGRESS: Refusal(
        IN_USE,
        "upgrade-in-progress",
        "An upgrade is already in progress.",
        None,
        _UPGRADE_RPCS,
        "an upgrade is running (downloading, or the switch or its APs reboot into it)",
    ),
    Refused.AP_UPGRADE_NOT_ENABLED: Refusal(
        OPERATION_FAILED,
        "ap-upgrade-not-enabled",
        "Smart AP upgrade is not enabled.",
        None,
        _UPGRADE_RPCS + " with `target ap`",
        "`ap/enabled` is false",
    ),
    Refused.NO_AP: Refusal(
        OPERATION_FAILED,
        "no-ap",
        "The switch manages no AP.",
        None,
        _UPGRADE_RPCS + " for the AP",
        "`target ap`, or no target with `ap/enabled` true, on a switch that manages no AP",
    ),
    Refused.NOTHING_TO_CANCEL: Refusal(
        OPERATION_FAILED,
        "no-upgrade-in-progress",
        "No upgrade is in progress.",
        None,
        "`cancel`",
        "no upgrade is running",
    ),
}


class ConfigRejectedError(Exception):
    """A configuration change the switch vetoes; the fields are those of an rpc-error."""

    def __init__(self, refusal: Refusal, message: str, path: tuple[str, ...]) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.error_tag = refusal.error_tag
        self.app_tag = refusal.app_tag
        self.message = message
        self.path = path


class OperationRefusedError(Exception):
    """An RPC the switch cannot start now; the fields are those of an rpc-error."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.error_tag = refusal.error_tag
        self.app_tag = refusal.app_tag
        self.message = message


def veto(refused: Refused, *, leaf: str | None = None, **fields: str) -> ConfigRejectedError:
    """The switch's veto of a configuration change; `leaf` names the node of a `<leaf>` rule."""
    refusal = REFUSALS[refused]
    assert refusal.path is not None, f"{refused} is not a configuration rule"
    path = tuple(leaf if step == "{leaf}" and leaf else step for step in refusal.path)
    named = fields if leaf is None else {"leaf": leaf, **fields}
    return ConfigRejectedError(refusal, refusal.message.format(**named), path)


def refuse(refused: Refused, **fields: str) -> OperationRefusedError:
    """The switch's refusal of an RPC."""
    refusal = REFUSALS[refused]
    assert refusal.path is None, f"{refused} is a configuration rule"
    return OperationRefusedError(refusal, refusal.message.format(**fields))
