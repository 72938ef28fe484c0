"""The transition table on its own: no HTTPS, no asyncio, no clock. Inputs in, state and
effects out, as the shell would feed them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from smartupgrade_model.model import (
    Ap,
    CancellationStatus,
    CheckOutcome,
    CheckResult,
    FileKind,
    Schedule,
    SmartUpgrade,
    Triggered,
    UpgradeInformation,
    UpgradeStatus,
    UpgradeTarget,
)
from smartupgrade_server.device import messages
from smartupgrade_server.device.events import (
    DeviceEvent,
    DownloadProgress,
    Line,
    ScheduleEvent,
    UpgradeStatusChanged,
)
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.device.offers import RemotePackage, VersionOffer
from smartupgrade_server.device.refusals import REFUSALS, OperationRefusedError, Refused
from smartupgrade_server.device.stored import StoredState
from smartupgrade_server.device.transitions import (
    RUN_STAGES,
    STAGES,
    AnnounceReboot,
    ArmTimer,
    BeginRun,
    CheckSignatures,
    CheckVersion,
    ConfigCommitted,
    DeviceState,
    DisarmTimer,
    DownloadFiles,
    Effect,
    EndRun,
    FileFetched,
    FileStarted,
    FlashMeasured,
    Input,
    MeasureFlash,
    Moment,
    Notify,
    PowerOn,
    ReadStartupFiles,
    RefreshAnswered,
    RequestCancel,
    RequestRefresh,
    RequestReset,
    RequestStart,
    RunAnswered,
    SaveState,
    SignaturesChecked,
    Stage,
    StartupFilesRead,
    StopWork,
    Timer,
    TimerFired,
    TransferProgress,
    UnexpectedInputError,
    WorkStopped,
    step,
)

START = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))
IDENTITY = Identity(
    "S5732-H",
    "S5732-H24UM2CC",
    "2102351XFR10P2000123",
    "AirEngine 8760-X1-PRO",
    "2102353VUR10N2000123",
)
ENABLED = SmartUpgrade(ssl_policy="houp", enabled=True)
SHA = "ab" * 32


def package(name: str, size: int = 1000) -> RemotePackage:
    url = f"https://houp.example/files/{name}"
    return RemotePackage(name, size, SHA, url, url + ".asc")


OFFER = VersionOffer(
    "V200R024C00",
    "V200R020SPH001",
    "",
    "1)description:2)CC+SPH",
    package("S5732-H-V200R024C00.cc"),
    package("S5732-H-V200R020SPH001.pat", 100),
)

DIGESTS = {"S5732-H-V200R024C00.cc": SHA, "S5732-H-V200R020SPH001.pat": SHA}


class Machine:
    """The table with the shell's bookkeeping: the clock, the armed timers, the effects."""

    def __init__(self, stored: StoredState | None = None) -> None:
        self.state = DeviceState(
            IDENTITY,
            timedelta(minutes=5),
            stored or StoredState("V200R020C00", "V200R020SPH", "V200R019C10"),
        )
        self.now = START
        self.monotonic = 0.0
        self.flash_free = 512 * 1024 * 1024
        self.on_flash: dict[str, int] = {}
        self.armed: dict[Timer, datetime] = {}
        self.effects: list[Effect] = []
        self.steps: list[tuple[Input, DeviceState, DeviceState, tuple[Effect, ...]]] = []
        self.feed(PowerOn())

    def feed(self, event: Input) -> tuple[Effect, ...]:
        before = self.state
        self.state, effects = step(self.state, event, Moment(self.now, self.monotonic))
        self.steps.append((event, before, self.state, effects))
        self.effects.extend(effects)
        if isinstance(event, TimerFired):
            self.armed.pop(event.timer, None)
        for effect in effects:
            if isinstance(effect, ArmTimer):
                self.armed[effect.timer] = effect.at
            elif isinstance(effect, DisarmTimer):
                del self.armed[effect.timer]
        # the shell reads the flash at once
        for effect in effects:
            if isinstance(effect, MeasureFlash):
                present = {n: self.on_flash[n] for n in effect.names if n in self.on_flash}
                self.feed(FlashMeasured(self.flash_free, present))
            if isinstance(effect, ReadStartupFiles):
                intact = {
                    startup.name: startup.sha256
                    for startup in (
                        self.state.stored.next_software,
                        self.state.stored.next_patch,
                        self.state.stored.next_ap,
                    )
                    if startup is not None
                }
                self.feed(StartupFilesRead({name: intact.get(name) for name in effect.names}))
        return effects

    def stage(self) -> Stage:
        return self.state.stage

    def upgrade(self) -> UpgradeInformation:
        return self.state.stored.upgrade

    def advance(self, timer: Timer) -> tuple[Effect, ...]:
        self.now = max(self.now, self.armed[timer])
        return self.feed(TimerFired(timer))

    def events(self) -> list[DeviceEvent]:
        return [effect.event for effect in self.effects if isinstance(effect, Notify)]

    def lines(self) -> list[str]:
        return [str(e.message) for e in self.events() if isinstance(e, Line) and not e.transient]

    def download_all(self, run_id: int, jobs: DownloadFiles) -> None:
        for job in jobs.files:
            self.feed(FileStarted(run_id))
            size = job.file.size or 490
            for on_flash in (0, size // 2, size):
                self.monotonic += 0.6
                self.feed(TransferProgress(run_id, on_flash, size))
            self.feed(FileFetched(run_id, size, 1.8, skipped=False))


def only(effects: tuple[Effect, ...], kind: type[Effect]) -> Effect:
    (found,) = [effect for effect in effects if isinstance(effect, kind)]
    return found


def test_a_right_now_from_the_request_to_the_new_version() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    assert Timer.PERIODIC_CHECK in machine.armed
    effects = machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=True))
    assert machine.stage() is Stage.CHECKING
    begun = only(effects, BeginRun)
    assert isinstance(begun, BeginRun) and begun.run_id == 1
    check = only(effects, CheckVersion)
    assert check == CheckVersion(1, "S5732-H", IDENTITY.esn, "V200R020C00", "V200R020SPH")

    download = only(machine.feed(RunAnswered(1, OFFER)), DownloadFiles)
    assert isinstance(download, DownloadFiles)
    assert [(job.file.name, job.kind) for job in download.files] == [
        ("S5732-H-V200R024C00.cc", FileKind.SOFTWARE),
        ("S5732-H-V200R024C00.cc.asc", FileKind.SOFTWARE_SIGNATURE),
        ("S5732-H-V200R020SPH001.pat", FileKind.PATCH),
        ("S5732-H-V200R020SPH001.pat.asc", FileKind.PATCH_SIGNATURE),
    ]
    machine.download_all(1, download)
    assert machine.stage() is Stage.VERIFYING
    upgrade = machine.state.stored.upgrade
    assert upgrade.software_download_progress == upgrade.patch_download_progress == 100
    assert upgrade.software_download_time == START
    assert machine.effects[-1] == CheckSignatures(
        1, ("S5732-H-V200R024C00.cc", "S5732-H-V200R020SPH001.pat")
    )

    effects = machine.feed(SignaturesChecked(1, DIGESTS))
    assert machine.stage() is Stage.DOWN
    assert isinstance(effects[-1], EndRun) and effects[-1].status is UpgradeStatus.RUNNING
    assert isinstance(effects[-2], SaveState)
    assert AnnounceReboot() in effects
    assert machine.lines()[-1] == "Info: System will rebooting for upgrade..."

    machine.advance(Timer.SWITCH_BOOT)
    assert machine.stage() is Stage.IDLE
    assert (machine.state.stored.software, machine.state.stored.patch) == (
        "V200R024C00",
        "V200R020SPH001",
    )
    statuses = [e.upgrade_status for e in machine.events() if isinstance(e, UpgradeStatusChanged)]
    assert statuses == [UpgradeStatus.RUNNING, UpgradeStatus.SUCCESS]


