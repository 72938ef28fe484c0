"""The switch's Smart Upgrade life as a transition table: `step(state, input, moment)` returns
the next state and the effects to perform (docs/device.md, "The transition table").

Rules, after h11's `_state.py`:

1. Everything that decides what the switch does lives here: which stage follows which, every
   field of the upgrade, version and schedule information, every line the switch prints, every
   refusal (`refusals.py`). The shell (`switch.py`) performs the effects (HTTPS, flash, timers,
   the state file, observers) and turns what happened into inputs: an RPC, a clock callback, the
   end of a transfer.
2. No I/O, no asyncio, no clock: the moment of each input is handed in, and work the switch
   needs done (a version check, a download, a signature check, reading the flash) is an effect
   whose result comes back as an input.
3. `STAGES` is the table: for each stage, the inputs it takes and the stages they may lead to.
   `step` checks every transition against it; a request the switch refuses raises its
   `refusals.py` error and changes nothing; the result of work the switch has stopped (another
   run's, a cancelled timer's) is stale and changes nothing.
4. A step that changes the stored state ends with `SaveState` (a progress report alone waits for
   its file's end); the run's `EndRun` comes last of all, so whoever waits for a run sees
   everything the run's last step did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum, auto
from typing import Any, Final

from smartupgrade_model.commands import CONFIG_COMMANDS, CONFIG_FIELDS
from smartupgrade_model.model import (
    ApInformation,
    CancellationStatus,
    CheckOutcome,
    CheckResult,
    FileKind,
    LocalInformation,
    Schedule,
    ScheduleInformation,
    ScheduleStep,
    SmartUpgrade,
    Triggered,
    UpgradeInformation,
    UpgradeStatus,
    UpgradeTarget,
    VersionInformation,
)
from smartupgrade_model.rules import missing_date
from smartupgrade_server.device import messages
from smartupgrade_server.device.endpoint import UnusableUrlError, houp_address
from smartupgrade_server.device.events import (
    Booted,
    DeviceEvent,
    DownloadProgress,
    Line,
    Rebooting,
    ScheduleEvent,
    UpgradeStatusChanged,
    VersionChecked,
)
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.device.messages import Message
from smartupgrade_server.device.offers import (
    NoVersionForModel,
    RemoteFile,
    VersionAnswer,
    VersionOffer,
)
from smartupgrade_server.device.products import package_fits, supports_ap_upgrade
from smartupgrade_server.device.refusals import Refused, refuse, veto
from smartupgrade_server.device.stored import StartupFile, StoredState

CHECK_INTERVAL: Final = timedelta(hours=24)
SCHEDULE_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_VERSION: Final = re.compile(r"V(\d+)R(\d+)C(\d+)(?:SPC(\d+))?")
# The schedule's download is retried at the reboot time when it failed on the network side.
_RETRIED_AT_REBOOT: Final = (UpgradeStatus.NET_ERROR, UpgradeStatus.SERVER_SPEC_UP_LIMIT)


# --- the state ------------------------------------------------------------------------------


class Stage(Enum):
    """Where the switch is in its upgrade's life (`STAGE_MEANINGS` says what each means)."""

    IDLE = "idle"
    CHECKING = "checking"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    CANCELLING = "cancelling"
    APS_REBOOTING = "aps-rebooting"
    DOWN = "down"


STAGE_MEANINGS: Final[Mapping[Stage, str]] = {
    Stage.IDLE: "Up, no upgrade running.",
    Stage.CHECKING: "A run asks the HOUP for its offer.",
    Stage.DOWNLOADING: "A run downloads its files, one after the other.",
    Stage.VERIFYING: "A run checks the files' signatures.",
    Stage.CANCELLING: "A run was cancelled; its work is stopping.",
    Stage.APS_REBOOTING: "The APs boot the new version; the switch stays up.",
    Stage.DOWN: "The switch is off, or reboots.",
}
RUN_STAGES: Final = frozenset(
    {Stage.CHECKING, Stage.DOWNLOADING, Stage.VERIFYING, Stage.CANCELLING}
)
"""The stages with a run (`DeviceState.run`)."""
_CANCELLABLE: Final = frozenset({Stage.CHECKING, Stage.DOWNLOADING, Stage.VERIFYING})


class Timer(Enum):
    PERIODIC_CHECK = auto()
    SCHEDULED_DOWNLOAD = auto()
    SCHEDULED_REBOOT = auto()
    SWITCH_BOOT = auto()
    AP_BOOT = auto()


SCHEDULE_TIMERS: Final = frozenset({Timer.SCHEDULED_DOWNLOAD, Timer.SCHEDULED_REBOOT})


class RunCause(Enum):
    REQUEST = auto()
    """The download or right-now RPC (command, web)."""
    SCHEDULE = auto()
    """The schedule's download at its download time."""
    SCHEDULE_RETRY = auto()
    """The schedule's download retried at its reboot time; its end decides the reboot."""


@dataclass(frozen=True)
class FileJob:
    file: RemoteFile
    kind: FileKind


@dataclass(frozen=True)
class Stopwatch:
    """The file in transfer: when it started and when its progress was last reported, on the
    clock's monotonic seconds, and the bytes already on the flash at its first report."""

    started: float
    last_report: float
    first: int | None = None


@dataclass(frozen=True)
class ActiveRun:
    """The download or upgrade in progress (one at a time)."""

    run_id: int
    target: UpgradeTarget
    reboot: bool
    cause: RunCause
    offer: VersionOffer | None = None
    files: tuple[FileJob, ...] = ()
    current: int = -1
    """Index in `files` of the file in transfer."""
    stopwatch: Stopwatch | None = None


@dataclass(frozen=True)
class DeviceState:
    """All the switch knows: what it is, what it keeps on flash, what it was told, where it is."""

    identity: Identity
    reboot_duration: timedelta
    stored: StoredState
    config: SmartUpgrade = field(default_factory=SmartUpgrade)
    stage: Stage = Stage.DOWN
    run: ActiveRun | None = None
    timers: frozenset[Timer] = frozenset()
    last_line: str | None = None
    """The text of the last line printed (the `message` of upgrade-status-changed)."""
    measuring: bool = False
    """The schedule's pre-check waits for `FlashMeasured`."""
    scheduled_download_status: UpgradeStatus | None = None
    """How the schedule's download ended: it decides the retry at the reboot time. A power
    cycle forgets it with the schedule (`ConfigLoaded`)."""
    booted_at: datetime | None = None
    """When the switch last came up."""

    @property
    def upgrading(self) -> bool:
        """An upgrade is running: downloading, or the switch or its APs reboot into it."""
        return running_target(self.stored) is not None


@dataclass(frozen=True)
class Moment:
    """When an input happened: the clock's local time and its monotonic seconds."""

    now: datetime
    monotonic: float


# --- inputs: what happened ------------------------------------------------------------------


@dataclass(frozen=True)
class PowerOn:
    """The process starts: the switch boots from what its flash holds."""


@dataclass(frozen=True)
class PowerOff:
    """The process ends: work stops as in a power loss; the state is saved."""


@dataclass(frozen=True)
class ConfigCommitted:
    """A committed configuration (only its configuration leaves are read)."""

    config: SmartUpgrade


@dataclass(frozen=True)
class ConfigLoaded:
    """The configuration the switch boots with (its saved configuration, at power-on)."""

    config: SmartUpgrade


@dataclass(frozen=True)
class RequestRefresh:
    """The refresh RPC, `display smart-upgrade information`."""


