"""The configuration datastores of one switch: running, candidate and startup.

Knows YANG, not sessions: a session is an id, and the writer of a write (a session with its
user, or the switch itself: SYSTEM_SESSION). Every write is worked out (the edit, the diff,
the datastore's limits), passes the authorize step (access control, :mod:`.authorize`), is
validated against the model, and a change of ``running`` is offered to the subscribers (the
device emulator), any of which may veto it by raising :class:`RpcError`; only then is it
applied and announced as committed. ``running`` is therefore always valid (RFC 7950 §8.3.3).

The pure part of a write may run on a worker thread (``edit_async``, ``copy_async``,
``check_async``) while the event loop serves the other sessions; it works on a snapshot, and
is applied on the event loop only if the snapshot is still current.

``startup`` is the only datastore kept on disk: by the ``:startup`` capability ``running`` is
initialised from it at each start, and ``candidate`` is a scratch copy of ``running``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

from lxml import etree
from yangson.instance import RootNode
from yangson.schemanode import ContainerNode, InternalNode, ListNode

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.authorize import (
    SYSTEM_SESSION,
    Authorizer,
    PermitAll,
    Write,
    Writer,
    fail_closed,
    session_of,
)
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import Diff, diff, member_node
from smartupgrade_server.datastore.edit import EditOperation, ErrorOption, apply_edit
from smartupgrade_server.datastore.incremental import Validated
from smartupgrade_server.datastore.limits import DEFAULT_LIMITS, Limits
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


class DatastoreName(StrEnum):
    RUNNING = "running"
    CANDIDATE = "candidate"
    STARTUP = "startup"


class EditTestOption(StrEnum):
    TEST_THEN_SET = "test-then-set"
    SET = "set"
    TEST_ONLY = "test-only"


class EditOptions(TypedDict, total=False):
    """<edit-config>'s options (RFC 6241 §7.2); absent: their defaults."""

    default_operation: EditOperation
    test_option: EditTestOption
    error_option: ErrorOption


@dataclass(frozen=True)
class ConfigChange:
    """A validated change of ``running``, offered to the subscribers before it is applied."""

    old: RootNode
    new: RootNode
    # what changed, node by node
    diff: Diff
    # the session that made it; SYSTEM_SESSION for the device and for rollbacks
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


@dataclass(frozen=True)
class _Candidate:
    """A candidate with changes of its own."""

    raw: RawObject
    # as validated when it was set; None if set without validation (test-option set), so
    # that commit validates it
    instance: RootNode | None
    modified_by: int


@dataclass(frozen=True)
class _Snapshot:
    """What a write is worked out from, read at once on the event loop; the write applies
    only if both are still current then."""

    target: DatastoreName
    old: RawObject
    running: Validated


@dataclass(frozen=True)
class _Plan:
    """A write worked out, validated and authorized, ready to apply."""

    snapshot: _Snapshot
    writer: Writer
    new: RawObject
    diff: Diff
    # ``new`` validated; None when it is not (test-option set)
    instance: RootNode | None
    # the errors of a continue-on-error edit
    errors: list[RpcError] = field(default_factory=list)
    # validated and checked by the subscribers, not applied (test-option test-only)
    test_only: bool = False


# a write worked out off the event loop is tried again this often when another write was
# applied meanwhile
_ATTEMPTS = 3
# startup configurations validated in this process, by schema and content: a fleet's switches
# start from one factory configuration, validated once and its (immutable) instance shared
_VALID_STARTUPS: dict[tuple[int, str], tuple[Schema, RootNode]] = {}
_VALID_STARTUPS_KEPT = 16


def _startup_instance(schema: Schema, startup: RawObject) -> RootNode:
    key = (id(schema), json.dumps(startup, sort_keys=True))
    known = _VALID_STARTUPS.get(key)
    if known is not None and known[0] is schema:
        return known[1]
    instance = validated(schema, startup)
    if len(_VALID_STARTUPS) < _VALID_STARTUPS_KEPT:
        _VALID_STARTUPS[key] = (schema, instance)
    return instance