def test_progress_is_reported_at_the_start_once_a_second_and_at_the_end() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=False))
    machine.feed(RunAnswered(1, OFFER))
    machine.feed(FileStarted(1))
    for on_flash in range(0, 1001, 100):  # 11 reports, 0.3 s apart
        machine.feed(TransferProgress(1, on_flash, 1000))
        machine.monotonic += 0.3
    percents = [e.percent for e in machine.events() if isinstance(e, DownloadProgress)]
    assert percents == [0, 40, 80, 100]
    assert machine.state.stored.upgrade.software_download_progress == 100
    transient = [e for e in machine.events() if isinstance(e, Line) and e.transient]
    assert [str(e.message) for e in transient] == [
        "Info: Current percent is 40%.",
        "Info: Current percent is 80%.",
    ]


def test_cancel_while_downloading_then_too_late_while_rebooting() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=False))
    machine.feed(RunAnswered(1, OFFER))
    effects = machine.feed(RequestCancel())
    assert StopWork(1) in effects and machine.stage() is Stage.CANCELLING
    assert machine.upgrade().cancellation_status is CancellationStatus.CANCELLING
    assert machine.feed(RequestCancel()) == ()  # still cancelling
    assert machine.feed(FileStarted(1)) == ()  # the stopped work's late result
    effects = machine.feed(WorkStopped(1))
    assert effects[-1] == EndRun(1, UpgradeStatus.UPGRADE_CANCELLED)
    upgrade = machine.state.stored.upgrade
    assert (upgrade.upgrade_status, upgrade.cancellation_status) == (
        UpgradeStatus.UPGRADE_CANCELLED,
        CancellationStatus.SUCCESSFUL,
    )

    machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=True))
    download = only(machine.feed(RunAnswered(2, OFFER)), DownloadFiles)
    assert isinstance(download, DownloadFiles)
    machine.download_all(2, download)
    machine.feed(SignaturesChecked(2, DIGESTS))
    machine.feed(RequestCancel())
    assert machine.upgrade().cancellation_status is CancellationStatus.FAILED
    assert machine.lines()[-1] == str(messages.CANCEL_TOO_LATE)