@dataclass(frozen=True)
class RequestStart:
    """The download (`reboot` false) or right-now RPC; `target` None: what smart upgrade is
    set to upgrade (`chosen_target`)."""

    target: UpgradeTarget | None
    reboot: bool


@dataclass(frozen=True)
class RequestCancel:
    """The cancel RPC, CTRL+C."""


@dataclass(frozen=True)
class RequestReset:
    """The switch restarts (`reboot`, a power cycle)."""


@dataclass(frozen=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True)
class RefreshAnswered:
    """The HOUP answered a check that is no run's (refresh, the periodic check)."""

    offer: VersionAnswer
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class RefreshFailed:
    status: UpgradeStatus
    detail: str
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class RunAnswered:
    """The HOUP answered the run's version check."""

    run_id: int
    offer: VersionAnswer


@dataclass(frozen=True)
class RunCheckFailed:
    run_id: int
    status: UpgradeStatus
    detail: str


@dataclass(frozen=True)
class FileStarted:
    """The next file of the run's downloads starts."""

    run_id: int


@dataclass(frozen=True)
class TransferSaid:
    """An Info line of the file in transfer (exists, resume, received...)."""

    run_id: int
    message: Message


@dataclass(frozen=True)
class TransferProgress:
    run_id: int
    on_flash: int
    size: int


@dataclass(frozen=True)
class FileFetched:
    run_id: int
    received: int
    seconds: float
    skipped: bool
    """The file on flash was complete and consistent: nothing was transferred."""


@dataclass(frozen=True)
class SignaturesChecked:
    """The SHA-256 of each package whose signature verifies; None when one does not."""

    run_id: int
    digests: Mapping[str, str] | None


@dataclass(frozen=True)
class WorkFailed:
    """The run's download or signature check failed (its status says why)."""

    run_id: int
    status: UpgradeStatus
    detail: str


@dataclass(frozen=True)
class WorkStopped:
    """The run's work stopped after `StopWork`."""

    run_id: int


@dataclass(frozen=True)
class StartupFilesRead:
    """SHA-256 of the files `ReadStartupFiles` named, None for one not on the flash."""

    digests: Mapping[str, str | None]


@dataclass(frozen=True)
class FlashMeasured:
    """The free bytes of the flash and the sizes of the files `MeasureFlash` named that are on
    it."""

    free: int
    on_flash: Mapping[str, int]


Input = (
    PowerOn
    | PowerOff
    | ConfigCommitted
    | ConfigLoaded
    | RequestRefresh
    | RequestStart
    | RequestCancel
    | RequestReset
    | TimerFired
    | RefreshAnswered
    | RefreshFailed
    | RunAnswered
    | RunCheckFailed
    | FileStarted
    | TransferSaid
    | TransferProgress
    | FileFetched
    | SignaturesChecked
    | WorkFailed
    | WorkStopped
    | StartupFilesRead
    | FlashMeasured
)
_RUN_RESULTS: Final = (
    RunAnswered,
    RunCheckFailed,
    FileStarted,
    TransferSaid,
    TransferProgress,
    FileFetched,
    SignaturesChecked,
    WorkFailed,
    WorkStopped,
)


# --- effects: what the shell does -----------------------------------------------------------


@dataclass(frozen=True)
class Notify:
    """Tell the observers (NETCONF notifications, the command line, the web)."""

    event: DeviceEvent


@dataclass(frozen=True)
class SaveState:
    """Write the stored state (`DeviceState.stored`) to the data directory."""


@dataclass(frozen=True)
class ArmTimer:
    """Input `TimerFired(timer)` at `at` (replacing the timer if it is armed)."""

    timer: Timer
    at: datetime


@dataclass(frozen=True)
class DisarmTimer:
    timer: Timer


@dataclass(frozen=True)
class DeleteSchedule:
    """Ask the owner of the configuration to delete the stopped schedule."""


@dataclass(frozen=True)
class BeginRun:
    """A run starts (the RPC's reply carries its id); `EndRun` ends it."""

    run_id: int
    target: UpgradeTarget
    reboot: bool


@dataclass(frozen=True)
class EndRun:
    """The run's own work is over with `status` (running: a reboot follows)."""

    run_id: int
    status: UpgradeStatus


@dataclass(frozen=True)
class CheckVersion:
    """Ask the HOUP for an offer for `target` (its model, ESN and versions); input
    `RunAnswered`/`RunCheckFailed` for a run, `RefreshAnswered`/`RefreshFailed` without one
    (`run_id` None)."""

    run_id: int | None
    model: str
    esn: str
    software: str
    patch: str | None
    target: UpgradeTarget = UpgradeTarget.SWITCH


@dataclass(frozen=True)
class DownloadFiles:
    """Download the files in order: `FileStarted`, then `TransferSaid`/`TransferProgress`,
    then `FileFetched` for each; `WorkFailed` ends it."""

    run_id: int
    files: tuple[FileJob, ...]


@dataclass(frozen=True)
class CheckSignatures:
    """Verify each package against its `.asc` on the flash: `SignaturesChecked`."""

    run_id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class StopWork:
    """Stop the run's work (cancel): `WorkStopped` once it stopped."""

    run_id: int


@dataclass(frozen=True)
class AbandonWork:
    """Stop the run's work as a power loss does, and wait until it has stopped."""

    run_id: int


@dataclass(frozen=True)
class ReadStartupFiles:
    """Hash the named flash files: `StartupFilesRead`."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class MeasureFlash:
    """Measure the flash's free space and the named files on it: `FlashMeasured`."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class AnnounceReboot:
    """The switch goes down: its owner drops the sessions."""


Effect = (
    Notify
    | SaveState
    | ArmTimer
    | DisarmTimer
    | DeleteSchedule
    | BeginRun
    | EndRun
    | CheckVersion
    | DownloadFiles
    | CheckSignatures
    | StopWork
    | AbandonWork
    | ReadStartupFiles
    | MeasureFlash
    | AnnounceReboot
)


# --- the table ------------------------------------------------------------------------------

Kind = type[Any] | Timer
"""What the table is keyed by: an input's class, or for `TimerFired` its timer."""

_ANY_TIME: Final[Mapping[Kind, frozenset[Stage]]] = {
    ConfigCommitted: frozenset(),
    RefreshAnswered: frozenset(),
    RefreshFailed: frozenset(),
    RequestReset: frozenset({Stage.DOWN}),
    PowerOff: frozenset({Stage.DOWN}),
}
"""Taken in every stage; an empty set means "stays in its stage"."""
_WHILE_UP: Final[Mapping[Kind, frozenset[Stage]]] = {
    **_ANY_TIME,
    RequestRefresh: frozenset(),
    Timer.PERIODIC_CHECK: frozenset(),
    Timer.SCHEDULED_DOWNLOAD: frozenset(),  # the pre-check fails: an upgrade is running
    Timer.SCHEDULED_REBOOT: frozenset(),  # its download is still running: the reboot fails
}
_WHILE_RUNNING: Final[Mapping[Kind, frozenset[Stage]]] = {
    **_WHILE_UP,
    RequestCancel: frozenset({Stage.CANCELLING}),
    WorkFailed: frozenset({Stage.IDLE}),
}