class Datastores:
    def __init__(
        self,
        schema: Schema,
        directory: Path,
        scheduler: Scheduler,
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self._scheduler = scheduler
        self._startup_path = directory / STARTUP_FILE
        startup = load_config(self._startup_path)
        if startup is None:
            startup = {}
            save_config(self._startup_path, startup)
        # each datastore is one object, replaced (never modified) by a write, so that a
        # reader on another thread sees a raw object and its instance that belong together
        self._startup = Validated(startup, _startup_instance(schema, startup))
        self._running = Validated(copy.deepcopy(startup), self._startup.instance)
        # None: the candidate has no changes of its own and is a copy of running
        self._candidate: _Candidate | None = None
        self._locks: dict[DatastoreName, int] = {}
        self._locked_at: dict[DatastoreName, datetime] = {}
        self._pending: _PendingCommit | None = None
        self._subscribers: list[ConfigSubscriber] = []
        self._confirm_listeners: list[ConfirmedCommitListener] = []
        self._state_provider: StateProvider = _no_state
        self._operational: dict[Members, _Operational] = {}
        self._authorizer: Authorizer = PermitAll()
        # one write is worked out off the event loop at a time
        self._working = asyncio.Lock()

    # --- what others plug in --------------------------------------------------------------

    def set_authorizer(self, authorizer: Authorizer) -> None:
        """The authorize step of every write (access control); by default all are let
        through."""
        self._authorizer = authorizer

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

    def state(self) -> RawObject:
        """The state data of every provider (what ``operational`` adds to running)."""
        return self._state_provider()

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
            return self._running.instance
        if name is DatastoreName.STARTUP:
            return self._startup.instance
        candidate = self._candidate
        if candidate is None:
            return self._running.instance
        if candidate.instance is not None:
            return candidate.instance
        return self.schema.model.from_raw(candidate.raw)

    def operational(self, members: Members = None) -> RootNode:
        """``running`` together with the state data of the provider, reduced to ``members``.

        The same instance is returned while neither running nor the state has changed, so that
        a reader may keep what it derived from it (the dispatcher keeps the rendered XML).
        """
        state = self._state_provider()
        running = self._running
        cached = self._operational.get(members)
        if cached is not None and cached.running is running.instance and cached.state == state:
            return cached.instance
        merged = merged_state(_only(running.raw, members), _only(state, members))
        instance = self.schema.model.from_raw(merged)
        # a copy: the provider's object is compared with the next one, which may be itself
        self._operational[members] = _Operational(running.instance, copy.deepcopy(state), instance)
        return instance

    @property
    def candidate_modified(self) -> bool:
        return self._candidate is not None

    @property
    def confirmed_commit_pending(self) -> bool:
        return self._pending is not None

    def _raw(self, name: DatastoreName) -> RawObject:
        if name is DatastoreName.RUNNING:
            return self._running.raw
        if name is DatastoreName.STARTUP:
            return self._startup.raw
        candidate = self._candidate
        return self._running.raw if candidate is None else candidate.raw

    # --- writing: what a client asks ----------------------------------------------------------

    def edit(
        self,
        target: DatastoreName,
        config: etree._Element,
        writer: Writer,
        **options: Unpack[EditOptions],
    ) -> list[RpcError]:
        """<edit-config>: the errors of a continue-on-error edit (others raise)."""
        snapshot = self._begin_edit(target, config, writer)
        return self._apply(self._plan_edit(snapshot, config, writer, options))

    async def edit_async(
        self,
        target: DatastoreName,
        config: etree._Element,
        writer: Writer,
        **options: Unpack[EditOptions],
    ) -> list[RpcError]:
        """:meth:`edit`, worked out on a worker thread so that the event loop (every other
        session of the switch) goes on meanwhile; applied on the event loop."""
        return await self._off_loop(
            lambda: self._begin_edit(target, config, writer),
            lambda snapshot: self._plan_edit(snapshot, config, writer, options),
        )

    def copy(self, target: DatastoreName, config: RawObject, writer: Writer) -> None:
        """<copy-config>: replace a whole datastore (``config`` is copied)."""
        snapshot = self._begin(target, writer)
        self._apply(self._plan_copy(snapshot, _pruned(self.schema, config), writer))

    async def copy_async(
        self, target: DatastoreName, source: RawObject | etree._Element, writer: Writer
    ) -> None:
        """:meth:`copy` of a raw configuration or an inline ``<config>``, worked out on a
        worker thread."""

        def begin() -> _Snapshot:
            if isinstance(source, etree._Element):
                self.limits.check_edit(source)
            return self._begin(target, writer)

        def plan(snapshot: _Snapshot) -> _Plan:
            config = (
                self.inline(source)
                if isinstance(source, etree._Element)
                else _pruned(self.schema, source)
            )
            return self._plan_copy(snapshot, config, writer)

        await self._off_loop(begin, plan)

    def delete(self, target: DatastoreName, writer: Writer) -> None:
        """<delete-config>: running cannot be deleted (RFC 6241 §7.4)."""
        if target is DatastoreName.RUNNING:
            raise OperationNotSupportedError(
                ErrorType.PROTOCOL, message="the running datastore cannot be deleted"
            )
        self.copy(target, {}, writer)

    def inline(self, config: etree._Element) -> RawObject:
        """An inline ``<config>`` as a raw configuration (edited into an empty one)."""
        self.limits.check_edit(config)
        return apply_edit(self.schema, {}, config).config

    def check(self, config: RawObject, base: Validated | None = None) -> RootNode:
        """<validate>: the model's rules, then the subscribers' (nothing is applied).

        ``base``: a valid configuration ``config`` was made from (default: running)."""
        new = validated(self.schema, config, base=base or self._running)
        self._ask_subscribers(new, config)
        return new

    async def check_async(self, source: RawObject | etree._Element) -> None:
        """:meth:`check` of a raw configuration or an inline ``<config>``, the model's rules
        checked on a worker thread."""
        if isinstance(source, etree._Element):
            self.limits.check_edit(source)
        running = self._running

        def work() -> tuple[RawObject, RootNode]:
            config = self.inline(source) if isinstance(source, etree._Element) else source
            return config, validated(self.schema, config, base=running)

        async with self._working:
            config, new = await asyncio.to_thread(work)
        self._ask_subscribers(new, config)

    def system_edit(self, mutate: Callable[[RawObject], None]) -> None:
        """A change the device makes itself, e.g. deleting a cancelled schedule.

        ``mutate`` edits a copy of ``running``; the result is validated, authorized and offered
        to the subscribers like any NETCONF edit, and raises :class:`RpcError` if refused.
        Locks held by NETCONF sessions do not stop the device.
        """
        config = copy.deepcopy(self._running.raw)
        mutate(config)
        self._apply(
            self._plan_copy(
                self._snapshot(DatastoreName.RUNNING), _pruned(self.schema, config), SYSTEM_SESSION
            )
        )

    # --- candidate --------------------------------------------------------------------------

    def commit(
        self,
        writer: Writer,
        *,
        confirmed: bool = False,
        timeout: float = DEFAULT_CONFIRM_TIMEOUT,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        """<commit>, confirmed or confirming (RFC 6241 §8.3.4.1, §8.4.5.1)."""
        session_id = session_of(writer)
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
        backup = self._running.raw if pending is None else pending.backup
        candidate = self._candidate
        if candidate is not None:
            self._set_running(candidate.raw, writer, validated_as=candidate.instance)
            self._candidate = None
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

    def cancel_commit(self, writer: Writer, persist_id: str | None = None) -> None:
        """<cancel-commit> (RFC 6241 §8.4.4.1): roll back a pending confirmed commit."""
        pending = self._pending
        if pending is None:
            raise OperationFailedError(ErrorType.PROTOCOL, message="no confirmed commit is pending")
        session_id = session_of(writer)
        self._check_may_confirm(pending, session_id, persist_id)
        self._roll_back()
        self._announce(ConfirmedCommitEvent(ConfirmEvent.CANCEL, session_id))

    def discard_changes(self, writer: Writer) -> None:
        """<discard-changes>: the candidate back to running, a write of the candidate."""
        self._check_not_locked(DatastoreName.CANDIDATE, session_of(writer))
        candidate = self._candidate
        if candidate is None:
            return
        old, new = candidate.raw, self._running.raw
        changes = diff(self.schema, old, new)
        self._authorize(Write(writer, DatastoreName.CANDIDATE, old, new, changes))
        self._candidate = None

    # --- locks (RFC 6241 §7.5, §7.6) ------------------------------------------------------------

    def lock(self, target: DatastoreName, session_id: int) -> None:
        holder = self._locks.get(target)
        if holder is not None:
            raise LockDeniedError(
                holder,
                message=f"the {target} datastore is locked by session {holder}",
            )
        candidate = self._candidate
        if (
            target is DatastoreName.CANDIDATE
            and candidate is not None
            and candidate.modified_by != session_id
        ):
            raise LockDeniedError(
                candidate.modified_by,
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
            self._candidate = None

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
        self._candidate = None

    # --- working a write out (pure: any thread) ------------------------------------------------

    def _snapshot(self, target: DatastoreName) -> _Snapshot:
        return _Snapshot(target, self._raw(target), self._running)

    def _current(self, snapshot: _Snapshot) -> bool:
        return self._raw(snapshot.target) is snapshot.old and self._running is snapshot.running

    def _begin(self, target: DatastoreName, writer: Writer) -> _Snapshot:
        """The checks of a write that cost nothing, and its snapshot (on the event loop)."""
        self._check_not_locked(target, session_of(writer))
        return self._snapshot(target)

    def _begin_edit(
        self, target: DatastoreName, config: etree._Element, writer: Writer
    ) -> _Snapshot:
        if target is DatastoreName.STARTUP:
            raise OperationNotSupportedError(
                ErrorType.PROTOCOL,
                message="startup is written only by copy-config (the :startup capability)",
            )
        snapshot = self._begin(target, writer)
        self.limits.check_edit(config)
        tops = [
            node
            for element in config
            if isinstance(element.tag, str)
            and (node := self.schema.top_level_node(element)) is not None
        ]
        try:
            self._authorizer.before_edit(writer, target, tops)
        except Exception as error:
            raise fail_closed(error, writer) from None
        return snapshot

    def _plan_edit(
        self, snapshot: _Snapshot, config: etree._Element, writer: Writer, options: EditOptions
    ) -> _Plan:
        default_operation = options.get("default_operation", EditOperation.MERGE)
        test_option = options.get("test_option", EditTestOption.TEST_THEN_SET)
        error_option = options.get("error_option", ErrorOption.STOP_ON_ERROR)
        result = apply_edit(self.schema, snapshot.old, config, default_operation, error_option)
        changes = diff(self.schema, snapshot.old, result.config)
        self.limits.check_entries(self.schema, changes)
        self._authorize(Write(writer, snapshot.target, snapshot.old, result.config, changes))
        instance = None
        if test_option is not EditTestOption.SET or snapshot.target is DatastoreName.RUNNING:
            base = self._base(snapshot)
            instance = validated(
                self.schema,
                result.config,
                base=base,
                changes=changes.changes if base.raw is snapshot.old else None,
                before=snapshot.old,
            )
        return _Plan(
            snapshot,
            writer,
            result.config,
            changes,
            instance,
            result.errors,
            test_only=test_option is EditTestOption.TEST_ONLY,
        )

    def _plan_copy(self, snapshot: _Snapshot, config: RawObject, writer: Writer) -> _Plan:
        """``config``: pruned, and this write's own."""
        changes = diff(self.schema, snapshot.old, config)
        self.limits.check_entries(self.schema, changes)
        self._authorize(Write(writer, snapshot.target, snapshot.old, config, changes))
        running = snapshot.running
        instance = validated(
            self.schema,
            config,
            base=running,
            changes=changes.changes if running.raw is snapshot.old else None,
            before=snapshot.old,
        )
        return _Plan(snapshot, writer, config, changes, instance)

    def _base(self, snapshot: _Snapshot) -> Validated:
        """What the target's new content is validated from: the target as last validated."""
        if snapshot.target is DatastoreName.RUNNING:
            return snapshot.running
        candidate = self._candidate
        if (
            candidate is not None
            and candidate.raw is snapshot.old
            and candidate.instance is not None
        ):
            return Validated(candidate.raw, candidate.instance)
        return snapshot.running

    def _authorize(self, write: Write) -> None:
        try:
            self._authorizer.authorize(write)
        except Exception as error:
            raise fail_closed(error, write.writer) from None

    async def _off_loop(
        self, begin: Callable[[], _Snapshot], plan: Callable[[_Snapshot], _Plan]
    ) -> list[RpcError]:
        """Work a write out on a worker thread, one at a time, and apply it here; again if
        another write was applied meanwhile."""
        async with self._working:
            for _ in range(_ATTEMPTS):
                snapshot = begin()
                planned = await asyncio.to_thread(plan, snapshot)
                if self._current(snapshot):
                    return self._apply(planned)
        raise InUseError(
            ErrorType.APPLICATION,
            message="the configuration kept changing while this write was worked out; "
            "send it again",
        )

    # --- applying a write (on the event loop) ---------------------------------------------------

    def _apply(self, plan: _Plan) -> list[RpcError]:
        target = plan.snapshot.target
        session_id = session_of(plan.writer)
        if session_id != SYSTEM_SESSION:
            # a lock may have been taken while the write was worked out; the switch's own
            # changes go through locks
            self._check_not_locked(target, session_id)
        assert plan.instance is not None or target is DatastoreName.CANDIDATE
        if plan.test_only:
            assert plan.instance is not None
            self._ask_subscribers(plan.instance, plan.new)
        elif target is DatastoreName.RUNNING:
            self._set_running(plan.new, plan.writer, validated_as=plan.instance, changes=plan.diff)
        elif target is DatastoreName.CANDIDATE:
            self._candidate = _Candidate(plan.new, plan.instance, session_of(plan.writer))
        else:
            assert plan.instance is not None
            self._startup = Validated(plan.new, plan.instance)
            save_config(self._startup_path, plan.new)
        return plan.errors

    def _ask_subscribers(self, new: RootNode, config: RawObject) -> None:
        """The subscribers' checks of ``config`` as running, applying nothing."""
        running = self._running
        change = ConfigChange(
            running.instance,
            new,
            diff(self.schema, running.raw, config),
            SYSTEM_SESSION,
            config,
            running.raw,
        )
        self._offer(change)
        for subscriber in self._subscribers:
            subscriber.abort(change)

    def _set_running(
        self,
        config: RawObject,
        writer: Writer,
        *,
        forced: bool = False,
        validated_as: RootNode | None = None,
        changes: Diff | None = None,
    ) -> None:
        """The one way running changes. ``config``: pruned, and from now on never modified
        (running's object, that readers may keep); ``validated_as``: ``config`` as validated
        already; ``changes``: running's diff to it, authorized already."""
        running = self._running
        if config == running.raw:
            return
        if changes is None:
            changes = diff(self.schema, running.raw, config)
            self._authorize(Write(writer, DatastoreName.RUNNING, running.raw, config, changes))
        new = (
            validated(
                self.schema, config, base=running, changes=changes.changes, before=running.raw
            )
            if validated_as is None
            else validated_as
        )
        change = ConfigChange(
            running.instance, new, changes, session_of(writer), config, running.raw
        )
        self._offer(change, forced=forced)
        self._running = Validated(config, new)
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


def _pruned(schema: Schema, config: RawObject) -> RawObject:
    """A copy of ``config`` without empty non-presence containers: one configuration has one
    raw form."""
    config = copy.deepcopy(config)
    _prune(schema.root, config)
    return config


def _prune(parent: InternalNode, config: RawObject) -> None:
    for member in list(config):
        node = member_node(parent, member)
        value = config[member]
        if isinstance(node, ContainerNode) and isinstance(value, dict):
            _prune(node, value)
            if not value and not node.presence:
                del config[member]
        elif isinstance(node, ListNode) and isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    _prune(node, entry)


def _only(raw: RawObject, members: Members) -> RawObject:
    return raw if members is None else {k: v for k, v in raw.items() if k in members}


def merged_state(base: RawObject, extra: RawObject) -> RawObject:
    """``base`` (a configuration) with ``extra`` (state) merged in; shares the unchanged
    parts, modifies neither."""
    merged = dict(base)
    for name, value in extra.items():
        below = merged.get(name)
        merged[name] = (
            merged_state(below, value)
            if isinstance(value, dict) and isinstance(below, dict)
            else value
        )
    return merged