@pytest.mark.parametrize(
    ("prepare", "request_", "refused"),
    [
        ([], RequestRefresh(), Refused.NOT_ENABLED),
        ([], RequestStart(UpgradeTarget.SWITCH, reboot=False), Refused.NOT_ENABLED),
        ([ConfigCommitted(ENABLED)], RequestCancel(), Refused.NOTHING_TO_CANCEL),
        (
            [ConfigCommitted(ENABLED)],
            RequestStart(UpgradeTarget.AP, reboot=True),
            Refused.AP_UPGRADE_NOT_ENABLED,
        ),
        (
            [ConfigCommitted(ENABLED), RequestStart(UpgradeTarget.SWITCH, reboot=False)],
            RequestStart(UpgradeTarget.SWITCH, reboot=True),
            Refused.UPGRADE_IN_PROGRESS,
        ),
        ([ConfigCommitted(ENABLED), RequestReset()], RequestRefresh(), Refused.SYSTEM_REBOOTING),
    ],
)
def test_refused_requests_change_nothing(
    prepare: list[Input], request_: Input, refused: Refused
) -> None:
    machine = Machine()
    for event in prepare:
        machine.feed(event)
    before = machine.state
    with pytest.raises(OperationRefusedError) as error:
        machine.feed(request_)
    assert error.value.refusal is REFUSALS[refused]
    assert (error.value.app_tag, error.value.error_tag) == (
        REFUSALS[refused].app_tag,
        REFUSALS[refused].error_tag,
    )
    assert machine.state == before


def test_a_result_of_another_run_is_stale() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=False))
    before = machine.state
    assert machine.feed(RunAnswered(7, OFFER)) == ()
    assert machine.state == before


def test_an_input_the_table_does_not_take_is_a_bug() -> None:
    machine = Machine()
    with pytest.raises(UnexpectedInputError):
        machine.feed(PowerOn())  # it is already on


def test_the_schedule_is_armed_only_while_enabled() -> None:
    machine = Machine()
    schedule = Schedule("2026-11-27 10:00:00", "2026-11-27 11:00:00")
    machine.feed(ConfigCommitted(SmartUpgrade(ssl_policy="houp", schedule=schedule)))
    assert not machine.armed
    machine.feed(ConfigCommitted(replace(ENABLED, schedule=schedule)))
    assert set(machine.armed) == {
        Timer.PERIODIC_CHECK,
        Timer.SCHEDULED_DOWNLOAD,
        Timer.SCHEDULED_REBOOT,
    }
    machine.feed(ConfigCommitted(SmartUpgrade(ssl_policy="houp", schedule=schedule)))
    assert not machine.armed
    steps = [e.event for e in machine.events() if isinstance(e, ScheduleEvent)]
    assert [step.value for step in steps] == ["cancelled"]