STAGES: Final[Mapping[Stage, Mapping[Kind, frozenset[Stage]]]] = {
    Stage.IDLE: {
        **_WHILE_UP,
        RequestStart: frozenset({Stage.CHECKING}),
        ConfigLoaded: frozenset(),
        Timer.SCHEDULED_DOWNLOAD: frozenset(),  # its pre-check measures the flash first
        FlashMeasured: frozenset({Stage.IDLE, Stage.CHECKING}),
        Timer.SCHEDULED_REBOOT: frozenset({Stage.IDLE, Stage.CHECKING, Stage.DOWN}),
    },
    Stage.CHECKING: {
        **_WHILE_RUNNING,
        RunAnswered: frozenset({Stage.DOWNLOADING, Stage.IDLE}),
        RunCheckFailed: frozenset({Stage.IDLE}),
    },
    Stage.DOWNLOADING: {
        **_WHILE_RUNNING,
        FileStarted: frozenset(),
        TransferSaid: frozenset(),
        TransferProgress: frozenset(),
        FileFetched: frozenset({Stage.DOWNLOADING, Stage.VERIFYING}),
    },
    Stage.VERIFYING: {
        **_WHILE_RUNNING,
        # a retried scheduled download that succeeded is followed by the schedule's reboot
        SignaturesChecked: frozenset({Stage.IDLE, Stage.APS_REBOOTING, Stage.DOWN}),
    },
    Stage.CANCELLING: {
        **_WHILE_UP,
        RequestCancel: frozenset(),
        WorkStopped: frozenset({Stage.IDLE}),
    },
    Stage.APS_REBOOTING: {
        **_WHILE_UP,
        RequestCancel: frozenset(),  # too late
        Timer.AP_BOOT: frozenset(),
        StartupFilesRead: frozenset({Stage.IDLE}),
    },
    Stage.DOWN: {
        **_ANY_TIME,
        PowerOn: frozenset(),
        RequestCancel: frozenset(),  # too late: the switch reboots into the upgrade
        Timer.SWITCH_BOOT: frozenset(),
        StartupFilesRead: frozenset({Stage.IDLE}),
    },
}
"""Stage -> the inputs it takes -> the stages they may lead to (empty: the same stage). A
request refused in a stage is not listed: it raises before the table is read."""


class UnexpectedInputError(Exception):
    """An input the table does not take in this stage, or a handler that broke the table: a
    bug of the switch, never a user's error."""


def kind_of(event: Input) -> Kind:
    return event.timer if isinstance(event, TimerFired) else type(event)


def next_stages(stage: Stage, kind: Kind) -> frozenset[Stage] | None:
    """The stages an input of `kind` may lead to from `stage` (None: not taken there)."""
    allowed = STAGES[stage].get(kind)
    if allowed is None:
        return None
    return allowed or frozenset({stage})


# --- pure queries ---------------------------------------------------------------------------


# where YYYY, MM and DD are in a schedule time (the module's zero-padded form)
_DATE_FIELDS: Final = ((0, 4), (5, 2), (8, 2))
# the seed's command of each node a running upgrade depends on, as a refusal names it
_COMMAND_OF: Final[Mapping[str, str]] = {
    command.node[1]: command.text for command in CONFIG_COMMANDS.values()
}


def _schedule_times(schedule: Schedule) -> Iterator[tuple[str, str]]:
    """The schedule's times by their leaf."""
    yield "download-at", schedule.download_at
    if schedule.reboot_at is not None:
        yield "reboot-at", schedule.reboot_at


def _schedule_time(text: str, now: datetime) -> datetime:
    return datetime.strptime(text, SCHEDULE_TIME_FORMAT).replace(tzinfo=now.tzinfo)


def _upgrade_depends_on(config: SmartUpgrade) -> dict[str, object]:
    """The configuration a running upgrade depends on, by YANG leaf (frozen while it runs)."""
    return {
        "url": config.url,
        "https-port": config.https_port,
        "ssl-policy": config.ssl_policy,
        "verify-server": config.verify_server,
        "enabled": config.enabled,
        "ap": config.ap,
    }


def check_config(
    state: DeviceState, config: SmartUpgrade, ssl_policies: Collection[str], now: datetime
) -> None:
    """Veto what YANG cannot express: raises ConfigRejectedError, changes nothing."""
    model = state.identity.model
    if config.url != state.config.url:
        try:
            houp_address(config.url, config.https_port)
        except UnusableUrlError as unusable:
            raise veto(Refused.URL_NOT_USABLE, url=config.url, reason=str(unusable)) from None
    if config.enabled and config.ssl_policy is None:
        raise veto(Refused.SSL_POLICY_NOT_BOUND)
    if config.ssl_policy is not None and config.ssl_policy not in ssl_policies:
        raise veto(Refused.SSL_POLICY_NOT_FOUND, policy=config.ssl_policy)
    if config.ap.enabled and not supports_ap_upgrade(model):
        raise veto(Refused.AP_UPGRADE_NOT_SUPPORTED, model=model)
    if config.ap.enabled and not config.enabled:
        raise veto(Refused.AP_WITHOUT_SMART_UPGRADE)
    if config.schedule is not None and config.schedule != state.config.schedule:
        for time_leaf, text in _schedule_times(config.schedule):
            reason = missing_date(*(int(text[i : i + n]) for i, n in _DATE_FIELDS))
            if reason is not None:
                raise veto(
                    Refused.SCHEDULE_TIME_NOT_A_DATE, leaf=time_leaf, value=text, reason=reason
                )
        download_at = _schedule_time(config.schedule.download_at, now)
        if download_at <= now:
            raise veto(
                Refused.DOWNLOAD_TIME_NOT_IN_FUTURE,
                value=config.schedule.download_at,
                now=now.strftime(SCHEDULE_TIME_FORMAT),
            )
        reboot_at = config.schedule.reboot_at
        if reboot_at is not None and _schedule_time(reboot_at, now) <= download_at:
            raise veto(Refused.REBOOT_NOT_AFTER_DOWNLOAD)
    if state.upgrading:
        # The seed forbids stack changes during an upgrade; the configuration the running
        # upgrade depends on is this model's equivalent.
        before = _upgrade_depends_on(state.config)
        for leaf, value in _upgrade_depends_on(config).items():
            if value != before[leaf]:
                raise veto(Refused.CONFIG_IN_USE, leaf=leaf, command=_COMMAND_OF[leaf])


def _check_request(state: DeviceState, event: Input) -> None:
    """Raise the refusal of a request the switch cannot take now."""
    if isinstance(event, RequestRefresh | RequestStart):
        if state.stage is Stage.DOWN:
            raise refuse(Refused.SYSTEM_REBOOTING)
        if not state.config.enabled:
            raise refuse(Refused.NOT_ENABLED)
    if isinstance(event, RequestStart):
        if state.upgrading:
            raise refuse(Refused.UPGRADE_IN_PROGRESS)
        if (event.target or chosen_target(state.config)) is UpgradeTarget.AP:
            if not state.config.ap.enabled:
                raise refuse(Refused.AP_UPGRADE_NOT_ENABLED)
            if state.identity.ap_device_type is None:
                raise refuse(Refused.NO_AP)
    if isinstance(event, RequestCancel) and not state.upgrading:
        raise refuse(Refused.NOTHING_TO_CANCEL)


def chosen_target(config: SmartUpgrade) -> UpgradeTarget:
    """What a download or right-now that names no target upgrades, as the switch's own commands
    do: with smart upgrade for APs enabled, the AP (the seed: download and right-now "configure
    the switch or AP"; its display then shows the AP), otherwise the switch."""
    return UpgradeTarget.AP if config.ap.enabled else UpgradeTarget.SWITCH


