"""The switch emulator's shell (docs/device.md): the I/O around the transition table.

`transitions.py` decides everything; this class feeds it what happens (an RPC, a clock
callback, the end of a transfer) and performs the effects it returns: HTTPS to the HOUP
(`transfer.py`), the flash, the clock's timers, the state file (`persist.py`), the observers.
The NETCONF layer drives it with `check_config`/`apply_config`, the RPC entry points `refresh`,
`download`, `right_now`, `cancel`, reads `state()`, and subscribes to its events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from smartupgrade_model.model import (
    CancellationStatus,
    SmartUpgrade,
    UpgradeStatus,
    UpgradeTarget,
    VersionInformation,
)
from smartupgrade_server.device.clock import Clock, TimerHandle
from smartupgrade_server.device.endpoint import UnusableUrlError, houp_address
from smartupgrade_server.device.events import Observer
from smartupgrade_server.device.flash import Flash
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.persist import StateWriter, load_state
from smartupgrade_server.device.products import supports_smart_upgrade
from smartupgrade_server.device.stored import StoredState
from smartupgrade_server.device.transfer import Endpoint, HoupClient, TransferError
from smartupgrade_server.device.transitions import (
    AbandonWork,
    AnnounceReboot,
    ArmTimer,
    BeginRun,
    CheckSignatures,
    CheckVersion,
    ConfigCommitted,
    ConfigLoaded,
    DeleteSchedule,
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
    PowerOff,
    PowerOn,
    ReadStartupFiles,
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
    StartupFilesRead,
    StopWork,
    Timer,
    TimerFired,
    TransferProgress,
    TransferSaid,
    WorkFailed,
    WorkStopped,
    check_config,
    chosen_target,
    snapshot,
    step,
    version_of,
)
from smartupgrade_server.houp_api.signatures import (
    SignatureVerificationError,
    verify_detached_signature,
)

logger = logging.getLogger(__name__)
# what an Error line says of a failure of the emulator itself (the traceback goes to the log)
INTERNAL_ERROR = "an internal error of the switch (see the log)"

DEFAULT_FLASH_CAPACITY = 512 * 1024 * 1024


@dataclass
class UpgradeRun:
    """One download or upgrade, started by an RPC or by the schedule."""

    operation_id: int
    target: UpgradeTarget
    reboot: bool
    upgrade_status: UpgradeStatus
    """The status when the run started (what the RPC reply carries)."""
    _done: asyncio.Future[UpgradeStatus] = field(repr=False)

    async def wait(self) -> UpgradeStatus:
        """The final status of the run's own work. A reboot (right-now) then follows on the
        clock; the status becomes success when the switch is back."""
        return await asyncio.shield(self._done)


class Switch:
    def __init__(
        self,
        data_dir: Path,
        *,
        identity: Identity,
        factory: FactoryState,
        clock: Clock,
        houp_public_key: str | None,
        flash_capacity: int = DEFAULT_FLASH_CAPACITY,
        hosts: Mapping[str, str] | None = None,
        port_forwards: Mapping[int, int] | None = None,
        network_timeout: float = 30.0,
        reboot_duration: timedelta = timedelta(seconds=60),
        on_reboot: Callable[[], Awaitable[None]] | None = None,
        on_schedule_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Open the switch whose state lives in `data_dir` (created from `factory` the first
        time). Starting is booting: the switch runs its next startup files, and one whose last
        run ended during an upgrade comes up with abnormalReset.

        `houp_public_key` is the OpenPGP key the firmware trusts (None: none, so every
        downloaded file fails its check). `hosts` is the static host table; `port_forwards`
        redirects ports of host-table names (e.g. {443: the HOUP's port}).

        `on_reboot` is awaited when the switch goes down (drop sessions there);
        `on_schedule_cancel` asks the owner of the configuration to delete the `schedule`
        container (the switch has already stopped the schedule when it is called).
        """
        if not supports_smart_upgrade(identity.model):
            raise ValueError(f"{identity.model} does not support smart upgrade")
        if identity.ap_device_type is not None and factory.ap_software is None:
            raise ValueError(f"the AP {identity.ap_device_type} runs no software: give ap_software")
        self.identity = identity
        self.clock = clock
        self.flash = Flash(data_dir / "flash", flash_capacity)
        self.on_reboot = on_reboot
        self.on_schedule_cancel = on_schedule_cancel
        self._houp_public_key = houp_public_key
        self._hosts = dict(hosts or {})
        self._port_forwards = dict(port_forwards or {})
        self._network_timeout = network_timeout
        self._observers: list[Observer] = []
        self._ssl_policies: dict[str, tuple[str, ...]] = {}
        self._timers: dict[Timer, TimerHandle] = {}
        self._runs: dict[int, UpgradeRun] = {}
        self._work: set[asyncio.Task[None]] = set()
        stored = load_state(data_dir)
        self._writer = StateWriter(data_dir, stored)
        self._state = DeviceState(
            identity,
            reboot_duration,
            stored
            or StoredState(
                software=factory.software,
                patch=factory.patch,
                ap_software=factory.ap_software if identity.ap_device_type else None,
            ),
        )
        # A process start is the switch powering up.
        self._feed_now(PowerOn())

    # --- what the NETCONF layer, the command line and the web call ----------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with every event; returns the function that unsubscribes it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    @property
    def up(self) -> bool:
        """False while the switch reboots."""
        return self._state.stage is not Stage.DOWN

    @property
    def booted_at(self) -> datetime:
        """When the switch last came up (starting it boots it)."""
        booted = self._state.booted_at
        assert booted is not None
        return booted

    @property
    def software_version(self) -> str:
        return self._state.stored.software

    @property
    def patch_version(self) -> str | None:
        return self._state.stored.patch

    @property
    def ap_software_version(self) -> str | None:
        return self._state.stored.ap_software

    def state(self) -> SmartUpgrade:
        """Configuration as applied plus every operational field, for `get`."""
        return snapshot(self._state)

    def check_config(
        self, config: SmartUpgrade, ssl_policies: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Veto what YANG cannot express; raises ConfigRejectedError. `ssl_policies` maps policy
        names to their trusted CA certificates (PEM)."""
        check_config(self._state, config, set(ssl_policies or {}), self.clock.now())

    def apply_config(
        self, config: SmartUpgrade, ssl_policies: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Take a committed configuration (only its configuration leaves are read)."""
        self._take_policies(ssl_policies)
        self._feed_now(ConfigCommitted(config))

    def load_config(
        self, config: SmartUpgrade, ssl_policies: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Take the configuration the switch boots with (once, after it is started): as
        `apply_config`, except that a schedule in it is stopped, as by a reset
        (`on_schedule_cancel`)."""
        self._take_policies(ssl_policies)
        self._feed_now(ConfigLoaded(config))

    @property
    def displayed_target(self) -> UpgradeTarget:
        """What smart upgrade is set to upgrade, and what its display shows: the AP with smart
        upgrade for APs enabled, otherwise the switch."""
        return chosen_target(self._state.config)

    def _take_policies(self, ssl_policies: Mapping[str, Sequence[str]] | None) -> None:
        self._ssl_policies = {name: tuple(pems) for name, pems in (ssl_policies or {}).items()}

    async def refresh(self) -> VersionInformation:
        """Check the version with the HOUP now ('display smart-upgrade information'): the
        switch's, and the AP's with smart upgrade for APs enabled. Returns the check of
        `displayed_target`."""
        await self._feed(RequestRefresh())
        return version_of(self._state.stored, self.displayed_target)

    async def download(self, target: UpgradeTarget | None = None) -> UpgradeRun:
        """'smart-upgrade download': starts and returns at once; a switch's download cancels a
        schedule. Without a target, what smart upgrade is set to upgrade (`displayed_target`)."""
        (run,) = await self._feed(RequestStart(target, reboot=False))
        return run

    async def right_now(self, target: UpgradeTarget | None = None) -> UpgradeRun:
        """'smart-upgrade right-now': download what is missing, then reboot into it (the
        switch, or the AP while the switch stays up)."""
        (run,) = await self._feed(RequestStart(target, reboot=True))
        return run

    def cancel(self) -> CancellationStatus:
        """CTRL+C; returns the cancellation status at the time of the call (cancelling, or
        failed when it is too late)."""
        self._feed_now(RequestCancel())
        status = self._state.stored.upgrade.cancellation_status
        assert status is not None
        return status

    async def reset(self) -> None:
        """Restart the switch (the `reboot` command, a power cycle). During an upgrade the
        switch comes back with abnormalReset; it cancels a schedule."""
        await self._feed(RequestReset())

    async def close(self) -> None:
        """Stop timers and any running work (the process ends; the state is saved)."""
        await self._feed(PowerOff())
        await self._writer.flush()

    # --- feeding the table -------------------------------------------------------------------

    def _step(self, event: Input) -> tuple[Effect, ...]:
        moment = Moment(self.clock.now(), self.clock.monotonic())
        self._state, effects = step(self._state, event, moment)
        return effects

    def _feed_now(self, event: Input) -> None:
        """Take `event` whose effects need no waiting (a configuration, a cancel, a line of a
        transfer)."""
        for effect in self._step(event):
            if not self._perform(effect, []):
                raise RuntimeError(f"{effect} must be awaited: feed {event} from a coroutine")

    async def _feed(self, event: Input) -> list[UpgradeRun]:
        """Take `event`, performing its effects in order; returns the runs it began."""
        begun: list[UpgradeRun] = []
        for effect in self._step(event):
            if self._perform(effect, begun):
                continue
            if isinstance(effect, CheckVersion):
                await self._feed(await self._check(effect))
            elif isinstance(effect, AbandonWork):
                await self._stop_work()
            elif isinstance(effect, MeasureFlash):
                # the schedule's pre-check: the run it may begin is this input's
                begun += await self._feed(self._measure(effect))
            elif isinstance(effect, AnnounceReboot) and self.on_reboot is not None:
                await self.on_reboot()
        return begun

    def _perform(self, effect: Effect, begun: list[UpgradeRun]) -> bool:
        """Perform an effect that needs no waiting; False for one that does."""
        if isinstance(effect, Notify):
            for observer in list(self._observers):
                observer(effect.event)
        elif isinstance(effect, SaveState):
            self._writer.save(self._state.stored)
        elif isinstance(effect, ArmTimer):
            self._arm(effect.timer, effect)
        elif isinstance(effect, DisarmTimer):
            handle = self._timers.pop(effect.timer, None)
            if handle is not None:
                handle.cancel()
        elif isinstance(effect, DeleteSchedule):
            if self.on_schedule_cancel is not None:
                self.on_schedule_cancel()
        elif isinstance(effect, BeginRun):
            done = asyncio.get_running_loop().create_future()
            run = UpgradeRun(
                effect.run_id, effect.target, effect.reboot, UpgradeStatus.RUNNING, done
            )
            self._runs[effect.run_id] = run
            begun.append(run)
        elif isinstance(effect, EndRun):
            self._runs.pop(effect.run_id)._done.set_result(effect.status)
        elif isinstance(effect, CheckVersion) and effect.run_id is not None:
            self._start_work(effect.run_id, self._check(effect))
        elif isinstance(effect, DownloadFiles):
            self._start_work(effect.run_id, self._download(effect))
        elif isinstance(effect, CheckSignatures):
            self._start_work(effect.run_id, self._verify(effect))
        elif isinstance(effect, StopWork):
            for task in self._work:
                task.cancel()
        elif isinstance(effect, ReadStartupFiles):
            digests = {name: self._flash_digest(name) for name in effect.names}
            self._feed_now(StartupFilesRead(digests))
        else:
            return isinstance(effect, AnnounceReboot) and self.on_reboot is None
        return True

    def _arm(self, timer: Timer, effect: ArmTimer) -> None:
        previous = self._timers.pop(timer, None)
        if previous is not None:
            previous.cancel()

        async def fire() -> None:
            self._timers.pop(timer, None)
            for run in await self._feed(TimerFired(timer)):
                # a scheduled download runs to its end inside the clock callback
                await run.wait()

        self._timers[timer] = self.clock.call_at(effect.at, fire)

    # --- the run's work ----------------------------------------------------------------------

    def _start_work(self, run_id: int, work: Coroutine[Any, Any, Input]) -> None:
        async def perform() -> None:
            await self._feed(await work)

        def finished(task: asyncio.Task[None]) -> None:
            self._work.discard(task)
            if task.cancelled():
                # A task cancelled before its first step never ran its body, so only its
                # end can tell: the cancel came in the same turn of the loop as the work.
                work.close()
                self._feed_now(WorkStopped(run_id))

        task = asyncio.create_task(perform())
        self._work.add(task)
        task.add_done_callback(finished)

    async def _stop_work(self) -> None:
        """Stop the run's work as a power loss would, and wait until it has stopped."""
        tasks = set(self._work)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def _client(self) -> HoupClient:
        config = self._state.config
        policy = config.ssl_policy
        try:
            address = houp_address(config.url, config.https_port)
        except UnusableUrlError as unusable:
            # a configuration saved before the switch refused such a URL
            detail = f"the URL {config.url} cannot be used"
            raise TransferError(UpgradeStatus.OTHER, detail) from unusable
        endpoint = Endpoint(
            address=address,
            verify_server=config.verify_server,
            trusted_ca=self._ssl_policies.get(policy, ()) if policy else (),
        )
        return HoupClient(
            endpoint,
            self.clock,
            self.flash,
            hosts=self._hosts,
            port_forwards=self._port_forwards,
            timeout=self._network_timeout,
        )

    async def _check(self, effect: CheckVersion) -> Input:
        run_id = effect.run_id
        try:
            async with self._client() as client:
                offer = await client.check_version(
                    effect.model, effect.esn, effect.software, effect.patch
                )
        except TransferError as error:
            if run_id is None:
                return RefreshFailed(error.status, error.detail, effect.target)
            return RunCheckFailed(run_id, error.status, error.detail)
        except Exception:  # an emulator bug is the switch's systemError
            logger.exception("version check")
            if run_id is None:
                return RefreshFailed(UpgradeStatus.SYSTEM_ERROR, INTERNAL_ERROR, effect.target)
            return WorkFailed(run_id, UpgradeStatus.SYSTEM_ERROR, INTERNAL_ERROR)
        if run_id is None:
            return RefreshAnswered(offer, effect.target)
        return RunAnswered(run_id, offer)

    async def _download(self, effect: DownloadFiles) -> Input:
        run_id = effect.run_id
        try:
            async with self._client() as client:
                for job in effect.files:
                    self._feed_now(FileStarted(run_id))
                    result = await client.download(
                        job.file,
                        lambda message: self._feed_now(TransferSaid(run_id, message)),
                        lambda on_flash, size: self._feed_now(
                            TransferProgress(run_id, on_flash, size)
                        ),
                    )
                    fetched = FileFetched(run_id, result.received, result.seconds, result.skipped)
                    if job is effect.files[-1]:
                        return fetched
                    self._feed_now(fetched)
        except TransferError as error:
            return WorkFailed(run_id, error.status, error.detail)
        except Exception:  # an emulator bug is the switch's systemError
            logger.exception("download")
            return WorkFailed(run_id, UpgradeStatus.SYSTEM_ERROR, INTERNAL_ERROR)
        raise AssertionError("a run downloads at least its software and its signature")

    async def _verify(self, effect: CheckSignatures) -> Input:
        digests: dict[str, str] = {}
        for name in effect.names:
            digest = await asyncio.to_thread(self._verified_digest, name)
            if digest is None:
                return SignaturesChecked(effect.run_id, None)
            digests[name] = digest
        return SignaturesChecked(effect.run_id, digests)

    def _verified_digest(self, name: str) -> str | None:
        """SHA-256 of a package whose signature verifies, else None. The digest is what the
        switch boots: a file changed after verification is not run."""
        if self._houp_public_key is None:
            # firmware built without the HOUP's key trusts no signature
            return None
        try:
            signature = self.flash.path(name + ".asc").read_bytes()
            verify_detached_signature(self.flash.path(name), signature, self._houp_public_key)
        except (SignatureVerificationError, OSError, ValueError):
            return None
        return self.flash.sha256(name)

    def _measure(self, effect: MeasureFlash) -> FlashMeasured:
        try:
            files = self.flash.files()
            free = self.flash.free()
        except OSError:  # a flash that cannot be read has no room
            files, free = {}, 0
        return FlashMeasured(free, {name: files[name] for name in effect.names if name in files})

    def _flash_digest(self, name: str) -> str | None:
        try:
            return self.flash.sha256(name) if self.flash.size(name) is not None else None
        except (OSError, ValueError):  # not a flash name, or the flash broke
            return None
