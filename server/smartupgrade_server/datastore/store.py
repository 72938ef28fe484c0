"""The configuration datastores of one switch: running, candidate and startup.

Knows YANG, not sessions: a session is only an id here (0 for the device itself). Every
change of ``running`` is validated against the model first, then offered to the subscribers
(the device emulator), any of which may veto it by raising :class:`RpcError`, and only then
applied and announced as committed. ``running`` is therefore always valid (RFC 7950 §8.3.3).

``startup`` is the only datastore kept on disk: by the ``:startup`` capability ``running`` is
initialised from it at each start, and ``candidate`` is a scratch copy of ``running``.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from lxml import etree
from yangson.instance import RootNode
from yangson.schemanode import ContainerNode, InternalNode, ListNode

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import Diff, diff
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption, apply_edit
from smartupgrade_server.datastore.incremental import Validated
from smartupgrade_server.datastore.persistence import load_config, save_config
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.netconf.errors import (
    ErrorType,
    InUseError,
    InvalidValueError,
    LockDeniedError,
    OperationFailedError,
    OperationNotSupportedError,
    RpcError,
)

logger = logging.getLogger(__name__)

STARTUP_FILE = "startup.json"
# RFC 6241 §8.4.5.1: confirm-timeout defaults to 600 seconds
DEFAULT_CONFIRM_TIMEOUT = 600
# the session id of changes the device makes itself (as in lock-denied's error-info)
SYSTEM_SESSION = 0


class DatastoreName(StrEnum):
    RUNNING = "running"
    CANDIDATE = "candidate"
    STARTUP = "startup"


class EditTestOption(StrEnum):
    TEST_THEN_SET = "test-then-set"
    SET = "set"
    TEST_ONLY = "test-only"


@dataclass(frozen=True)
class ConfigChange:
    """A validated change of ``running``, offered to the subscribers before it is applied."""

    old: RootNode
    new: RootNode
    # what changed, node by node
    diff: Diff
    # the NETCONF session that made it; SYSTEM_SESSION for the device and for rollbacks
    session_id: int
    # ``new`` as the raw object it was validated from (yangson's raw_value() rebuilds it at a
    # cost); read-only, as it becomes running
    config: RawObject
    # ``old`` as a raw object, for the same reason; read-only, as it is still running
    old_config: RawObject


class ConfigSubscriber(Protocol):
    def prepare(self, change: ConfigChange) -> None:
        """Check the change; raise :class:`RpcError` to veto it."""

    def commit(self, change: ConfigChange) -> None:
        """The change is now ``running``."""

    def abort(self, change: ConfigChange) -> None:
        """A change this subscriber prepared will not be applied."""


class ConfirmEvent(StrEnum):
    """What happened to a confirmed commit (RFC 6470 confirm-event)."""

    START = "start"
    CANCEL = "cancel"
    TIMEOUT = "timeout"
    EXTEND = "extend"
    COMPLETE = "complete"


@dataclass(frozen=True)
class ConfirmedCommitEvent:
    event: ConfirmEvent
    # the session that caused it; for a timeout, the one that started the confirmed commit
    session_id: int
    # seconds until the rollback, for start and extend
    timeout: float | None = None


ConfirmedCommitListener = Callable[[ConfirmedCommitEvent], None]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# call_later(delay in seconds, callback): asyncio's loop.call_later, or a simulated clock's
Scheduler = Callable[[float, Callable[[], None]], Cancellable]
# the operational state (config false) as an RFC 7951 raw object, read at each <get>; it may
# return the same object again while the state is unchanged, and never mutates one it returned
StateProvider = Callable[[], RawObject]
# top-level members (RFC 7951 names, e.g. sunc-smart-upgrade:smart-upgrade) a read needs;
# None for all
Members = frozenset[str] | None


@dataclass
class _PendingCommit:
    """A confirmed commit waiting for its confirming commit (RFC 6241 §8.4)."""

    backup: RawObject
    session_id: int
    persist: str | None
    timer: Cancellable


@dataclass(frozen=True)
class _Operational:
    """``running`` and the state as one instance, kept while neither changes."""

    running: RootNode
    state: RawObject
    instance: RootNode


def _no_state() -> RawObject:
    return {}


class Datastores:
    def __init__(self, schema: Schema, directory: Path, scheduler: Scheduler) -> None:
        self.schema = schema
        self._scheduler = scheduler
        self._startup_path = directory / STARTUP_FILE
        startup = load_config(self._startup_path)
        if startup is None:
            startup = {}
            save_config(self._startup_path, startup)
        self._startup = validated(schema, startup)
        self._startup_raw = startup
        self._running_raw = copy.deepcopy(startup)
        self._running = self._startup
        # None: the candidate has no changes of its own and is a copy of running
        self._candidate_raw: RawObject | None = None
        # the candidate as validated when it was set; None if it was set without validation
        # (test-option set), so that commit validates it
        self._candidate: RootNode | None = None
        self._candidate_modified_by = SYSTEM_SESSION
        self._locks: dict[DatastoreName, int] = {}
        self._locked_at: dict[DatastoreName, datetime] = {}
        self._pending: _PendingCommit | None = None
        self._subscribers: list[ConfigSubscriber] = []
        self._confirm_listeners: list[ConfirmedCommitListener] = []
        self._state_provider: StateProvider = _no_state
        self._operational: dict[Members, _Operational] = {}

    # --- what others plug in --------------------------------------------------------------

    def subscribe(self, subscriber: ConfigSubscriber) -> None:
        self._subscribers.append(subscriber)

    def add_confirmed_commit_listener(self, listener: ConfirmedCommitListener) -> None:
        self._confirm_listeners.append(listener)

    def _announce(self, event: ConfirmedCommitEvent) -> None:
        for listener in self._confirm_listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("confirmed-commit listener %r failed", listener)

    def set_state_provider(self, provider: StateProvider) -> None:
        self._state_provider = provider

    def add_state_provider(self, provider: StateProvider) -> None:
        """State beside the provider's, under other top-level members (e.g. /nacm's
        counters); call it after set_state_provider."""
        first = self._state_provider
        self._state_provider = lambda: {**first(), **provider()}

    # --- reading --------------------------------------------------------------------------

    def raw(self, name: DatastoreName) -> RawObject:
        """A copy of a datastore's content as an RFC 7951 raw object."""
        return copy.deepcopy(self._raw(name))

    def raw_view(self, name: DatastoreName) -> RawObject:
        """A datastore's content itself, not a copy, for readers that must not modify it:
        copying costs more than a whole NACM check. It stays valid after the datastore
        changes, since a change replaces the object instead of modifying it."""
        return self._raw(name)

    def instance(self, name: DatastoreName) -> RootNode:
        if name is DatastoreName.RUNNING:
            return self._running
        if name is DatastoreName.STARTUP:
            return self._startup
        if self._candidate_raw is None:
            return self._running
        if self._candidate is not None:
            return self._candidate
        return self.schema.model.from_raw(self._candidate_raw)

    def operational(self, members: Members = None) -> RootNode:
        """``running`` together with the state data of the provider, reduced to ``members``.

        The same instance is returned while neither running nor the state has changed, so that
        a reader may keep what it derived from it (the dispatcher keeps the rendered XML).
        """
        state = self._state_provider()
        cached = self._operational.get(members)
        if cached is not None and cached.running is self._running and cached.state == state:
            return cached.instance
        merged = _merged(_only(self._running_raw, members), _only(state, members))
        instance = self.schema.model.from_raw(merged)
        # a copy: the provider's object is compared with the next one, which may be itself
        self._operational[members] = _Operational(self._running, copy.deepcopy(state), instance)
        return instance

    @property
    def candidate_modified(self) -> bool:
        return self._candidate_raw is not None

    @property
    def confirmed_commit_pending(self) -> bool:
        return self._pending is not None

    def _validated(self, name: DatastoreName) -> Validated:
        """A datastore's content as last validated: for a candidate set without validation,
        running, from which it was made."""
        if name is DatastoreName.STARTUP:
            return Validated(self._startup_raw, self._startup)
        if (
            name is DatastoreName.CANDIDATE
            and self._candidate_raw is not None
            and self._candidate is not None
        ):
            return Validated(self._candidate_raw, self._candidate)
        return Validated(self._running_raw, self._running)

    def _raw(self, name: DatastoreName) -> RawObject:
        if name is DatastoreName.RUNNING:
            return self._running_raw
        if name is DatastoreName.STARTUP:
            return self._startup_raw
        return self._running_raw if self._candidate_raw is None else self._candidate_raw

    # --- writing --------------------------------------------------------------------------

    def edit(
        self,
        target: DatastoreName,
        config: etree._Element,
        session_id: int,
        *,
        default_operation: EditOperation = EditOperation.MERGE,
        test_option: EditTestOption = EditTestOption.TEST_THEN_SET,
        error_option: ErrorOption = ErrorOption.STOP_ON_ERROR,
    ) -> list[RpcError]:
        """<edit-config>: the errors of a continue-on-error edit (others raise)."""
        if target is DatastoreName.STARTUP:
            raise OperationNotSupportedError(
                ErrorType.PROTOCOL,
                message="startup is written only by copy-config (the :startup capability)",
            )
        self._check_not_locked(target, session_id)
        result = apply_edit(self.schema, self._raw(target), config, default_operation, error_option)
        base = self._validated(target)
        # stored as it is validated, so that commit may apply what was validated here
        _prune(self.schema.root, result.config)
        if test_option is EditTestOption.TEST_ONLY:
            self.check(result.config, base)
        elif target is DatastoreName.RUNNING:
            self._set_running(result.config, session_id)
        else:
            instance = (
                validated(self.schema, result.config, base=base)
                if test_option is EditTestOption.TEST_THEN_SET
                else None
            )
            self._set_candidate(result.config, session_id, instance)
        return result.errors

    def copy(self, target: DatastoreName, config: RawObject, session_id: int) -> None:
        """<copy-config>: replace a whole datastore."""
        self._check_not_locked(target, session_id)
        config = copy.deepcopy(config)
        _prune(self.schema.root, config)
        running = self._validated(DatastoreName.RUNNING)
        if target is DatastoreName.RUNNING:
            self._set_running(config, session_id)
        elif target is DatastoreName.CANDIDATE:
            self._set_candidate(config, session_id, validated(self.schema, config, base=running))
        else:
            self._startup = validated(self.schema, config, base=running)
            self._startup_raw = config
            save_config(self._startup_path, self._startup_raw)

    def delete(self, target: DatastoreName, session_id: int) -> None:
        """<delete-config>: running cannot be deleted (RFC 6241 §7.4)."""
        if target is DatastoreName.RUNNING:
            raise OperationNotSupportedError(
                ErrorType.PROTOCOL, message="the running datastore cannot be deleted"
            )
        self.copy(target, {}, session_id)

    def check(self, config: RawObject, base: Validated | None = None) -> RootNode:
        """<validate>: the model's rules, then the subscribers' (nothing is applied).

        ``base``: a valid configuration ``config`` was made from (default: running)."""
        new = validated(self.schema, config, base=base or self._validated(DatastoreName.RUNNING))
        change = ConfigChange(
            self._running,
            new,
            diff(self.schema, self._running_raw, config),
            SYSTEM_SESSION,
            config,
            self._running_raw,
        )
        self._offer(change)
        for subscriber in self._subscribers:
            subscriber.abort(change)
        return new

    def system_edit(self, mutate: Callable[[RawObject], None]) -> None:
        """A change the device makes itself, e.g. deleting a cancelled schedule.

        ``mutate`` edits a copy of ``running``; the result is validated and offered to the
        subscribers like any NETCONF edit, and raises :class:`RpcError` if refused. Locks held
        by NETCONF sessions do not stop the device.
        """
        config = copy.deepcopy(self._running_raw)
        mutate(config)
        _prune(self.schema.root, config)
        self._set_running(config, SYSTEM_SESSION)

    # --- candidate --------------------------------------------------------------------------

    def commit(
        self,
        session_id: int,
        *,
        confirmed: bool = False,
        timeout: float = DEFAULT_CONFIRM_TIMEOUT,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        """<commit>, confirmed or confirming (RFC 6241 §8.3.4.1, §8.4.5.1)."""
        self._check_not_locked(DatastoreName.RUNNING, session_id)
        self._check_not_locked(DatastoreName.CANDIDATE, session_id)
        pending = self._pending
        if pending is not None:
            self._check_may_confirm(pending, session_id, persist_id)
        elif persist_id is not None:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"no confirmed commit with persist-id {persist_id!r} is pending",
            )
        # running's raw object is replaced, never modified, so it serves as the backup as is
        backup = self._running_raw if pending is None else pending.backup
        if self._candidate_raw is not None:
            self._set_running(self._candidate_raw, session_id, validated_as=self._candidate)
            self._drop_candidate()
        if pending is not None:
            pending.timer.cancel()
            self._pending = None
        if confirmed:
            self._pending = _PendingCommit(
                backup,
                session_id,
                persist if persist is not None else (pending.persist if pending else None),
                self._scheduler(timeout, self._confirm_timed_out),
            )
            event = ConfirmEvent.START if pending is None else ConfirmEvent.EXTEND
            self._announce(ConfirmedCommitEvent(event, session_id, timeout))
        elif pending is not None:
            self._announce(ConfirmedCommitEvent(ConfirmEvent.COMPLETE, session_id))

    def cancel_commit(self, session_id: int, persist_id: str | None = None) -> None:
        """<cancel-commit> (RFC 6241 §8.4.4.1): roll back a pending confirmed commit."""
        pending = self._pending
        if pending is None:
            raise OperationFailedError(ErrorType.PROTOCOL, message="no confirmed commit is pending")
        self._check_may_confirm(pending, session_id, persist_id)
        self._roll_back()
        self._announce(ConfirmedCommitEvent(ConfirmEvent.CANCEL, session_id))

    def discard_changes(self, session_id: int) -> None:
        self._check_not_locked(DatastoreName.CANDIDATE, session_id)
        self._drop_candidate()

    # --- locks (RFC 6241 §7.5, §7.6) ------------------------------------------------------------

    def lock(self, target: DatastoreName, session_id: int) -> None:
        holder = self._locks.get(target)
        if holder is not None:
            raise LockDeniedError(
                holder,
                message=f"the {target} datastore is locked by session {holder}",
            )
        if (
            target is DatastoreName.CANDIDATE
            and self._candidate_raw is not None
            and self._candidate_modified_by != session_id
        ):
            raise LockDeniedError(
                self._candidate_modified_by,
                message="the candidate has changes of another session that are not committed",
            )
        self._locks[target] = session_id
        self._locked_at[target] = datetime.now(UTC)

    def unlock(self, target: DatastoreName, session_id: int) -> None:
        holder = self._locks.get(target)
        if holder is None:
            raise OperationFailedError(
                ErrorType.PROTOCOL, message=f"the {target} datastore is not locked"
            )
        if holder != session_id:
            raise LockDeniedError(
                holder, message=f"the {target} datastore is locked by session {holder}"
            )
        self._release(target)

    def locked_by(self, target: DatastoreName) -> int | None:
        return self._locks.get(target)

    def locked_since(self, target: DatastoreName) -> datetime | None:
        """When the lock was taken (RFC 6022 locked-time), None if not locked."""
        return self._locked_at[target] if target in self._locks else None

    def session_ended(self, session_id: int) -> None:
        """Free what a session holds; roll back its confirmed commit unless persisted."""
        for target in [t for t, holder in self._locks.items() if holder == session_id]:
            self._release(target)
        pending = self._pending
        if pending is not None and pending.persist is None and pending.session_id == session_id:
            self._roll_back()
            self._announce(ConfirmedCommitEvent(ConfirmEvent.CANCEL, session_id))

    def _release(self, target: DatastoreName) -> None:
        del self._locks[target]
        # uncommitted changes made under a candidate lock go with it
        if target is DatastoreName.CANDIDATE:
            self._drop_candidate()

    def _check_not_locked(self, target: DatastoreName, session_id: int) -> None:
        holder = self._locks.get(target)
        if holder is not None and holder != session_id:
            raise InUseError(
                ErrorType.PROTOCOL,
                message=f"the {target} datastore is locked by session {holder}",
            )

    def _check_may_confirm(
        self, pending: _PendingCommit, session_id: int, persist_id: str | None
    ) -> None:
        if pending.persist is not None:
            if persist_id != pending.persist:
                raise InvalidValueError(
                    ErrorType.PROTOCOL,
                    message="the persist-id does not match the pending confirmed commit",
                )
        elif session_id != pending.session_id:
            raise InUseError(
                ErrorType.PROTOCOL,
                message=f"a confirmed commit of session {pending.session_id} is pending",
            )

    def _confirm_timed_out(self) -> None:
        logger.info("confirmed commit not confirmed in time: rolling back")
        pending = self._pending
        assert pending is not None
        self._roll_back()
        self._announce(ConfirmedCommitEvent(ConfirmEvent.TIMEOUT, pending.session_id))

    def _roll_back(self) -> None:
        pending = self._pending
        assert pending is not None
        pending.timer.cancel()
        self._pending = None
        # the configuration before the confirmed commit was running, so it is valid; the
        # device must accept going back to it
        self._set_running(pending.backup, SYSTEM_SESSION, forced=True)
        self._drop_candidate()

    # --- the one way running changes ---------------------------------------------------------

    def _set_candidate(
        self, config: RawObject, session_id: int, validated_as: RootNode | None
    ) -> None:
        """``config`` is pruned; ``validated_as`` is its validation, if it was validated."""
        self._candidate_raw = config
        self._candidate = validated_as
        self._candidate_modified_by = session_id

    def _drop_candidate(self) -> None:
        self._candidate_raw = None
        self._candidate = None

    def _set_running(
        self,
        config: RawObject,
        session_id: int,
        *,
        forced: bool = False,
        validated_as: RootNode | None = None,
    ) -> None:
        """``config``: pruned, and from now on never modified (running's object, that readers
        may keep); ``validated_as``: ``config`` as validated already (an unchanged
        candidate's)."""
        if config == self._running_raw:
            return
        changes = diff(self.schema, self._running_raw, config)
        new = (
            validated(
                self.schema,
                config,
                base=self._validated(DatastoreName.RUNNING),
                changes=changes.changes,
            )
            if validated_as is None
            else validated_as
        )
        change = ConfigChange(self._running, new, changes, session_id, config, self._running_raw)
        self._offer(change, forced=forced)
        self._running_raw = config
        self._running = new
        for subscriber in self._subscribers:
            try:
                subscriber.commit(change)
            except Exception:
                logger.exception("subscriber %r failed on commit", subscriber)

    def _offer(self, change: ConfigChange, *, forced: bool = False) -> None:
        prepared: list[ConfigSubscriber] = []
        for subscriber in self._subscribers:
            try:
                subscriber.prepare(change)
            except RpcError as veto:
                if forced:
                    logger.warning("subscriber %r vetoed a rollback: %r", subscriber, veto)
                    continue
                for done in prepared:
                    done.abort(change)
                raise
            prepared.append(subscriber)


def _prune(parent: InternalNode, config: RawObject) -> None:
    """Drop empty non-presence containers: one configuration has one raw form."""
    for member in list(config):
        module, _, local = member.rpartition(":")
        node = parent.get_data_child(local, module or parent.ns)
        if isinstance(node, ContainerNode):
            _prune(node, config[member])
            if not config[member] and not node.presence:
                del config[member]
        elif isinstance(node, ListNode):
            for entry in config[member]:
                _prune(node, entry)


def _only(raw: RawObject, members: Members) -> RawObject:
    return raw if members is None else {k: v for k, v in raw.items() if k in members}


def _merged(base: RawObject, extra: RawObject) -> RawObject:
    """``base`` with ``extra`` merged in; shares the unchanged parts, modifies neither."""
    merged = dict(base)
    for name, value in extra.items():
        below = merged.get(name)
        merged[name] = (
            _merged(below, value) if isinstance(value, dict) and isinstance(below, dict) else value
        )
    return merged