def checked_targets(state: DeviceState) -> tuple[UpgradeTarget, ...]:
    """What a version check asks the HOUP about: the switch, and with smart upgrade for APs
    enabled its AP as well (the seed: the switch then queries the HOUP every 24 hours for
    the APs too)."""
    if state.config.ap.enabled and state.identity.ap_device_type is not None:
        return (UpgradeTarget.SWITCH, UpgradeTarget.AP)
    return (UpgradeTarget.SWITCH,)


def running_target(stored: StoredState) -> UpgradeTarget | None:
    """Whose upgrade is running (at most one at a time), if any."""
    for target in UpgradeTarget:
        if upgrade_of(stored, target).upgrade_status is UpgradeStatus.RUNNING:
            return target
    return None


def version_of(stored: StoredState, target: UpgradeTarget) -> VersionInformation:
    return stored.ap_version if target is UpgradeTarget.AP else stored.version


def upgrade_of(stored: StoredState, target: UpgradeTarget) -> UpgradeInformation:
    return stored.ap_upgrade if target is UpgradeTarget.AP else stored.upgrade


def _with_version(
    stored: StoredState, target: UpgradeTarget, version: VersionInformation
) -> StoredState:
    if target is UpgradeTarget.AP:
        return replace(stored, ap_version=version)
    return replace(stored, version=version)


def _with_upgrade(
    stored: StoredState, target: UpgradeTarget, upgrade: UpgradeInformation
) -> StoredState:
    if target is UpgradeTarget.AP:
        return replace(stored, ap_upgrade=upgrade)
    return replace(stored, upgrade=upgrade)


def pre_check(state: DeviceState) -> CheckOutcome:
    """The schedule's device status check before its download and its reboot: up, enabled,
    no upgrade running (an AP's: the switch's own operations stop the schedule)."""
    ready = state.stage is Stage.IDLE and state.config.enabled
    return CheckOutcome.SUCCEEDED if ready else CheckOutcome.FAILED


def flash_needed(version: VersionInformation, on_flash: Mapping[str, int]) -> int:
    """The bytes the packages of the last version check still need on the flash (a file
    already there counts as a breakpoint); 0 when that check found nothing to download."""
    needed = 0
    for name, size in (
        (version.software_package_name, version.software_package_size),
        (version.patch_package_name, version.patch_package_size),
    ):
        if name is not None and size is not None:
            needed += max(0, size - on_flash.get(name, 0))
    return needed


def snapshot(state: DeviceState) -> SmartUpgrade:
    """Configuration as applied plus every operational field, for `get` and the display."""
    identity, stored = state.identity, state.stored
    return replace(
        state.config,
        version_information=stored.version,
        upgrade_information=stored.upgrade,
        local_information=LocalInformation(
            device_name=identity.device_name,
            esn=identity.esn,
            software_version=stored.software,
            patch_version=stored.patch,
        ),
        ap_information=_ap_information(state),
        schedule_information=stored.schedule,
    )


def _ap_information(state: DeviceState) -> ApInformation:
    """The AP the switch manages; the seed's example shows its device type as its name."""
    identity, stored = state.identity, state.stored
    if identity.ap_device_type is None or not supports_ap_upgrade(identity.model):
        return ApInformation()
    return ApInformation(
        device_type=identity.ap_device_type,
        local_information=LocalInformation(
            device_name=identity.ap_device_type,
            esn=identity.ap_esn,
            software_version=stored.ap_software,
        ),
        version_information=stored.ap_version,
        upgrade_information=stored.ap_upgrade,
    )


def _parse_version(version: str) -> tuple[int, ...] | None:
    match = _VERSION.match(version)
    return None if match is None else tuple(int(g or 0) for g in match.groups())


def _older(offered: str, running: str) -> bool:
    new, old = _parse_version(offered), _parse_version(running)
    return new is not None and old is not None and new < old


def _product(state: DeviceState, target: UpgradeTarget) -> tuple[str, str, str, str | None]:
    """(model sent to the HOUP, ESN, running software, running patch) of the target."""
    identity, stored = state.identity, state.stored
    if target is UpgradeTarget.AP:
        assert identity.ap_device_type is not None and identity.ap_esn is not None
        assert stored.ap_software is not None
        return identity.ap_device_type, identity.ap_esn, stored.ap_software, None
    return identity.model, identity.esn, stored.software, stored.patch


def _intact(startup: StartupFile | None, digests: Mapping[str, str | None]) -> bool:
    return startup is None or digests.get(startup.name) == startup.sha256


def _with_progress(
    upgrade: UpgradeInformation, kind: FileKind, percent: int, speed: Decimal
) -> UpgradeInformation:
    if kind is FileKind.SOFTWARE:
        return replace(upgrade, software_download_progress=percent, software_download_speed=speed)
    return replace(upgrade, patch_download_progress=percent, patch_download_speed=speed)


def _with_download_end(
    upgrade: UpgradeInformation, kind: FileKind, when: datetime, speed: Decimal | None
) -> UpgradeInformation:
    """A file's download time, and its speed unless it was skipped (then the speed stays)."""
    if kind is FileKind.SOFTWARE:
        upgrade = replace(upgrade, software_download_time=when)
        return upgrade if speed is None else replace(upgrade, software_download_speed=speed)
    upgrade = replace(upgrade, patch_download_time=when)
    return upgrade if speed is None else replace(upgrade, patch_download_speed=speed)


def _without_downloads(upgrade: UpgradeInformation) -> UpgradeInformation:
    return replace(
        upgrade,
        software_download_time=None,
        software_download_progress=None,
        software_download_speed=None,
        patch_download_time=None,
        patch_download_progress=None,
        patch_download_speed=None,
    )


def _settled(upgrade: UpgradeInformation) -> UpgradeInformation:
    """What a boot keeps of the last run: its times, status and result, and the outcome of a
    cancellation that was asked for. Its download figures and an `Initial` cancellation
    status (nothing was cancelled) are the run's own and go with it: the seed's examples
    show `-` for them after a successful upgrade."""
    cancellation = upgrade.cancellation_status
    return replace(
        _without_downloads(upgrade),
        cancellation_status=None if cancellation is CancellationStatus.INITIAL else cancellation,
    )


def _configuration(config: SmartUpgrade) -> SmartUpgrade:
    """Only the configuration leaves of `config` (state containers at their defaults)."""
    leaves: dict[str, Any] = {name: getattr(config, name) for name in CONFIG_FIELDS}
    return SmartUpgrade(**leaves)


# --- the step -------------------------------------------------------------------------------


