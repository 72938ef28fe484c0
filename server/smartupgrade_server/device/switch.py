"""The switch emulator: every transition of Smart Upgrade in one class (docs/device.md).

Time comes only from the injected `Clock`; files cross real HTTPS to the HOUP (`transfer.py`);
the switch's own state survives a process restart (`persist.py`). The NETCONF layer drives it
with `check_config`/`apply_config`, the RPC entry points `refresh`, `download`, `right_now`,
`cancel`, reads `state()`, and subscribes to its events.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum, auto
from pathlib import Path
from typing import Any

from smartupgrade_model.commands import CONFIG_FIELDS
from smartupgrade_model.model import (
    CONSTRAINTS,
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
    UpgradeStatus,
    UpgradeTarget,
    VersionInformation,
)
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import Clock, TimerHandle
from smartupgrade_server.device.events import (
    Booted,
    DeviceEvent,
    DownloadProgress,
    Line,
    Observer,
    Rebooting,
    ScheduleEvent,
    UpgradeStatusChanged,
    VersionChecked,
)
from smartupgrade_server.device.flash import Flash
from smartupgrade_server.device.messages import Message
from smartupgrade_server.device.persist import StartupFile, StateWriter, StoredState, load_state
from smartupgrade_server.device.products import (
    package_fits,
    supports_ap_upgrade,
    supports_smart_upgrade,
)
from smartupgrade_server.device.transfer import (
    Endpoint,
    HoupClient,
    RemoteFile,
    TransferError,
    VersionOffer,
)
from smartupgrade_server.houp_api.signatures import (
    SignatureVerificationError,
    verify_detached_signature,
)

DEFAULT_FLASH_CAPACITY = 512 * 1024 * 1024
CHECK_INTERVAL = timedelta(hours=24)
SCHEDULE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_VERSION = re.compile(r"V(\d+)R(\d+)C(\d+)(?:SPC(\d+))?")
# The schedule's download is retried at the reboot time when it failed on the network side.
_RETRIED_AT_REBOOT = (UpgradeStatus.NET_ERROR, UpgradeStatus.SERVER_SPEC_UP_LIMIT)


class ConfigRejectedError(Exception):
    """A configuration change the switch vetoes; the fields are those of an rpc-error."""

    def __init__(self, error_tag: str, app_tag: str, message: str, path: tuple[str, ...]) -> None:
        super().__init__(message)
        self.error_tag = error_tag
        self.app_tag = app_tag
        self.message = message
        self.path = path


class OperationRefusedError(Exception):
    """An RPC the switch cannot start now (an rpc-error 'operation-failed' with this app-tag)."""

    def __init__(self, app_tag: str, message: str) -> None:
        super().__init__(message)
        self.app_tag = app_tag
        self.message = message


@dataclass(frozen=True)
class Identity:
    """What the switch is. `ap_device_type` is the AP it manages, if any (AP-capable models)."""

    model: str
    device_name: str
    esn: str
    ap_device_type: str | None = None


@dataclass(frozen=True)
class FactoryState:
    """Versions the switch runs the first time it starts (later: what its data dir says)."""

    software: str
    patch: str | None = None
    ap_software: str | None = None


class _Phase(Enum):
    DOWNLOADING = auto()  # cancellable
    COMMITTING = auto()  # setting the next startup files: too late to cancel
    REBOOTING = auto()


@dataclass
class UpgradeRun:
    """A download or upgrade started by an RPC or by the schedule."""

    operation_id: int
    target: UpgradeTarget
    reboot: bool
    upgrade_status: UpgradeStatus
    """The status when the operation started (what the RPC reply carries)."""
    _done: asyncio.Future[UpgradeStatus] = field(repr=False)

    async def wait(self) -> UpgradeStatus:
        """The final status of the operation's own work. A reboot (right-now) then follows on
        the clock; the status becomes success when the switch is back."""
        return await asyncio.shield(self._done)


def _parse_version(version: str) -> tuple[int, ...] | None:
    match = _VERSION.match(version)
    return None if match is None else tuple(int(g or 0) for g in match.groups())


def _older(offered: str, running: str) -> bool:
    new, old = _parse_version(offered), _parse_version(running)
    return new is not None and old is not None and new < old


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
        self.identity = identity
        self.clock = clock
        self.flash = Flash(data_dir / "flash", flash_capacity)
        self.on_reboot = on_reboot
        self.on_schedule_cancel = on_schedule_cancel
        self._houp_public_key = houp_public_key
        self._hosts = dict(hosts or {})
        self._port_forwards = dict(port_forwards or {})
        self._network_timeout = network_timeout
        self._reboot_duration = reboot_duration
        self._observers: list[Observer] = []
        self._config = SmartUpgrade()
        self._ssl_policies: dict[str, tuple[str, ...]] = {}
        self._operation: UpgradeRun | None = None
        self._task: asyncio.Task[UpgradeStatus] | None = None
        self._phase = _Phase.DOWNLOADING
        self._resetting = False
        self._up = True
        self._periodic: TimerHandle | None = None
        self._schedule_timers: list[TimerHandle] = []
        self._boot_timer: TimerHandle | None = None
        self._last_message: Message | None = None
        stored = load_state(data_dir)
        self._writer = StateWriter(data_dir, stored)
        self._state = stored or StoredState(
            software=factory.software,
            patch=factory.patch,
            ap_software=factory.ap_software if identity.ap_device_type else None,
        )
        # A process start is the switch powering up.
        self._complete_boot()
        self._save()

    # --- observers ------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with every event; returns the function that unsubscribes it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def _emit(self, event: DeviceEvent) -> None:
        for observer in list(self._observers):
            observer(event)

    def _say(self, message: Message, operation_id: int | None, *, transient: bool = False) -> None:
        if not transient:
            self._last_message = message
        self._emit(Line(message, operation_id, transient))

    # --- state ----------------------------------------------------------------------------

    @property
    def up(self) -> bool:
        """False while the switch reboots."""
        return self._up

    @property
    def operation(self) -> UpgradeRun | None:
        """The running download or upgrade, if any."""
        return self._operation

    @property
    def upgrading(self) -> bool:
        """An upgrade is running: downloading, or rebooting the switch or its APs into it."""
        return self._state.upgrade.upgrade_status is UpgradeStatus.RUNNING

    @property
    def software_version(self) -> str:
        return self._state.software

    @property
    def patch_version(self) -> str | None:
        return self._state.patch

    @property
    def ap_software_version(self) -> str | None:
        return self._state.ap_software

    def state(self) -> SmartUpgrade:
        """Configuration as applied plus every operational field, for `get`."""
        return replace(
            self._config,
            version_information=self._state.version,
            upgrade_information=self._state.upgrade,
            local_information=LocalInformation(
                device_name=self.identity.device_name,
                esn=self.identity.esn,
                software_version=self._state.software,
                patch_version=self._state.patch,
            ),
            ap_information=ApInformation(
                device_type=self.identity.ap_device_type
                if supports_ap_upgrade(self.identity.model)
                else None
            ),
            schedule_information=self._state.schedule,
        )

    def _save(self) -> None:
        self._writer.save(self._state)

    def _set_upgrade(self, operation_id: int | None, **changes: object) -> None:
        before = self._state.upgrade
        self._state.upgrade = replace(before, **changes)  # type: ignore[arg-type]
        after = self._state.upgrade
        if operation_id is not None and (
            before.upgrade_status != after.upgrade_status
            or before.cancellation_status != after.cancellation_status
        ):
            assert after.upgrade_status is not None
            self._emit(
                UpgradeStatusChanged(
                    operation_id,
                    after.upgrade_status,
                    after.cancellation_status,
                    None if self._last_message is None else self._last_message.text,
                )
            )

    # --- configuration --------------------------------------------------------------------

    def _schedule_time(self, text: str) -> datetime:
        return datetime.strptime(text, SCHEDULE_TIME_FORMAT).replace(tzinfo=self.clock.now().tzinfo)

    def check_config(
        self, config: SmartUpgrade, ssl_policies: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Veto what YANG cannot express; raises ConfigRejectedError. `ssl_policies` maps policy
        names to their trusted CA certificates (PEM)."""
        policies = ssl_policies or {}
        if config.enabled and config.ssl_policy is None:
            constraint = CONSTRAINTS["ssl-policy-not-bound"]
            raise ConfigRejectedError(
                "invalid-value", constraint.app_tag, constraint.message, constraint.path
            )
        if config.ssl_policy is not None and config.ssl_policy not in policies:
            raise ConfigRejectedError(
                "invalid-value",
                "ssl-policy-not-found",
                f"The SSL policy {config.ssl_policy} does not exist.",
                ("smart-upgrade", "ssl-policy"),
            )
        if config.ap.enabled and not supports_ap_upgrade(self.identity.model):
            raise ConfigRejectedError(
                "invalid-value",
                "ap-upgrade-not-supported",
                f"Smart AP upgrade is not supported on {self.identity.model}.",
                ("smart-upgrade", "ap", "enabled"),
            )
        if config.ap.enabled and not config.enabled:
            constraint = CONSTRAINTS["smart-upgrade-not-enabled"]
            raise ConfigRejectedError(
                "invalid-value", constraint.app_tag, constraint.message, constraint.path
            )
        if config.schedule is not None and config.schedule != self._config.schedule:
            download_at = self._schedule_time(config.schedule.download_at)
            if download_at <= self.clock.now():
                raise ConfigRejectedError(
                    "invalid-value",
                    "download-time-not-in-future",
                    "The download time must be later than the current time of the switch.",
                    ("smart-upgrade", "schedule", "download-at"),
                )
            reboot_at = config.schedule.reboot_at
            if reboot_at is not None and self._schedule_time(reboot_at) <= download_at:
                constraint = CONSTRAINTS["reboot-not-after-download"]
                raise ConfigRejectedError(
                    "invalid-value", constraint.app_tag, constraint.message, constraint.path
                )
        if self.upgrading:
            # The seed forbids stack changes during an upgrade; the configuration the running
            # upgrade depends on is this model's equivalent.
            for name in ("url", "https_port", "ssl_policy", "verify_server", "enabled", "ap"):
                if getattr(config, name) != getattr(self._config, name):
                    raise ConfigRejectedError(
                        "in-use",
                        "upgrade-in-progress",
                        "The configuration cannot be changed while an upgrade is in progress.",
                        ("smart-upgrade", name.replace("_", "-")),
                    )

    def apply_config(
        self, config: SmartUpgrade, ssl_policies: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Take a committed configuration (only its configuration leaves are read)."""
        previous = self._config
        configuration: dict[str, Any] = {name: getattr(config, name) for name in CONFIG_FIELDS}
        self._config = SmartUpgrade(**configuration)
        self._ssl_policies = {name: tuple(pems) for name, pems in (ssl_policies or {}).items()}
        if config.enabled and not previous.enabled:
            self._arm_periodic_check()
        elif not config.enabled and previous.enabled:
            self._cancel_timer(self._periodic)
            self._periodic = None
            if config.schedule is not None:
                self._cancel_schedule(None)
        if config.schedule != previous.schedule:
            self._disarm_schedule()
            if config.schedule is None:
                self._state.schedule = ScheduleInformation()
            else:
                self._arm_schedule(config.schedule)
            self._save()

    def _endpoint(self) -> Endpoint:
        policy = self._config.ssl_policy
        return Endpoint(
            host=self._config.url,
            port=self._config.https_port,
            verify_server=self._config.verify_server,
            trusted_ca=self._ssl_policies.get(policy, ()) if policy else (),
        )

    def _client(self) -> HoupClient:
        return HoupClient(
            self._endpoint(),
            self.clock,
            self.flash,
            hosts=self._hosts,
            port_forwards=self._port_forwards,
            timeout=self._network_timeout,
        )

    @staticmethod
    def _cancel_timer(timer: TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()

    # --- version check --------------------------------------------------------------------

    def _require_up_and_enabled(self) -> None:
        if not self._up:
            raise OperationRefusedError("system-rebooting", "The system is rebooting.")
        if not self._config.enabled:
            raise OperationRefusedError(
                "smart-upgrade-not-enabled", "Smart upgrade is not enabled."
            )

    async def refresh(self) -> VersionInformation:
        """Check the version with the HOUP now ('display smart-upgrade information')."""
        self._require_up_and_enabled()
        try:
            await self._check(UpgradeTarget.SWITCH)
        except TransferError as exc:
            self._say(messages.failure(exc.status, exc.detail), None)
        return self._state.version

    def _product(self, target: UpgradeTarget) -> tuple[str, str, str | None]:
        """(model sent to the HOUP, running software, running patch) of the target."""
        if target is UpgradeTarget.AP:
            assert self.identity.ap_device_type is not None
            assert self._state.ap_software is not None
            return self.identity.ap_device_type, self._state.ap_software, None
        return self.identity.model, self._state.software, self._state.patch

    async def _check(
        self, target: UpgradeTarget, operation_id: int | None = None
    ) -> VersionOffer | None:
        """One version check; updates the version information, raises TransferError."""
        model, software, patch = self._product(target)
        now = self.clock.now()
        try:
            async with self._client() as client:
                offer = await client.check_version(model, self.identity.esn, software, patch)
        except TransferError:
            self._record_check(
                VersionInformation(refresh_time=now, check_result=CheckResult.NET_ERROR)
            )
            raise
        if offer is not None and _older(offer.software, software):
            self._say(messages.rollback_refused(offer.software, software), operation_id)
            offer = None
        if offer is None:
            self._record_check(
                VersionInformation(refresh_time=now, check_result=CheckResult.VERSION_OPTIMAL)
            )
            return None
        patch_package = offer.patch_package
        self._record_check(
            VersionInformation(
                refresh_time=now,
                check_result=CheckResult.NEED_UPDATE,
                recommended_software_version=offer.software,
                recommended_patch_version=offer.patch,
                upgrade_description=offer.upgrade_description,
                description_in_english=offer.description_en,
                software_package_name=offer.software_package.name,
                software_package_size=offer.software_package.size,
                patch_package_name=None if patch_package is None else patch_package.name,
                patch_package_size=None if patch_package is None else patch_package.size,
            )
        )
        return offer

    def _record_check(self, version: VersionInformation) -> None:
        self._state.version = version
        self._save()
        assert version.refresh_time is not None and version.check_result is not None
        self._emit(
            VersionChecked(
                version.refresh_time,
                version.check_result,
                version.recommended_software_version,
                version.recommended_patch_version,
            )
        )

    def _arm_periodic_check(self) -> None:
        self._cancel_timer(self._periodic)
        self._periodic = self.clock.call_at(self.clock.now() + CHECK_INTERVAL, self._periodic_check)

    async def _periodic_check(self) -> None:
        self._arm_periodic_check()
        await self.refresh()

    # --- download / right-now -------------------------------------------------------------

    async def download(self, target: UpgradeTarget = UpgradeTarget.SWITCH) -> UpgradeRun:
        """'smart-upgrade download': starts and returns at once; cancels a schedule."""
        return self._start(target, reboot=False, scheduled=False)

    async def right_now(self, target: UpgradeTarget = UpgradeTarget.SWITCH) -> UpgradeRun:
        """'smart-upgrade right-now': download what is missing, then reboot into it."""
        return self._start(target, reboot=True, scheduled=False)

    def _start(self, target: UpgradeTarget, *, reboot: bool, scheduled: bool) -> UpgradeRun:
        self._require_up_and_enabled()
        if self.upgrading:
            raise OperationRefusedError("upgrade-in-progress", "An upgrade is already in progress.")
        if target is UpgradeTarget.AP and not (
            self._config.ap.enabled and self.identity.ap_device_type is not None
        ):
            raise OperationRefusedError(
                "ap-upgrade-not-enabled", "Smart AP upgrade is not enabled."
            )
        if not scheduled and self._config.schedule is not None:
            self._cancel_schedule(None)
        self._state.operation_counter += 1
        operation_id = self._state.operation_counter
        self._phase = _Phase.DOWNLOADING
        self._last_message = None
        self._set_upgrade(
            operation_id,
            upgrade_time=self.clock.now(),
            upgrade_status=UpgradeStatus.RUNNING,
            cancellation_status=CancellationStatus.INITIAL,
            **(
                {}
                if target is UpgradeTarget.AP
                else {
                    "software_download_time": None,
                    "software_download_progress": None,
                    "software_download_speed": None,
                    "patch_download_time": None,
                    "patch_download_progress": None,
                    "patch_download_speed": None,
                }
            ),
        )
        self._save()
        done: asyncio.Future[UpgradeStatus] = asyncio.get_running_loop().create_future()
        operation = UpgradeRun(operation_id, target, reboot, UpgradeStatus.RUNNING, done)
        self._operation = operation
        self._task = asyncio.create_task(self._run(operation))
        return operation

    async def _run(self, operation: UpgradeRun) -> UpgradeStatus:
        status: UpgradeStatus
        try:
            status = await self._upgrade(operation)
        except asyncio.CancelledError:
            if self._resetting:
                # The switch went down mid-upgrade: the status stays running until it is back.
                operation._done.set_result(UpgradeStatus.ABNORMAL_RESET)
                raise
            self._say(messages.CANCELLED, operation.operation_id)
            status = UpgradeStatus.UPGRADE_CANCELLED
            self._set_upgrade(
                operation.operation_id, cancellation_status=CancellationStatus.SUCCESSFUL
            )
        except TransferError as exc:
            self._say(messages.failure(exc.status, exc.detail), operation.operation_id)
            status = exc.status
        except Exception as exc:  # an emulator bug is the switch's systemError
            self._say(
                messages.failure(UpgradeStatus.SYSTEM_ERROR, repr(exc)), operation.operation_id
            )
            status = UpgradeStatus.SYSTEM_ERROR
        finally:
            self._operation = None
            self._task = None
        if status is UpgradeStatus.RUNNING:
            operation._done.set_result(status)
            return status
        self._finish(operation.operation_id, status)
        operation._done.set_result(status)
        return status

    def _finish(self, operation_id: int, status: UpgradeStatus) -> None:
        now = self.clock.now()
        self._set_upgrade(
            operation_id, upgrade_status=status, last_upgrade_time=now, last_upgrade_result=status
        )
        self._save()

    async def _upgrade(self, operation: UpgradeRun) -> UpgradeStatus:
        """The seed's sequence; returns success, or running when a reboot follows."""
        op_id = operation.operation_id
        target = operation.target
        self._say(messages.GETTING_VERSION, op_id)
        offer = await self._check(target, op_id)
        self._say(
            messages.STOP_UPGRADE_HINT if operation.reboot else messages.STOP_DOWNLOAD_HINT, op_id
        )
        if offer is None:
            self._say(messages.ALREADY_LATEST, op_id)
            return UpgradeStatus.OTHER
        product, _software, _patch = self._product(target)
        for package in (offer.software_package, offer.patch_package):
            if package is not None and not package_fits(product, package.name):
                self._say(messages.file_not_match(package.name, product), op_id)
                return UpgradeStatus.FILE_NOT_MATCH
        if target is UpgradeTarget.AP and offer.software != self._state.software:
            self._say(messages.AP_VERSION_MISMATCH, op_id)
            return UpgradeStatus.FILE_NOT_MATCH

        packages = [(offer.software_package, FileKind.SOFTWARE, FileKind.SOFTWARE_SIGNATURE)]
        if offer.patch_package is not None:
            packages.append((offer.patch_package, FileKind.PATCH, FileKind.PATCH_SIGNATURE))
        async with self._client() as client:
            for package, kind, signature_kind in packages:
                await self._fetch(
                    client,
                    op_id,
                    RemoteFile(package.name, package.url, package.size, package.sha256),
                    kind,
                    target,
                )
                await self._fetch(
                    client,
                    op_id,
                    RemoteFile(package.name + ".asc", package.signature_url),
                    signature_kind,
                    target,
                )

        self._say(messages.VERIFYING_SIGNATURE, op_id)
        digests: dict[str, str] = {}
        for package, _kind, _signature_kind in packages:
            digest = await asyncio.to_thread(self._verify, package.name)
            if digest is None:
                self._say(messages.SIGNATURE_FAILED, op_id)
                return UpgradeStatus.FILE_CHECK_FAILED
            digests[package.name] = digest
        self._say(messages.SIGNATURE_PASSED, op_id)

        self._phase = _Phase.COMMITTING
        software = StartupFile(
            offer.software_package.name, offer.software, digests[offer.software_package.name]
        )
        if target is UpgradeTarget.AP:
            self._say(messages.SETTING_STARTUP_FILE, op_id)
            self._state.next_ap = software
            self._say(messages.next_startup_file(software.name), op_id)
        else:
            if offer.patch_package is not None and offer.patch is not None:
                self._state.next_patch = StartupFile(
                    offer.patch_package.name, offer.patch, digests[offer.patch_package.name]
                )
                self._say(messages.next_startup_patch(offer.patch_package.name), op_id)
            else:
                self._state.next_patch = None
            self._say(messages.SETTING_STARTUP_FILE, op_id)
            self._state.next_software = software
            self._say(messages.next_startup_file(software.name), op_id)
        self._save()
        if not operation.reboot:
            return UpgradeStatus.SUCCESS
        if target is UpgradeTarget.AP:
            self._say(messages.AP_REBOOTING, op_id)
            self._phase = _Phase.REBOOTING
            self._boot_timer = self.clock.call_at(
                self.clock.now() + self._reboot_duration, self._ap_booted
            )
            return UpgradeStatus.RUNNING
        self._say(messages.REBOOTING, op_id)
        await self._go_down(upgrade_reboot=True)
        return UpgradeStatus.RUNNING

    def _verify(self, name: str) -> str | None:
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

    async def _fetch(
        self,
        client: HoupClient,
        operation_id: int,
        file: RemoteFile,
        kind: FileKind,
        target: UpgradeTarget,
    ) -> None:
        started = self.clock.monotonic()
        first: int | None = None
        last_emitted = started
        package_field = {FileKind.SOFTWARE: "software", FileKind.PATCH: "patch"}.get(kind)
        if target is UpgradeTarget.AP:
            package_field = None

        def progress(on_flash: int, size: int) -> None:
            nonlocal first, last_emitted
            now = self.clock.monotonic()
            start = first is None
            if first is None:
                first = on_flash
            end = on_flash >= size
            if not (start or end or now - last_emitted >= 1.0):
                return
            last_emitted = now
            percent = 100 if size == 0 else on_flash * 100 // size
            speed = messages.kbytes_per_second(on_flash - first, now - started)
            if package_field is not None:
                self._set_upgrade(
                    None,
                    **{
                        f"{package_field}_download_progress": percent,
                        f"{package_field}_download_speed": speed,
                    },
                )
            self._emit(
                DownloadProgress(operation_id, file.name, kind, percent, speed, on_flash, size)
            )
            if not (start or end):
                self._say(messages.percent(percent), operation_id, transient=True)

        result = await client.download(
            file, lambda message: self._say(message, operation_id), progress
        )
        if package_field is not None:
            changes: dict[str, object] = {f"{package_field}_download_time": self.clock.now()}
            if not result.skipped:
                changes[f"{package_field}_download_speed"] = messages.kbytes_per_second(
                    result.received, result.seconds
                )
            self._set_upgrade(None, **changes)
        self._save()

    # --- cancel ---------------------------------------------------------------------------

    def cancel(self) -> CancellationStatus:
        """CTRL+C: Cancelling, then Successful when the download stops (upgradeCancelled), or
        Failed at once when it is too late (the next startup files are being set, the system
        is rebooting). Returns the status at the time of the call."""
        if not self.upgrading:
            raise OperationRefusedError("no-upgrade-in-progress", "No upgrade is in progress.")
        operation_id = self._state.operation_counter
        self._set_upgrade(operation_id, cancellation_status=CancellationStatus.CANCELLING)
        if self._task is None or self._phase is not _Phase.DOWNLOADING:
            self._say(messages.CANCEL_TOO_LATE, operation_id)
            self._set_upgrade(operation_id, cancellation_status=CancellationStatus.FAILED)
            self._save()
            return CancellationStatus.FAILED
        self._task.cancel()
        return CancellationStatus.CANCELLING

    # --- schedule -------------------------------------------------------------------------

    def _arm_schedule(self, schedule: Schedule) -> None:
        info = self._state.schedule
        if (info.download_time, info.reboot_time) != (schedule.download_at, schedule.reboot_at):
            info = ScheduleInformation(
                download_time=schedule.download_at, reboot_time=schedule.reboot_at
            )
            self._state.schedule = info
            self._state.scheduled_download_status = None
        now = self.clock.now()
        download_at = self._schedule_time(schedule.download_at)
        if info.download_triggered is Triggered.NO and download_at > now:
            self._schedule_timers.append(self.clock.call_at(download_at, self._scheduled_download))
        if schedule.reboot_at is not None and info.reboot_triggered is Triggered.NO:
            reboot_at = self._schedule_time(schedule.reboot_at)
            if reboot_at > now:
                self._schedule_timers.append(self.clock.call_at(reboot_at, self._scheduled_reboot))

    def _disarm_schedule(self) -> None:
        for timer in self._schedule_timers:
            timer.cancel()
        self._schedule_timers.clear()

    def _cancel_schedule(self, operation_id: int | None) -> None:
        """Reset, disable, download, right-now: the schedule stops now and its configuration
        is to be deleted by its owner."""
        self._disarm_schedule()
        self._emit(ScheduleEvent(ScheduleStep.CANCELLED, None, operation_id))
        if self.on_schedule_cancel is not None:
            self.on_schedule_cancel()

    def _pre_check(self) -> CheckOutcome:
        ready = self._up and not self.upgrading and self._config.enabled
        return CheckOutcome.SUCCEEDED if ready else CheckOutcome.FAILED

    async def _scheduled_download(self) -> None:
        outcome = self._pre_check()
        self._state.schedule = replace(
            self._state.schedule,
            download_triggered=Triggered.YES,
            download_pre_check_result=outcome,
        )
        self._save()
        if outcome is CheckOutcome.FAILED:
            self._emit(ScheduleEvent(ScheduleStep.DOWNLOAD_TRIGGERED, outcome))
            return
        operation = self._start(UpgradeTarget.SWITCH, reboot=False, scheduled=True)
        self._emit(ScheduleEvent(ScheduleStep.DOWNLOAD_TRIGGERED, outcome, operation.operation_id))
        self._state.scheduled_download_status = await operation.wait()
        self._save()

    async def _scheduled_reboot(self) -> None:
        operation_id: int | None = None
        if (
            self._state.scheduled_download_status in _RETRIED_AT_REBOOT
            and self._pre_check() is CheckOutcome.SUCCEEDED
        ):
            operation = self._start(UpgradeTarget.SWITCH, reboot=False, scheduled=True)
            operation_id = operation.operation_id
            self._emit(
                ScheduleEvent(ScheduleStep.DOWNLOAD_RETRIED, CheckOutcome.SUCCEEDED, operation_id)
            )
            self._state.scheduled_download_status = await operation.wait()
        ready = (
            self._state.scheduled_download_status is UpgradeStatus.SUCCESS
            and self._pre_check() is CheckOutcome.SUCCEEDED
            and self._state.next_software is not None
        )
        outcome = CheckOutcome.SUCCEEDED if ready else CheckOutcome.FAILED
        self._state.schedule = replace(
            self._state.schedule, reboot_triggered=Triggered.YES, reboot_triggered_result=outcome
        )
        self._save()
        self._emit(ScheduleEvent(ScheduleStep.REBOOT_TRIGGERED, outcome, operation_id))
        if ready:
            self._state.operation_counter += 1
            self._set_upgrade(
                self._state.operation_counter,
                upgrade_time=self.clock.now(),
                upgrade_status=UpgradeStatus.RUNNING,
                cancellation_status=CancellationStatus.INITIAL,
            )
            self._say(messages.REBOOTING, self._state.operation_counter)
            await self._go_down(upgrade_reboot=True)

    # --- reboot ---------------------------------------------------------------------------

    async def reset(self) -> None:
        """Restart the switch (the `reboot` command, a power cycle). During an upgrade the
        switch comes back with abnormalReset; it cancels a schedule."""
        if not self._up:
            return
        if self._config.schedule is not None:
            self._cancel_schedule(None)
        await self._abort_operation()
        await self._go_down(upgrade_reboot=False)

    async def _abort_operation(self) -> None:
        """Stop the running operation as a power loss would: its status stays running."""
        if self._task is None:
            return
        self._resetting = True
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        finally:
            self._resetting = False

    async def _go_down(self, *, upgrade_reboot: bool) -> None:
        self._up = False
        self._phase = _Phase.REBOOTING
        self._state.upgrade_reboot = upgrade_reboot
        self._save()
        self._cancel_timer(self._periodic)
        self._periodic = None
        self._cancel_timer(self._boot_timer)
        self._emit(Rebooting())
        if self.on_reboot is not None:
            await self.on_reboot()
        self._boot_timer = self.clock.call_at(
            self.clock.now() + self._reboot_duration, self._booted
        )

    async def _booted(self) -> None:
        self._boot_timer = None
        self._complete_boot()
        self._up = True
        self._phase = _Phase.DOWNLOADING
        if self._config.enabled:
            self._arm_periodic_check()
        self._save()
        self._emit(Booted(self._state.software, self._state.patch))

    def _startup_intact(self, startup: StartupFile | None) -> bool:
        return startup is None or (
            self.flash.size(startup.name) is not None
            and self.flash.sha256(startup.name) == startup.sha256
        )

    def _complete_boot(self) -> None:
        """The switch starts: it runs its next startup files, and settles an upgrade that was
        running (success after its own reboot, abnormalReset after any other)."""
        state = self._state
        running = state.upgrade.upgrade_status is UpgradeStatus.RUNNING
        changed = False
        upgrade = state.next_software is not None and (
            state.next_software.version,
            None if state.next_patch is None else state.next_patch.version,
        ) != (state.software, state.patch)
        if (
            upgrade
            and state.next_software is not None
            and self._startup_intact(state.next_software)
            and self._startup_intact(state.next_patch)
        ):
            state.software = state.next_software.version
            state.patch = None if state.next_patch is None else state.next_patch.version
            changed = True
        operation_id = state.operation_counter
        if running:
            if not state.upgrade_reboot:
                self._say(messages.ABNORMAL_RESET, operation_id)
                self._finish(operation_id, UpgradeStatus.ABNORMAL_RESET)
            elif changed:
                self._finish(operation_id, UpgradeStatus.SUCCESS)
            else:
                self._say(messages.SIGNATURE_FAILED, operation_id)
                self._finish(operation_id, UpgradeStatus.FILE_CHECK_FAILED)
        elif changed:
            now = self.clock.now()
            self._set_upgrade(
                None, last_upgrade_time=now, last_upgrade_result=UpgradeStatus.SUCCESS
            )
        state.upgrade_reboot = False

    async def _ap_booted(self) -> None:
        self._boot_timer = None
        self._phase = _Phase.DOWNLOADING
        operation_id = self._state.operation_counter
        startup = self._state.next_ap
        if startup is not None and self._startup_intact(startup):
            self._state.ap_software = startup.version
            self._finish(operation_id, UpgradeStatus.SUCCESS)
        else:
            self._say(messages.SIGNATURE_FAILED, operation_id)
            self._finish(operation_id, UpgradeStatus.FILE_CHECK_FAILED)

    async def close(self) -> None:
        """Stop timers and any running operation (the process ends; the state is saved)."""
        self._cancel_timer(self._periodic)
        self._cancel_timer(self._boot_timer)
        self._disarm_schedule()
        await self._abort_operation()
        self._save()
        await self._writer.flush()