def test_a_rollback_offer_is_recorded_as_optimal() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    machine.feed(RequestStart(UpgradeTarget.SWITCH, reboot=False))
    effects = machine.feed(RunAnswered(1, replace(OFFER, software="V200R019C10")))
    assert effects[-1] == EndRun(1, UpgradeStatus.OTHER)
    assert machine.state.stored.version.check_result is CheckResult.VERSION_OPTIMAL
    assert machine.lines()[-3:] == [
        str(messages.rollback_refused("V200R019C10", "V200R020C00")),
        str(messages.STOP_DOWNLOAD_HINT),
        str(messages.ALREADY_LATEST),
    ]


def test_every_stage_of_the_table_is_a_stage() -> None:
    assert set(STAGES) == set(Stage)
    targets = {stage for row in STAGES.values() for targets in row.values() for stage in targets}
    assert targets <= set(Stage)
    assert set(Stage) > RUN_STAGES


def _scheduled(machine: Machine) -> None:
    """A schedule whose download is due in an hour, after a check that found OFFER."""
    machine.feed(RequestRefresh())
    machine.feed(RefreshAnswered(OFFER))
    machine.feed(ConfigCommitted(replace(ENABLED, schedule=Schedule("2026-11-27 10:00:00"))))


def test_the_schedule_pre_check_fails_without_room_on_the_flash() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    _scheduled(machine)
    # 1100 bytes of packages, 300 of the software already there as a breakpoint
    machine.on_flash = {"S5732-H-V200R024C00.cc": 300}
    machine.flash_free = 799
    effects = machine.advance(Timer.SCHEDULED_DOWNLOAD)
    assert MeasureFlash(("S5732-H-V200R024C00.cc", "S5732-H-V200R020SPH001.pat")) in effects
    schedule = machine.state.stored.schedule
    assert (schedule.download_triggered, schedule.download_pre_check_result) == (
        Triggered.YES,
        CheckOutcome.FAILED,
    )
    assert machine.stage() is Stage.IDLE and machine.state.run is None
    assert machine.lines()[-1] == str(messages.pre_check_flash(800, 799))


def test_the_schedule_pre_check_passes_with_just_enough_room() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    _scheduled(machine)
    machine.flash_free = 1100
    machine.advance(Timer.SCHEDULED_DOWNLOAD)
    assert machine.state.stored.schedule.download_pre_check_result is CheckOutcome.SUCCEEDED
    assert machine.stage() is Stage.CHECKING


def test_the_schedule_pre_check_fails_while_the_ap_upgrades() -> None:
    """The switch's own download and right-now stop the schedule; its AP's do not."""
    machine = Machine(StoredState("V200R024C00", None, "V200R019C10"))
    machine.feed(ConfigCommitted(replace(ENABLED, ap=Ap(enabled=True))))
    machine.feed(
        ConfigCommitted(
            replace(ENABLED, ap=Ap(enabled=True), schedule=Schedule("2026-11-27 10:00:00"))
        )
    )
    machine.feed(RequestStart(None, reboot=False))
    assert machine.state.run is not None and machine.state.run.target is UpgradeTarget.AP
    effects = machine.advance(Timer.SCHEDULED_DOWNLOAD)
    assert not [effect for effect in effects if isinstance(effect, MeasureFlash | BeginRun)]
    assert machine.state.stored.schedule.download_pre_check_result is CheckOutcome.FAILED
    assert machine.lines()[-1] == str(messages.PRE_CHECK_BUSY)
    assert machine.stage() is Stage.CHECKING  # the AP's run goes on


def test_a_flash_measure_nobody_asked_for_is_stale() -> None:
    machine = Machine()
    machine.feed(ConfigCommitted(ENABLED))
    before = machine.state
    assert machine.feed(FlashMeasured(0, {})) == ()
    assert machine.state == before