class _Step:
    """One transition being computed: the state so far and the effects in order."""

    def __init__(self, state: DeviceState, moment: Moment) -> None:
        self.state = state
        self.now = moment.now
        self.monotonic = moment.monotonic
        self.effects: list[Effect] = []
        self.ends: list[Effect] = []
        self.progress_only = False
        """Only a download's percent and speed changed: saved with the file's end, not at every
        report (a fleet of downloading switches would write its state files once a second)."""

    # the state

    def store(self, stored: StoredState) -> None:
        self.state = replace(self.state, stored=stored)

    @property
    def stored(self) -> StoredState:
        return self.state.stored

    @property
    def run(self) -> ActiveRun:
        assert self.state.run is not None
        return self.state.run

    # effects

    def do(self, effect: Effect) -> None:
        self.effects.append(effect)

    def notify(self, event: DeviceEvent) -> None:
        self.effects.append(Notify(event))

    def say(self, message: Message, run_id: int | None, *, transient: bool = False) -> None:
        if not transient:
            self.state = replace(self.state, last_line=message.text)
        self.notify(Line(message, run_id, transient))

    def arm(self, timer: Timer, at: datetime) -> None:
        self.state = replace(self.state, timers=self.state.timers | {timer})
        self.do(ArmTimer(timer, at))

    def disarm(self, *timers: Timer) -> None:
        for timer in timers:
            if timer in self.state.timers:
                self.state = replace(self.state, timers=self.state.timers - {timer})
                self.do(DisarmTimer(timer))

    def set_upgrade(
        self, run_id: int | None, target: UpgradeTarget, upgrade: UpgradeInformation
    ) -> None:
        """New upgrade information of `target`; a changed status is notified for the run
        `run_id`."""
        before = upgrade_of(self.stored, target)
        self.store(_with_upgrade(self.stored, target, upgrade))
        if run_id is not None and (
            (before.upgrade_status, before.cancellation_status)
            != (upgrade.upgrade_status, upgrade.cancellation_status)
        ):
            assert upgrade.upgrade_status is not None
            self.notify(
                UpgradeStatusChanged(
                    run_id,
                    upgrade.upgrade_status,
                    upgrade.cancellation_status,
                    self.state.last_line,
                    target,
                )
            )

    def finish(self, run_id: int, target: UpgradeTarget, status: UpgradeStatus) -> None:
        self.set_upgrade(
            run_id,
            target,
            replace(
                upgrade_of(self.stored, target),
                upgrade_status=status,
                last_upgrade_time=self.now,
                last_upgrade_result=status,
            ),
        )

    def result(self, before: StoredState) -> tuple[Effect, ...]:
        changed = (
            self.stored != before and not self.progress_only and SaveState() not in self.effects
        )
        saves: list[Effect] = [SaveState()] if changed else []
        return (*self.effects, *saves, *self.ends)


def step(
    state: DeviceState, event: Input, moment: Moment
) -> tuple[DeviceState, tuple[Effect, ...]]:
    """The state after `event` at `moment`, and the effects to perform in order. Raises the
    refusal of a request the switch does not take now (the state is then unchanged)."""
    _check_request(state, event)
    if _stale(state, event):
        return state, ()
    kind = kind_of(event)
    allowed = next_stages(state.stage, kind)
    if allowed is None:
        raise UnexpectedInputError(f"{state.stage.value}: {event!r} is not in the table")
    s = _Step(state, moment)
    if isinstance(event, TimerFired):
        s.state = replace(s.state, timers=state.timers - {event.timer})
    _HANDLERS[type(event)](s, event)
    if s.state.stage not in allowed:
        raise UnexpectedInputError(
            f"{state.stage.value} -{event!r}-> {s.state.stage.value} is not in the table"
        )
    return s.state, s.result(state.stored)


def _stale(state: DeviceState, event: Input) -> bool:
    """A result of work the switch no longer waits for: another run's, a stopped one's, a
    timer disarmed after its callback was due."""
    if isinstance(event, TimerFired):
        return event.timer not in state.timers
    if isinstance(event, StartupFilesRead | RefreshAnswered | RefreshFailed):
        return next_stages(state.stage, type(event)) is None
    if isinstance(event, FlashMeasured):
        return not state.measuring or next_stages(state.stage, type(event)) is None
    if isinstance(event, _RUN_RESULTS):
        return (
            state.run is None
            or state.run.run_id != event.run_id
            or next_stages(state.stage, type(event)) is None
        )
    return False


# --- handlers: configuration ----------------------------------------------------------------


def _configure(s: _Step, event: ConfigCommitted) -> None:
    before = s.state.config
    config = _configuration(event.config)
    s.state = replace(s.state, config=config)
    up = s.state.stage is not Stage.DOWN
    if config.enabled and not before.enabled and up:
        s.arm(Timer.PERIODIC_CHECK, s.now + CHECK_INTERVAL)
    elif not config.enabled and before.enabled:
        s.disarm(Timer.PERIODIC_CHECK)
        if config.schedule is not None:
            _stop_schedule(s)
    if config.schedule != before.schedule:
        s.disarm(*SCHEDULE_TIMERS)
        info = s.stored.schedule
        if config.schedule is None:
            s.store(replace(s.stored, schedule=ScheduleInformation()))
        elif (info.download_time, info.reboot_time) != (
            config.schedule.download_at,
            config.schedule.reboot_at,
        ):
            info = ScheduleInformation(
                download_time=config.schedule.download_at, reboot_time=config.schedule.reboot_at
            )
            s.store(replace(s.stored, schedule=info))
            s.state = replace(s.state, scheduled_download_status=None)
    switched_on = config.enabled and not before.enabled
    if (config.schedule != before.schedule or switched_on) and config.enabled and up:
        _arm_schedule(s, config.schedule)


def _config_loaded(s: _Step, event: ConfigLoaded) -> None:
    """The switch boots with its saved configuration. The seed: a reset disables a scheduled
    upgrade; starting the emulator's process is powering the switch on, so a saved schedule is
    stopped and deleted rather than armed."""
    config = _configuration(event.config)
    if config.schedule is not None:
        _stop_schedule(s)
        s.store(replace(s.stored, schedule=ScheduleInformation()))
        config = replace(config, schedule=None)
    _configure(s, ConfigCommitted(config))


def _arm_schedule(s: _Step, schedule: Schedule | None) -> None:
    """Arm what is still to come of the configured schedule (only while up and enabled)."""
    if schedule is None:
        return
    info = s.stored.schedule
    download_at = _schedule_time(schedule.download_at, s.now)
    if info.download_triggered is Triggered.NO and download_at > s.now:
        s.arm(Timer.SCHEDULED_DOWNLOAD, download_at)
    if schedule.reboot_at is not None and info.reboot_triggered is Triggered.NO:
        reboot_at = _schedule_time(schedule.reboot_at, s.now)
        if reboot_at > s.now:
            s.arm(Timer.SCHEDULED_REBOOT, reboot_at)


def _stop_schedule(s: _Step) -> None:
    """Reset, disable, download, right-now: the schedule stops now and its configuration is
    to be deleted by its owner."""
    s.disarm(*SCHEDULE_TIMERS)
    s.notify(ScheduleEvent(ScheduleStep.CANCELLED, None, None))
    s.do(DeleteSchedule())


# --- handlers: version checks ---------------------------------------------------------------


def _record_check(s: _Step, target: UpgradeTarget, version: VersionInformation) -> None:
    s.store(_with_version(s.stored, target, version))
    assert version.refresh_time is not None and version.check_result is not None
    s.notify(
        VersionChecked(
            version.refresh_time,
            version.check_result,
            version.recommended_software_version,
            version.recommended_patch_version,
            target,
        )
    )


def _record_offer(
    s: _Step, run_id: int | None, target: UpgradeTarget, answer: VersionAnswer
) -> VersionOffer | None:
    """Record an answer; returns the offer the switch takes (a rollback is refused). No version
    for the model is versionOptimal: the HOUP answered (the network works, so not netError)
    and the running version is the best it has for the model (docs/device.md)."""
    software = _product(s.state, target)[2]
    offer = answer if isinstance(answer, VersionOffer) else None
    if offer is not None and _older(offer.software, software):
        s.say(messages.rollback_refused(offer.software, software), run_id)
        offer = None
    if offer is None:
        _record_check(
            s,
            target,
            VersionInformation(refresh_time=s.now, check_result=CheckResult.VERSION_OPTIMAL),
        )
        return None
    patch_package = offer.patch_package
    _record_check(
        s,
        target,
        VersionInformation(
            refresh_time=s.now,
            check_result=CheckResult.NEED_UPDATE,
            recommended_software_version=offer.software,
            recommended_patch_version=offer.patch,
            upgrade_description=offer.upgrade_description,
            description_in_english=offer.description_en,
            software_package_name=offer.software_package.name,
            software_package_size=offer.software_package.size,
            patch_package_name=None if patch_package is None else patch_package.name,
            patch_package_size=None if patch_package is None else patch_package.size,
        ),
    )
    return offer


