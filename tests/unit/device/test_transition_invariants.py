"""Random sequences of everything that can happen to a switch, fed to the transition table as
the shell would (requests, clock callbacks of armed timers, results of the work the table
asked for, in any order the network allows), with the table's invariants checked after each
step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from smartupgrade_model.model import (
    Ap,
    CancellationStatus,
    CheckOutcome,
    Schedule,
    SmartUpgrade,
    UpgradeStatus,
    UpgradeTarget,
)
from smartupgrade_server.device import messages
from smartupgrade_server.device.events import UpgradeStatusChanged
from smartupgrade_server.device.offers import NoVersionForModel, VersionAnswer
from smartupgrade_server.device.refusals import ConfigRejectedError, OperationRefusedError
from smartupgrade_server.device.stored import StoredState
from smartupgrade_server.device.transitions import (
    RUN_STAGES,
    SCHEDULE_TIME_FORMAT,
    SCHEDULE_TIMERS,
    AbandonWork,
    BeginRun,
    CheckSignatures,
    CheckVersion,
    ConfigCommitted,
    ConfigLoaded,
    DownloadFiles,
    Effect,
    EndRun,
    FileFetched,
    FileJob,
    FileStarted,
    Input,
    Notify,
    PowerOff,
    RefreshAnswered,
    RefreshFailed,
    RequestCancel,
    RequestRefresh,
    RequestReset,
    RequestStart,
    RunAnswered,
    RunCheckFailed,
    SaveState,
    SignaturesChecked,
    Stage,
    StopWork,
    Timer,
    TimerFired,
    TransferProgress,
    TransferSaid,
    WorkFailed,
    WorkStopped,
    check_config,
    upgrade_of,
)
from tests.unit.device.test_transitions import OFFER, SHA, Machine, package

AP_OFFER = replace(
    OFFER, patch=None, patch_package=None, software_package=package("AirEngineX760_V200R024C00.bin")
)
OFFERS: st.SearchStrategy[VersionAnswer] = st.sampled_from(
    [
        None,
        OFFER,
        OFFER,
        OFFER,
        replace(OFFER, software="V200R019C10", patch=None, patch_package=None),  # a rollback
        replace(OFFER, software_package=package("S6730-H-V200R024C00.cc")),  # another model's
        AP_OFFER,
        NoVersionForModel(),
    ]
)
_FAILURES = [
    UpgradeStatus.NET_ERROR,
    UpgradeStatus.SERVER_SPEC_UP_LIMIT,
    UpgradeStatus.CERT_OUT_DATE,
    UpgradeStatus.WRITE_FLASH_FAILED,
    UpgradeStatus.SYSTEM_ERROR,
    UpgradeStatus.OTHER,
]
# mostly success, so that runs get past their first file as often as they fail
MAYBE_FAILING: st.SearchStrategy[UpgradeStatus | None] = st.sampled_from([None] * 24 + _FAILURES)


@dataclass
class Download:
    run_id: int
    files: tuple[FileJob, ...]
    started: int = 0
    """Files started so far; the one in transfer is `started - 1`."""


class SwitchLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # the switch runs the version its AP's offer needs, so AP upgrades get through too
        self.machine = Machine(StoredState("V200R024C00", None, "V200R019C10"))
        self.runs: set[int] = set()
        self.last_run_id = 0
        self.refreshes: list[CheckVersion] = []
        self.check: CheckVersion | None = None
        self.download: Download | None = None
        self.verify: CheckSignatures | None = None
        self.stopping: int | None = None
        self.abandoned: list[int] = []
        self.counter = self.machine.state.stored.operation_counter

    # --- feeding, with the shell's bookkeeping of the work the table asked for ---------------

    def feed(self, event: Input) -> None:
        """Feed one input (and what the shell feeds at once in answer), checking each step."""
        done = len(self.machine.steps)
        before = self.machine.state
        try:
            self.machine.feed(event)
        except OperationRefusedError:
            assert self.machine.state == before
            return
        for fed, old, new, effects in self.machine.steps[done:]:
            # a progress report alone is saved with its file's end
            if old.stored != new.stored and not isinstance(fed, TransferProgress):
                assert SaveState() in effects
            ends = [i for i, effect in enumerate(effects) if isinstance(effect, EndRun)]
            assert all(i >= len(effects) - len(ends) for i in ends), "EndRun comes last"
            for effect in effects:
                self.perform(effect)

    def perform(self, effect: Effect) -> None:
        if isinstance(effect, BeginRun):
            assert not self.runs, "one run at a time"
            assert effect.run_id > self.last_run_id
            self.runs.add(effect.run_id)
            self.last_run_id = effect.run_id
        elif isinstance(effect, EndRun):
            self.runs.remove(effect.run_id)
        elif isinstance(effect, CheckVersion):
            if effect.run_id is None:
                self.refreshes.append(effect)
            else:
                self.check = effect
        elif isinstance(effect, DownloadFiles):
            self.check = None
            self.download = Download(effect.run_id, effect.files)
        elif isinstance(effect, CheckSignatures):
            self.download = None
            self.verify = effect
        elif isinstance(effect, StopWork | AbandonWork):
            self.check = self.download = self.verify = None
            if isinstance(effect, StopWork):
                self.stopping = effect.run_id
            else:
                self.abandoned.append(effect.run_id)
                self.stopping = None

    @initialize()
    def enable(self) -> None:
        self.feed(ConfigCommitted(SmartUpgrade(ssl_policy="houp", enabled=True)))

    # --- requests ----------------------------------------------------------------------------

    @rule(
        enabled=st.sampled_from([True, True, True, False]),
        ap=st.booleans(),
        download_in=st.none() | st.integers(-1, 30),
        reboot_after=st.none() | st.integers(-1, 30),
    )
    def configure(
        self, enabled: bool, ap: bool, download_in: int | None, reboot_after: int | None
    ) -> None:
        schedule = None
        now = self.machine.now
        if download_in is not None:
            download_at = now + timedelta(minutes=download_in)
            reboot_at = (
                None if reboot_after is None else download_at + timedelta(minutes=reboot_after)
            )
            schedule = Schedule(
                download_at.strftime(SCHEDULE_TIME_FORMAT),
                None if reboot_at is None else reboot_at.strftime(SCHEDULE_TIME_FORMAT),
            )
        config = SmartUpgrade(
            ssl_policy="houp", enabled=enabled, ap=Ap(enabled=ap), schedule=schedule
        )
        try:
            check_config(self.machine.state, config, {"houp"}, now)
        except ConfigRejectedError:
            return  # NETCONF refuses the edit: the switch is not told
        self.feed(ConfigCommitted(config))

    @rule(chance=st.integers(0, 2))
    def refresh(self, chance: int) -> None:
        if chance == 0:
            self.feed(RequestRefresh())

    @rule(upgraded=st.sampled_from([None, *UpgradeTarget]), reboot=st.booleans())
    def start(self, upgraded: UpgradeTarget | None, reboot: bool) -> None:
        """None: what the switch's own commands upgrade (the AP in AP mode)."""
        self.feed(RequestStart(upgraded, reboot))

    @rule(chance=st.integers(0, 5))
    def cancel(self, chance: int) -> None:
        if chance == 0:
            self.feed(RequestCancel())

    @rule(chance=st.integers(0, 9))
    def reset(self, chance: int) -> None:
        if chance == 0:  # rarer than the rest: a reset ends most of what is going on
            self.feed(RequestReset())

    @rule(chance=st.integers(0, 9))
    def restart(self, chance: int) -> None:
        """The process ends and starts again from the saved state, given its configuration."""
        if chance:
            return
        self.feed(PowerOff())
        config = self.machine.state.config
        self.machine = Machine(self.machine.state.stored)
        self.refreshes.clear()
        self.check = self.download = self.verify = self.stopping = None
        self.abandoned.clear()
        self.feed(ConfigLoaded(config))

    # --- the clock ---------------------------------------------------------------------------

    @precondition(lambda self: bool(self.machine.armed))
    @rule(data=st.data())
    def timer(self, data: st.DataObject) -> None:
        soonest = min(self.machine.armed.values())
        due = sorted(t.name for t, at in self.machine.armed.items() if at == soonest)
        timer = Timer[data.draw(st.sampled_from(due))]
        self.machine.now = max(self.machine.now, soonest)
        self.feed(TimerFired(timer))

    # --- results of the work -----------------------------------------------------------------

    @precondition(lambda self: bool(self.refreshes))
    @rule(offer=OFFERS, fails=MAYBE_FAILING)
    def answer_refresh(self, offer: VersionAnswer, fails: UpgradeStatus | None) -> None:
        target = self.refreshes.pop(0).target
        self.feed(
            RefreshAnswered(offer, target) if fails is None else RefreshFailed(fails, "x", target)
        )

    @precondition(lambda self: self.check is not None)
    @rule(offer=OFFERS, fails=MAYBE_FAILING)
    def answer_run(self, offer: VersionAnswer, fails: UpgradeStatus | None) -> None:
        assert self.check is not None and self.check.run_id is not None
        run_id, self.check = self.check.run_id, None
        if fails is not None:
            self.feed(RunCheckFailed(run_id, fails, "x"))
        else:
            self.feed(RunAnswered(run_id, offer))

    @precondition(lambda self: self.download is not None)
    @rule(
        count=st.sampled_from([4, 4, 4, 1, 2, 3]),
        fails=MAYBE_FAILING,
        skipped=st.booleans(),
        seconds=st.floats(0, 3),
    )
    def transfer(
        self, count: int, fails: UpgradeStatus | None, skipped: bool, seconds: float
    ) -> None:
        """The next `count` files arrive, or the transfer fails."""
        download = self.download
        assert download is not None
        run_id = download.run_id
        if fails is not None:
            self.download = None
            self.feed(WorkFailed(run_id, fails, "x"))
            return
        for job in download.files[download.started : download.started + count]:
            download.started += 1
            self.feed(FileStarted(run_id))
            self.feed(TransferSaid(run_id, messages.downloading(job.file.name)))
            size = job.file.size or 490
            for on_flash in (0, size // 3, size):
                self.machine.monotonic += seconds
                self.feed(TransferProgress(run_id, on_flash, size))
            if download.started == len(download.files):
                self.download = None
            self.feed(FileFetched(run_id, size, seconds, skipped))

    @precondition(lambda self: self.verify is not None)
    @rule(verified=st.booleans())
    def signatures(self, verified: bool) -> None:
        verify = self.verify
        assert verify is not None
        self.verify = None
        digests = dict.fromkeys(verify.names, SHA) if verified else None
        self.feed(SignaturesChecked(verify.run_id, digests))

    @precondition(lambda self: self.stopping is not None or bool(self.abandoned))
    @rule()
    def stopped(self) -> None:
        if self.stopping is not None:
            run_id, self.stopping = self.stopping, None
        else:
            run_id = self.abandoned.pop()
        self.feed(WorkStopped(run_id))

    def _pending(self) -> list[str]:
        work = {
            "answer_refresh": bool(self.refreshes),
            "answer_run": self.check is not None,
            "transfer": self.download is not None,
            "signatures": self.verify is not None,
            "stopped": self.stopping is not None or bool(self.abandoned),
        }
        return [name for name, pending in work.items() if pending]

    @precondition(lambda self: bool(self._pending()))
    @rule(data=st.data())
    def network(self, data: st.DataObject) -> None:
        """Some work the table asked for succeeds (more often than a request comes)."""
        match data.draw(st.sampled_from(self._pending())):
            case "answer_refresh":
                self.answer_refresh(data.draw(OFFERS), None)
            case "answer_run":
                self.answer_run(data.draw(OFFERS), None)
            case "transfer":
                self.transfer(4, None, skipped=False, seconds=1.0)
            case "signatures":
                self.signatures(verified=True)
            case _:
                self.stopped()

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def at_most_one_run(self) -> None:
        state = self.machine.state
        assert (state.run is not None) == (state.stage in RUN_STAGES)
        assert self.runs == (set() if state.run is None else {state.run.run_id})

    @invariant()
    def statuses_come_from_the_yang_enums(self) -> None:
        stored = self.machine.state.stored
        for upgrade in (stored.upgrade, stored.ap_upgrade):
            assert upgrade.upgrade_status is None or upgrade.upgrade_status in UpgradeStatus
            assert (
                upgrade.last_upgrade_result is None or upgrade.last_upgrade_result in UpgradeStatus
            )
            assert (
                upgrade.cancellation_status is None
                or upgrade.cancellation_status in CancellationStatus
            )
        for effect in self.machine.effects:
            if isinstance(effect, Notify) and isinstance(effect.event, UpgradeStatusChanged):
                assert effect.event.upgrade_status in UpgradeStatus

    @invariant()
    def running_exactly_while_upgrading(self) -> None:
        """One target's status is running while its upgrade runs, the other's never."""
        state = self.machine.state
        running = [
            target
            for target in UpgradeTarget
            if upgrade_of(state.stored, target).upgrade_status is UpgradeStatus.RUNNING
        ]
        assert len(running) <= 1
        if state.stage in RUN_STAGES:
            assert state.run is not None and running == [state.run.target]
        if state.stage is Stage.APS_REBOOTING:
            assert running == [UpgradeTarget.AP]
        if state.stage is Stage.IDLE:
            assert not running

    @invariant()
    def timers_follow_the_state(self) -> None:
        state = self.machine.state
        assert set(self.machine.armed) == state.timers
        up = state.stage is not Stage.DOWN
        if state.timers & SCHEDULE_TIMERS:
            assert state.config.enabled and up and state.config.schedule is not None
        if Timer.PERIODIC_CHECK in state.timers:
            assert state.config.enabled and up
        assert (Timer.SWITCH_BOOT in state.timers) == (state.stage is Stage.DOWN)
        assert (Timer.AP_BOOT in state.timers) == (state.stage is Stage.APS_REBOOTING)

    @invariant()
    def operation_ids_only_grow(self) -> None:
        counter = self.machine.state.stored.operation_counter
        assert counter >= self.counter
        self.counter = counter

    @invariant()
    def a_triggered_download_has_a_pre_check_result(self) -> None:
        schedule = self.machine.state.stored.schedule
        if schedule.download_pre_check_result is not None:
            assert schedule.download_pre_check_result in CheckOutcome


# 3,000 examples of 100 steps pass too (3 minutes); CI runs a few hundred
SwitchLife.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_switch_life = SwitchLife.TestCase
