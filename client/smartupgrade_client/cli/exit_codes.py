"""The exit status of ``smartupgrade``, one per kind of failure a script may react to."""

from __future__ import annotations

from enum import IntEnum

from smartupgrade_client.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ConnectionLost,
    InvalidArgument,
    RpcFailed,
    RpcTimeout,
    SmartUpgradeError,
    SmartUpgradeUnsupported,
    UpgradeCancelled,
    UpgradeFailed,
    WaitTimeout,
)


class ExitCode(IntEnum):
    """What ``smartupgrade`` exits with; the help text and docs/cli.md list them."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONNECTION = 3
    AUTHENTICATION = 4
    RPC_ERROR = 5
    UPGRADE_FAILED = 6
    UPGRADE_CANCELLED = 7
    TIMEOUT = 8
    FLEET_FAILED = 9
    NOT_SUPPORTED = 10
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "unexpected reply or other error",
    ExitCode.USAGE: "usage or parameter error (nothing was sent)",
    ExitCode.CONNECTION: "cannot connect, or the session was lost",
    ExitCode.AUTHENTICATION: "credentials refused",
    ExitCode.RPC_ERROR: "the switch answered with an rpc-error",
    ExitCode.UPGRADE_FAILED: "download or upgrade ended in a failure status",
    ExitCode.UPGRADE_CANCELLED: "download or upgrade was cancelled",
    ExitCode.TIMEOUT: "no reply, or the switch did not come back, in time",
    ExitCode.FLEET_FAILED: "fleet: at least one switch failed (see the summary)",
    ExitCode.NOT_SUPPORTED: "the switch does not support Smart Upgrade (nothing was sent)",
    ExitCode.INTERRUPTED: "interrupted (CTRL+C) and the operation left running",
}


def exit_code_for(error: SmartUpgradeError) -> ExitCode:
    """The exit status for an SDK exception (subclasses before their bases)."""
    table: tuple[tuple[type[SmartUpgradeError], ExitCode], ...] = (
        (InvalidArgument, ExitCode.USAGE),
        (SmartUpgradeUnsupported, ExitCode.NOT_SUPPORTED),
        (AuthenticationFailed, ExitCode.AUTHENTICATION),
        (ConnectionFailed, ExitCode.CONNECTION),
        (ConnectionLost, ExitCode.CONNECTION),
        (RpcFailed, ExitCode.RPC_ERROR),
        (UpgradeCancelled, ExitCode.UPGRADE_CANCELLED),
        (UpgradeFailed, ExitCode.UPGRADE_FAILED),
        (RpcTimeout, ExitCode.TIMEOUT),
        (WaitTimeout, ExitCode.TIMEOUT),
    )
    for kind, code in table:
        if isinstance(error, kind):
            return code
    return ExitCode.ERROR


def epilog() -> str:
    """The exit statuses as the help text shows them."""
    lines = ["exit status:"]
    lines.extend(f"  {int(code):>3}  {meaning}" for code, meaning in MEANINGS.items())
    return "\n".join(lines)