def _record_check_failure(
    s: _Step, run_id: int | None, target: UpgradeTarget, status: UpgradeStatus, detail: str
) -> None:
    _record_check(
        s, target, VersionInformation(refresh_time=s.now, check_result=CheckResult.NET_ERROR)
    )
    s.say(messages.failure(status, detail), run_id)


def _check_version(s: _Step, run_id: int | None, target: UpgradeTarget) -> None:
    model, esn, software, patch = _product(s.state, target)
    s.do(CheckVersion(run_id, model, esn, software, patch, target))


def _check_versions(s: _Step) -> None:
    for target in checked_targets(s.state):
        _check_version(s, None, target)


def _refresh(s: _Step, _event: RequestRefresh) -> None:
    _check_versions(s)


def _refresh_answered(s: _Step, event: RefreshAnswered) -> None:
    _record_offer(s, None, event.target, event.offer)


def _refresh_failed(s: _Step, event: RefreshFailed) -> None:
    _record_check_failure(s, None, event.target, event.status, event.detail)


def _periodic_check_due(s: _Step) -> None:
    s.arm(Timer.PERIODIC_CHECK, s.now + CHECK_INTERVAL)
    _check_versions(s)


# --- handlers: a run ------------------------------------------------------------------------


def _begin_run(s: _Step, target: UpgradeTarget, *, reboot: bool, cause: RunCause) -> int:
    run_id = s.stored.operation_counter + 1
    s.store(replace(s.stored, operation_counter=run_id))
    s.state = replace(
        s.state, run=ActiveRun(run_id, target, reboot, cause), stage=Stage.CHECKING, last_line=None
    )
    upgrade = replace(
        upgrade_of(s.stored, target),
        upgrade_time=s.now,
        upgrade_status=UpgradeStatus.RUNNING,
        cancellation_status=CancellationStatus.INITIAL,
    )
    s.set_upgrade(run_id, target, _without_downloads(upgrade))
    s.do(BeginRun(run_id, target, reboot))
    s.say(messages.GETTING_VERSION, run_id)
    _check_version(s, run_id, target)
    return run_id


def _start(s: _Step, event: RequestStart) -> None:
    target = event.target or chosen_target(s.state.config)
    # the schedule is the switch's: an AP's download or upgrade leaves it be
    if target is UpgradeTarget.SWITCH and s.state.config.schedule is not None:
        _stop_schedule(s)
    _begin_run(s, target, reboot=event.reboot, cause=RunCause.REQUEST)


def _end_run(s: _Step, status: UpgradeStatus) -> None:
    """The run's own work is over; a status other than running is final."""
    run = s.run
    s.state = replace(s.state, run=None, stage=Stage.IDLE)
    if run.cause is not RunCause.REQUEST:
        s.state = replace(s.state, scheduled_download_status=status)
    if status is not UpgradeStatus.RUNNING:
        s.finish(run.run_id, run.target, status)
    s.ends.append(EndRun(run.run_id, status))
    if run.cause is RunCause.SCHEDULE_RETRY:
        _scheduled_reboot(s, run.run_id)


def _fail_run(s: _Step, status: UpgradeStatus, message: Message) -> None:
    s.say(message, s.run.run_id)
    _end_run(s, status)


def _run_answered(s: _Step, event: RunAnswered) -> None:
    run = s.run
    offer = _record_offer(s, run.run_id, run.target, event.offer)
    hint = messages.STOP_UPGRADE_HINT if run.reboot else messages.STOP_DOWNLOAD_HINT
    s.say(hint, run.run_id)
    product = _product(s.state, run.target)[0]
    if isinstance(event.offer, NoVersionForModel):
        _fail_run(s, UpgradeStatus.OTHER, messages.no_version_for(product))
        return
    if offer is None:
        _fail_run(s, UpgradeStatus.OTHER, messages.ALREADY_LATEST)
        return
    for package in (offer.software_package, offer.patch_package):
        if package is not None and not package_fits(product, package.name):
            _fail_run(
                s, UpgradeStatus.FILE_NOT_MATCH, messages.file_not_match(package.name, product)
            )
            return
    if run.target is UpgradeTarget.AP and offer.software != s.stored.software:
        _fail_run(s, UpgradeStatus.FILE_NOT_MATCH, messages.AP_VERSION_MISMATCH)
        return
    files = [
        FileJob(RemoteFile(package.name, package.url, package.size, package.sha256), kind)
        for package, kind in (
            (offer.software_package, FileKind.SOFTWARE),
            (offer.patch_package, FileKind.PATCH),
        )
        if package is not None
    ]
    jobs = tuple(
        job
        for file in files
        for job in (
            file,
            FileJob(
                RemoteFile(file.file.name + ".asc", _signature_url(offer, file.kind)),
                _SIGNATURE_OF[file.kind],
            ),
        )
    )
    s.state = replace(s.state, run=replace(run, offer=offer, files=jobs), stage=Stage.DOWNLOADING)
    s.do(DownloadFiles(run.run_id, jobs))


_SIGNATURE_OF: Final = {
    FileKind.SOFTWARE: FileKind.SOFTWARE_SIGNATURE,
    FileKind.PATCH: FileKind.PATCH_SIGNATURE,
}


def _signature_url(offer: VersionOffer, kind: FileKind) -> str:
    package = offer.software_package if kind is FileKind.SOFTWARE else offer.patch_package
    assert package is not None
    return package.signature_url


def _run_check_failed(s: _Step, event: RunCheckFailed) -> None:
    _record_check_failure(s, event.run_id, s.run.target, event.status, event.detail)
    _end_run(s, event.status)


def _file_started(s: _Step, _event: FileStarted) -> None:
    run = s.run
    s.state = replace(
        s.state,
        run=replace(run, current=run.current + 1, stopwatch=Stopwatch(s.monotonic, s.monotonic)),
    )


def _transfer_said(s: _Step, event: TransferSaid) -> None:
    s.say(event.message, event.run_id)


def _progress_field(run: ActiveRun) -> FileKind | None:
    """The kind of the file in transfer when the upgrade information has fields for it (a
    package; a signature is too small to follow)."""
    kind = run.files[run.current].kind
    return kind if kind in (FileKind.SOFTWARE, FileKind.PATCH) else None


def _transfer_progress(s: _Step, event: TransferProgress) -> None:
    """At a file's start, at most once a second, and at its end."""
    run = s.run
    watch = run.stopwatch
    assert watch is not None
    start = watch.first is None
    end = event.on_flash >= event.size
    if not (start or end or s.monotonic - watch.last_report >= 1.0):
        return
    first = event.on_flash if watch.first is None else watch.first
    s.state = replace(
        s.state, run=replace(run, stopwatch=replace(watch, first=first, last_report=s.monotonic))
    )
    percent = 100 if event.size == 0 else event.on_flash * 100 // event.size
    speed = messages.kbytes_per_second(event.on_flash - first, s.monotonic - watch.started)
    kind = _progress_field(run)
    if kind is not None:
        upgrade = _with_progress(upgrade_of(s.stored, run.target), kind, percent, speed)
        s.set_upgrade(None, run.target, upgrade)
        s.progress_only = True
    job = run.files[run.current]
    s.notify(
        DownloadProgress(
            run.run_id,
            job.file.name,
            job.kind,
            percent,
            speed,
            event.on_flash,
            event.size,
            run.target,
        )
    )
    if not (start or end):
        s.say(messages.percent(percent), run.run_id, transient=True)


def _file_fetched(s: _Step, event: FileFetched) -> None:
    run = s.run
    kind = _progress_field(run)
    if kind is not None:
        speed = None if event.skipped else messages.kbytes_per_second(event.received, event.seconds)
        upgrade = _with_download_end(upgrade_of(s.stored, run.target), kind, s.now, speed)
        s.set_upgrade(None, run.target, upgrade)
    if run.current < len(run.files) - 1:
        return
    s.state = replace(s.state, stage=Stage.VERIFYING)
    s.say(messages.VERIFYING_SIGNATURE, run.run_id)
    packages = tuple(job.file.name for job in run.files if job.kind in _SIGNATURE_OF)
    s.do(CheckSignatures(run.run_id, packages))


def _signatures_checked(s: _Step, event: SignaturesChecked) -> None:
    run = s.run
    offer = run.offer
    assert offer is not None
    if event.digests is None:
        _fail_run(s, UpgradeStatus.FILE_CHECK_FAILED, messages.SIGNATURE_FAILED)
        return
    s.say(messages.SIGNATURE_PASSED, run.run_id)
    software_name = offer.software_package.name
    software = StartupFile(software_name, offer.software, event.digests[software_name])
    if run.target is UpgradeTarget.AP:
        s.say(messages.SETTING_STARTUP_FILE, run.run_id)
        s.store(replace(s.stored, next_ap=software))
    else:
        patch = None
        if offer.patch_package is not None and offer.patch is not None:
            name = offer.patch_package.name
            patch = StartupFile(name, offer.patch, event.digests[name])
        s.store(replace(s.stored, next_patch=patch))
        if patch is not None:
            s.say(messages.next_startup_patch(patch.name), run.run_id)
        s.say(messages.SETTING_STARTUP_FILE, run.run_id)
        s.store(replace(s.stored, next_software=software))
    s.say(messages.next_startup_file(software_name), run.run_id)
    if not run.reboot:
        _end_run(s, UpgradeStatus.SUCCESS)
        return
    if run.target is UpgradeTarget.AP:
        s.say(messages.AP_REBOOTING, run.run_id)
        _end_run(s, UpgradeStatus.RUNNING)
        s.state = replace(s.state, stage=Stage.APS_REBOOTING)
        s.arm(Timer.AP_BOOT, s.now + s.state.reboot_duration)
        return
    s.say(messages.REBOOTING, run.run_id)
    _end_run(s, UpgradeStatus.RUNNING)
    _go_down(s, upgrade_reboot=True)


def _work_failed(s: _Step, event: WorkFailed) -> None:
    _fail_run(s, event.status, messages.failure(event.status, event.detail))


def _cancel(s: _Step, _event: RequestCancel) -> None:
    """CTRL+C: cancelling, then successful when the run's work stopped (upgradeCancelled), or
    failed at once when it is too late (the switch or its APs reboot into the upgrade)."""
    stage = s.state.stage
    if stage is Stage.CANCELLING:
        return
    run_id = s.stored.operation_counter
    target = running_target(s.stored)
    assert target is not None
    _set_cancellation(s, run_id, target, CancellationStatus.CANCELLING)
    if stage in _CANCELLABLE:
        s.state = replace(s.state, stage=Stage.CANCELLING)
        s.do(StopWork(run_id))
        return
    s.say(messages.CANCEL_TOO_LATE, run_id)
    _set_cancellation(s, run_id, target, CancellationStatus.FAILED)


def _set_cancellation(
    s: _Step, run_id: int, target: UpgradeTarget, status: CancellationStatus
) -> None:
    upgrade = replace(upgrade_of(s.stored, target), cancellation_status=status)
    s.set_upgrade(run_id, target, upgrade)


def _work_stopped(s: _Step, event: WorkStopped) -> None:
    s.say(messages.CANCELLED, event.run_id)
    _set_cancellation(s, event.run_id, s.run.target, CancellationStatus.SUCCESSFUL)
    _end_run(s, UpgradeStatus.UPGRADE_CANCELLED)


# --- handlers: the schedule -----------------------------------------------------------------


def _scheduled_download_due(s: _Step) -> None:
    """The download time: the device status pre-check, then the flash's room for the files
    the last version check named (`FlashMeasured`)."""
    if pre_check(s.state) is CheckOutcome.FAILED:
        _scheduled_download(s, messages.PRE_CHECK_BUSY)
        return
    version = s.stored.version
    names = (version.software_package_name, version.patch_package_name)
    s.state = replace(s.state, measuring=True)
    s.do(MeasureFlash(tuple(name for name in names if name is not None)))


def _flash_measured(s: _Step, event: FlashMeasured) -> None:
    s.state = replace(s.state, measuring=False)
    needed = flash_needed(s.stored.version, event.on_flash)
    if needed > event.free:
        _scheduled_download(s, messages.pre_check_flash(needed, event.free))
    else:
        _scheduled_download(s, None)


def _scheduled_download(s: _Step, refused: Message | None) -> None:
    """The download is triggered: it starts, or its pre-check fails for `refused`."""
    outcome = CheckOutcome.SUCCEEDED if refused is None else CheckOutcome.FAILED
    s.store(
        replace(
            s.stored,
            schedule=replace(
                s.stored.schedule,
                download_triggered=Triggered.YES,
                download_pre_check_result=outcome,
            ),
        )
    )
    if refused is not None:
        s.say(refused, None)
        s.notify(ScheduleEvent(ScheduleStep.DOWNLOAD_TRIGGERED, outcome))
        return
    run_id = _begin_run(s, UpgradeTarget.SWITCH, reboot=False, cause=RunCause.SCHEDULE)
    s.notify(ScheduleEvent(ScheduleStep.DOWNLOAD_TRIGGERED, outcome, run_id))


def _scheduled_reboot_due(s: _Step) -> None:
    if (
        s.state.scheduled_download_status in _RETRIED_AT_REBOOT
        and pre_check(s.state) is CheckOutcome.SUCCEEDED
    ):
        run_id = _begin_run(s, UpgradeTarget.SWITCH, reboot=False, cause=RunCause.SCHEDULE_RETRY)
        s.notify(ScheduleEvent(ScheduleStep.DOWNLOAD_RETRIED, CheckOutcome.SUCCEEDED, run_id))
        return
    _scheduled_reboot(s, None)


def _scheduled_reboot(s: _Step, retry_id: int | None) -> None:
    """The reboot time: reboot into the schedule's files if they are ready."""
    ready = (
        s.state.scheduled_download_status is UpgradeStatus.SUCCESS
        and pre_check(s.state) is CheckOutcome.SUCCEEDED
        and s.stored.next_software is not None
    )
    outcome = CheckOutcome.SUCCEEDED if ready else CheckOutcome.FAILED
    s.store(
        replace(
            s.stored,
            schedule=replace(
                s.stored.schedule, reboot_triggered=Triggered.YES, reboot_triggered_result=outcome
            ),
        )
    )
    s.notify(ScheduleEvent(ScheduleStep.REBOOT_TRIGGERED, outcome, retry_id))
    if not ready:
        return
    run_id = s.stored.operation_counter + 1
    s.store(replace(s.stored, operation_counter=run_id))
    s.set_upgrade(
        run_id,
        UpgradeTarget.SWITCH,
        replace(
            s.stored.upgrade,
            upgrade_time=s.now,
            upgrade_status=UpgradeStatus.RUNNING,
            cancellation_status=CancellationStatus.INITIAL,
        ),
    )
    s.say(messages.REBOOTING, run_id)
    _go_down(s, upgrade_reboot=True)


# --- handlers: power ------------------------------------------------------------------------


def _abandon_run(s: _Step) -> None:
    """The run stops as in a power loss: its status stays running until the switch is back."""
    if s.state.run is not None:
        run_id = s.state.run.run_id
        s.do(AbandonWork(run_id))
        s.state = replace(s.state, run=None)
        s.ends.append(EndRun(run_id, UpgradeStatus.ABNORMAL_RESET))


def _go_down(s: _Step, *, upgrade_reboot: bool) -> None:
    s.state = replace(s.state, stage=Stage.DOWN)
    s.store(replace(s.stored, upgrade_reboot=upgrade_reboot))
    s.disarm(*s.state.timers)
    s.notify(Rebooting())
    s.arm(Timer.SWITCH_BOOT, s.now + s.state.reboot_duration)
    s.do(AnnounceReboot())


def _reset(s: _Step, _event: RequestReset) -> None:
    """During an upgrade the switch comes back with abnormalReset; it stops a schedule."""
    if s.state.stage is Stage.DOWN:
        return
    if s.state.config.schedule is not None:
        _stop_schedule(s)
    _abandon_run(s)
    _go_down(s, upgrade_reboot=False)


def _power_off(s: _Step, _event: PowerOff) -> None:
    _abandon_run(s)
    s.disarm(*s.state.timers)
    s.state = replace(s.state, stage=Stage.DOWN)


def _startup_names(s: _Step, *startups: StartupFile | None) -> None:
    s.do(ReadStartupFiles(tuple(startup.name for startup in startups if startup is not None)))


def _power_on(s: _Step, _event: PowerOn) -> None:
    _startup_names(s, s.stored.next_software, s.stored.next_patch)


def _startup_files_read(s: _Step, event: StartupFilesRead) -> None:
    if s.state.stage is Stage.APS_REBOOTING:
        _aps_booted(s, event.digests)
    else:
        _booted(s, event.digests)


def _booted(s: _Step, digests: Mapping[str, str | None]) -> None:
    """The switch runs its next startup files (when intact), and settles an upgrade that was
    running: success after its own reboot, abnormalReset after any other."""
    stored = s.stored
    running = stored.upgrade.upgrade_status is UpgradeStatus.RUNNING
    upgrade = stored.next_software is not None and (
        stored.next_software.version,
        None if stored.next_patch is None else stored.next_patch.version,
    ) != (stored.software, stored.patch)
    changed = False
    if (
        upgrade
        and stored.next_software is not None
        and _intact(stored.next_software, digests)
        and _intact(stored.next_patch, digests)
    ):
        s.store(
            replace(
                stored,
                software=stored.next_software.version,
                patch=None if stored.next_patch is None else stored.next_patch.version,
            )
        )
        changed = True
    run_id = s.stored.operation_counter
    s.state = replace(s.state, stage=Stage.IDLE, booted_at=s.now)
    s.set_upgrade(None, UpgradeTarget.SWITCH, _settled(s.stored.upgrade))
    if running:
        if not s.stored.upgrade_reboot:
            s.say(messages.ABNORMAL_RESET, run_id)
            s.finish(run_id, UpgradeTarget.SWITCH, UpgradeStatus.ABNORMAL_RESET)
        elif changed:
            s.finish(run_id, UpgradeTarget.SWITCH, UpgradeStatus.SUCCESS)
        else:
            s.say(messages.SIGNATURE_FAILED, run_id)
            s.finish(run_id, UpgradeTarget.SWITCH, UpgradeStatus.FILE_CHECK_FAILED)
    elif changed:
        s.set_upgrade(
            None,
            UpgradeTarget.SWITCH,
            replace(
                s.stored.upgrade,
                last_upgrade_time=s.now,
                last_upgrade_result=UpgradeStatus.SUCCESS,
            ),
        )
    if s.stored.ap_upgrade.upgrade_status is UpgradeStatus.RUNNING:
        # the switch restarted while its AP downloaded or rebooted into an upgrade
        s.say(messages.ABNORMAL_RESET, run_id)
        s.finish(run_id, UpgradeTarget.AP, UpgradeStatus.ABNORMAL_RESET)
    s.store(replace(s.stored, upgrade_reboot=False))
    if s.state.config.enabled:
        s.arm(Timer.PERIODIC_CHECK, s.now + CHECK_INTERVAL)
    s.do(SaveState())  # also when nothing changed: the first boot creates the state file
    s.notify(Booted(s.stored.software, s.stored.patch))


def _switch_boot_due(s: _Step) -> None:
    _startup_names(s, s.stored.next_software, s.stored.next_patch)


def _ap_boot_due(s: _Step) -> None:
    _startup_names(s, s.stored.next_ap)


def _aps_booted(s: _Step, digests: Mapping[str, str | None]) -> None:
    run_id = s.stored.operation_counter
    startup = s.stored.next_ap
    s.state = replace(s.state, stage=Stage.IDLE)
    s.set_upgrade(None, UpgradeTarget.AP, _settled(s.stored.ap_upgrade))
    if startup is not None and _intact(startup, digests):
        s.store(replace(s.stored, ap_software=startup.version))
        s.finish(run_id, UpgradeTarget.AP, UpgradeStatus.SUCCESS)
    else:
        s.say(messages.SIGNATURE_FAILED, run_id)
        s.finish(run_id, UpgradeTarget.AP, UpgradeStatus.FILE_CHECK_FAILED)


_TIMER_HANDLERS: Final[Mapping[Timer, Callable[[_Step], None]]] = {
    Timer.PERIODIC_CHECK: _periodic_check_due,
    Timer.SCHEDULED_DOWNLOAD: _scheduled_download_due,
    Timer.SCHEDULED_REBOOT: _scheduled_reboot_due,
    Timer.SWITCH_BOOT: _switch_boot_due,
    Timer.AP_BOOT: _ap_boot_due,
}


def _timer_fired(s: _Step, event: TimerFired) -> None:
    _TIMER_HANDLERS[event.timer](s)


_HANDLERS: Final[Mapping[type[Any], Callable[[_Step, Any], None]]] = {
    PowerOn: _power_on,
    PowerOff: _power_off,
    ConfigCommitted: _configure,
    ConfigLoaded: _config_loaded,
    RequestRefresh: _refresh,
    RequestStart: _start,
    RequestCancel: _cancel,
    RequestReset: _reset,
    TimerFired: _timer_fired,
    RefreshAnswered: _refresh_answered,
    RefreshFailed: _refresh_failed,
    RunAnswered: _run_answered,
    RunCheckFailed: _run_check_failed,
    FileStarted: _file_started,
    TransferSaid: _transfer_said,
    TransferProgress: _transfer_progress,
    FileFetched: _file_fetched,
    SignaturesChecked: _signatures_checked,
    WorkFailed: _work_failed,
    WorkStopped: _work_stopped,
    StartupFilesRead: _startup_files_read,
    FlashMeasured: _flash_measured,
}
