"""Datastores: validation before anything is applied, subscribers, locks, confirmed commit,
system edits and the startup file."""

import json
from pathlib import Path

import pytest
from lxml import etree

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.authorize import SYSTEM_SESSION
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.diff import ChangeKind
from smartupgrade_server.datastore.persistence import load_config
from smartupgrade_server.datastore.store import (
    STARTUP_FILE,
    ConfigChange,
    DatastoreName,
    Datastores,
    EditTestOption,
)
from smartupgrade_server.datastore.validation import validated
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, OperationFailedError, RpcError
from tests.support.manual_scheduler import ManualScheduler

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
SMART = "sunc-smart-upgrade:smart-upgrade"
RUNNING, CANDIDATE, STARTUP = DatastoreName.RUNNING, DatastoreName.CANDIDATE, DatastoreName.STARTUP

ENABLED: RawObject = {
    "sunc-ssl-policy:ssl-policies": {"ssl-policy": [{"name": "houp"}]},
    SMART: {"ssl-policy": "houp", "enabled": True},
}


def config(body: str) -> etree._Element:
    return etree.fromstring(f'<config xmlns="{NC}" xmlns:nc="{NC}">{body}</config>')


def su(body: str) -> etree._Element:
    return config(f'<smart-upgrade xmlns="{SU}">{body}</smart-upgrade>')


class Recorder:
    """A subscriber that records what it is told and vetoes while ``veto`` is set."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ConfigChange]] = []
        self.veto: RpcError | None = None

    def prepare(self, change: ConfigChange) -> None:
        self.events.append(("prepare", change))
        if self.veto is not None:
            raise self.veto

    def commit(self, change: ConfigChange) -> None:
        self.events.append(("commit", change))

    def abort(self, change: ConfigChange) -> None:
        self.events.append(("abort", change))

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


# --- validation: the error table -----------------------------------------------------------


def _edits(change: ConfigChange) -> list[tuple[str, ChangeKind]]:
    return [(changed.instance, changed.kind) for changed in change.diff.changes]


def error_of(schema: Schema, raw: RawObject) -> RpcError:
    with pytest.raises(RpcError) as caught:
        validated(schema, raw)
    return caught.value


def test_must_violation_carries_the_modules_app_tag_and_message(schema: Schema) -> None:
    error = error_of(schema, {SMART: {"enabled": True}})
    assert (error.tag, error.error_type) == (ErrorTag.OPERATION_FAILED, ErrorType.APPLICATION)
    assert error.app_tag == "ssl-policy-not-bound"
    assert error.message == (
        "Smart upgrade cannot be enabled before an SSL policy is bound "
        "(smart-upgrade ssl-policy policy-name)."
    )
    assert error.path == "/su:smart-upgrade/su:enabled"
    assert dict(error.path_namespaces) == {"su": SU}


def test_dangling_leafref_is_data_missing_instance_required(schema: Schema) -> None:
    error = error_of(schema, {SMART: {"ssl-policy": "nowhere"}})
    assert (error.tag, error.app_tag) == (ErrorTag.DATA_MISSING, "instance-required")
    assert error.path == "/su:smart-upgrade/su:ssl-policy"


def test_range_and_pattern_and_length_are_invalid_value(schema: Schema) -> None:
    cases: list[tuple[RawObject, str]] = [
        ({SMART: {"https-port": 0}}, "/su:smart-upgrade/su:https-port"),
        (
            {SMART: {"schedule": {"download-at": "2030-13-01 00:00:00"}}},
            "/su:smart-upgrade/su:schedule/su:download-at",
        ),
        (
            {"sunc-ssl-policy:ssl-policies": {"ssl-policy": [{"name": "x" * 24}]}},
            "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='" + "x" * 24 + "']/sslp:name",
        ),
    ]
    for raw, path in cases:
        error = error_of(schema, raw)
        assert (error.tag, error.app_tag, error.path) == (ErrorTag.INVALID_VALUE, None, path)


def test_missing_mandatory_leaf_is_missing_element(schema: Schema) -> None:
    error = error_of(schema, {SMART: {"schedule": {}}})
    assert error.tag is ErrorTag.MISSING_ELEMENT
    assert error.path == "/su:smart-upgrade/su:schedule"
    assert [(etree.QName(e).localname, e.text) for e in error.info] == [
        ("bad-element", "download-at")
    ]


def test_a_list_entry_without_its_key_is_missing_element_on_the_list(schema: Schema) -> None:
    # only a hand-edited startup.json can hold one: edit-config refuses an entry without key
    error = error_of(schema, {"sunc-ssl-policy:ssl-policies": {"ssl-policy": [{}]}})
    assert error.tag is ErrorTag.MISSING_ELEMENT
    assert error.path == "/sslp:ssl-policies/sslp:ssl-policy"
    assert [(etree.QName(e).localname, e.text) for e in error.info] == [("bad-element", "name")]


def test_schedule_must_compares_the_two_times(schema: Schema) -> None:
    schedule = {"download-at": "2030-01-02 00:00:00", "reboot-at": "2030-01-01 23:59:59"}
    error = error_of(schema, {SMART: {"schedule": schedule}})
    assert (error.tag, error.app_tag) == (ErrorTag.OPERATION_FAILED, "reboot-not-after-download")
    validated(schema, {SMART: {"schedule": {**schedule, "reboot-at": "2030-01-02 00:00:01"}}})


# --- edits, subscribers, system edits ------------------------------------------------------


def test_invalid_edit_leaves_running_unchanged_and_subscribers_unasked(
    datastores: Datastores,
) -> None:
    recorder = Recorder()
    datastores.subscribe(recorder)
    with pytest.raises(RpcError):
        datastores.edit(RUNNING, su("<enabled>true</enabled>"), 1)
    assert datastores.raw(RUNNING) == {}
    assert recorder.events == []


def test_subscribers_see_the_change_with_its_paths_before_and_after(datastores: Datastores) -> None:
    recorder = Recorder()
    datastores.subscribe(recorder)
    datastores.copy(RUNNING, ENABLED, 7)
    assert recorder.kinds == ["prepare", "commit"]
    change = recorder.events[0][1]
    assert change.old.raw_value() == {}
    assert change.new.raw_value() == ENABLED
    assert change.session_id == 7
    assert set(_edits(change)) == {
        ("/sslp:ssl-policies", ChangeKind.CREATE),
        ("/su:smart-upgrade", ChangeKind.CREATE),
    }
    datastores.edit(
        RUNNING,
        config(
            f'<ssl-policies xmlns="{SSLP}"><ssl-policy><name>b</name></ssl-policy></ssl-policies>'
        ),
        7,
    )
    assert _edits(recorder.events[-1][1]) == [
        ("/sslp:ssl-policies/sslp:ssl-policy[sslp:name='b']", ChangeKind.CREATE)
    ]


def test_moving_an_entry_of_an_ordered_by_user_list_is_a_change_of_the_list(
    datastores: Datastores,
) -> None:
    nacm = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
    lists = [{"name": "a"}, {"name": "b"}]
    datastores.copy(RUNNING, {"ietf-netconf-acm:nacm": {"rule-list": lists}}, 7)
    recorder = Recorder()
    datastores.subscribe(recorder)
    datastores.edit(
        RUNNING,
        config(
            f'<nacm xmlns="{nacm}" xmlns:yang="urn:ietf:params:xml:ns:yang:1">'
            '<rule-list yang:insert="first"><name>b</name></rule-list></nacm>'
        ),
        7,
    )
    assert datastores.raw(RUNNING)["ietf-netconf-acm:nacm"]["rule-list"] == lists[::-1]
    (move,) = recorder.events[-1][1].diff.changes
    assert (move.instance, move.kind) == ("/nacm:nacm/nacm:rule-list", ChangeKind.MOVE)
    # both changed places among the kept entries
    assert [placed.instance for placed in move.moved] == [
        "/nacm:nacm/nacm:rule-list[nacm:name='b']",
        "/nacm:nacm/nacm:rule-list[nacm:name='a']",
    ]


def test_a_veto_aborts_the_prepared_subscribers_and_changes_nothing(datastores: Datastores) -> None:
    first, second = Recorder(), Recorder()
    second.veto = OperationFailedError(ErrorType.APPLICATION, message="no")
    datastores.subscribe(first)
    datastores.subscribe(second)
    with pytest.raises(RpcError) as caught:
        datastores.copy(RUNNING, ENABLED, 1)
    assert caught.value is second.veto
    assert first.kinds == ["prepare", "abort"]
    assert datastores.raw(RUNNING) == {}


def test_test_only_asks_the_subscribers_and_applies_nothing(datastores: Datastores) -> None:
    recorder = Recorder()
    datastores.subscribe(recorder)
    datastores.edit(
        RUNNING, su("<https-port>8443</https-port>"), 1, test_option=EditTestOption.TEST_ONLY
    )
    assert recorder.kinds == ["prepare", "abort"]
    assert datastores.raw(RUNNING) == {}


def test_system_edit_is_validated_and_offered(datastores: Datastores) -> None:
    datastores.copy(RUNNING, {SMART: {"schedule": {"download-at": "2030-01-01 00:00:00"}}}, 1)
    recorder = Recorder()
    datastores.subscribe(recorder)
    datastores.lock(RUNNING, 1)
    datastores.system_edit(lambda config: config[SMART].pop("schedule"))
    assert datastores.raw(RUNNING) == {}
    assert _edits(recorder.events[-1][1]) == [("/su:smart-upgrade", ChangeKind.DELETE)]
    assert recorder.events[-1][1].session_id == SYSTEM_SESSION
    with pytest.raises(RpcError):
        datastores.system_edit(lambda config: config.update({SMART: {"enabled": True}}))


def test_candidate_follows_running_until_it_is_edited(datastores: Datastores) -> None:
    datastores.copy(RUNNING, ENABLED, 1)
    assert datastores.raw(CANDIDATE) == ENABLED
    datastores.edit(CANDIDATE, su("<https-port>1</https-port>"), 1)
    assert datastores.raw(RUNNING) == ENABLED
    datastores.commit(1)
    assert datastores.raw(RUNNING)[SMART]["https-port"] == 1
    assert not datastores.candidate_modified


def test_candidate_set_without_test_may_hold_an_invalid_configuration_until_commit(
    datastores: Datastores,
) -> None:
    datastores.edit(CANDIDATE, su("<enabled>true</enabled>"), 1, test_option=EditTestOption.SET)
    with pytest.raises(RpcError) as caught:
        datastores.commit(1)
    assert caught.value.app_tag == "ssl-policy-not-bound"
    assert datastores.raw(RUNNING) == {}
    datastores.discard_changes(1)
    assert datastores.raw(CANDIDATE) == {}


# --- locks -------------------------------------------------------------------------------


def test_lock_denied_names_the_holder_and_locks_end_with_the_session(
    datastores: Datastores,
) -> None:
    datastores.lock(RUNNING, 1)
    with pytest.raises(RpcError) as caught:
        datastores.lock(RUNNING, 2)
    assert caught.value.tag is ErrorTag.LOCK_DENIED
    assert [e.text for e in caught.value.info] == ["1"]
    with pytest.raises(RpcError) as in_use:
        datastores.edit(RUNNING, su("<https-port>1</https-port>"), 2)
    assert in_use.value.tag is ErrorTag.IN_USE
    datastores.session_ended(1)
    datastores.lock(RUNNING, 2)


def test_candidate_modified_by_another_session_cannot_be_locked(datastores: Datastores) -> None:
    datastores.edit(CANDIDATE, su("<https-port>1</https-port>"), 3)
    with pytest.raises(RpcError) as caught:
        datastores.lock(CANDIDATE, 4)
    assert caught.value.tag is ErrorTag.LOCK_DENIED
    assert [e.text for e in caught.value.info] == ["3"]
    datastores.lock(CANDIDATE, 3)


def test_releasing_the_candidate_lock_discards_its_uncommitted_changes(
    datastores: Datastores,
) -> None:
    datastores.lock(CANDIDATE, 1)
    datastores.edit(CANDIDATE, su("<https-port>1</https-port>"), 1)
    datastores.unlock(CANDIDATE, 1)
    assert not datastores.candidate_modified


def test_unlock_of_an_unlocked_or_foreign_lock(datastores: Datastores) -> None:
    with pytest.raises(RpcError) as not_locked:
        datastores.unlock(RUNNING, 1)
    assert not_locked.value.tag is ErrorTag.OPERATION_FAILED
    datastores.lock(RUNNING, 2)
    with pytest.raises(RpcError) as foreign:
        datastores.unlock(RUNNING, 1)
    assert foreign.value.tag is ErrorTag.LOCK_DENIED


# --- confirmed commit ------------------------------------------------------------------------


def test_confirmed_commit_rolls_back_when_the_timer_fires(
    datastores: Datastores, scheduler: ManualScheduler
) -> None:
    datastores.copy(CANDIDATE, ENABLED, 1)
    datastores.commit(1, confirmed=True, timeout=30)
    assert scheduler.timers[-1].delay == 30
    assert datastores.raw(RUNNING) == ENABLED
    scheduler.fire()
    assert datastores.raw(RUNNING) == {}
    assert not datastores.confirmed_commit_pending


def test_confirming_commit_keeps_the_change(
    datastores: Datastores, scheduler: ManualScheduler
) -> None:
    datastores.copy(CANDIDATE, ENABLED, 1)
    datastores.commit(1, confirmed=True)
    with pytest.raises(RpcError) as other:
        datastores.commit(2)
    assert other.value.tag is ErrorTag.IN_USE
    datastores.commit(1)
    scheduler.fire()
    assert datastores.raw(RUNNING) == ENABLED


def test_confirmed_commit_rolls_back_when_its_session_ends_unless_persisted(
    datastores: Datastores,
) -> None:
    datastores.copy(CANDIDATE, ENABLED, 1)
    datastores.commit(1, confirmed=True)
    datastores.session_ended(1)
    assert datastores.raw(RUNNING) == {}
    datastores.copy(CANDIDATE, ENABLED, 2)
    datastores.commit(2, confirmed=True, persist="token")
    datastores.session_ended(2)
    assert datastores.raw(RUNNING) == ENABLED
    with pytest.raises(RpcError) as wrong:
        datastores.commit(3, persist_id="other")
    assert wrong.value.tag is ErrorTag.INVALID_VALUE
    datastores.cancel_commit(3, "token")
    assert datastores.raw(RUNNING) == {}


def test_cancel_commit_without_a_pending_commit(datastores: Datastores) -> None:
    with pytest.raises(RpcError) as caught:
        datastores.cancel_commit(1)
    assert caught.value.tag is ErrorTag.OPERATION_FAILED


# --- startup -------------------------------------------------------------------------------


def test_startup_is_written_by_copy_config_and_running_starts_from_it(
    schema: Schema, tmp_path: Path, scheduler: ManualScheduler
) -> None:
    first = Datastores(schema, tmp_path, scheduler)
    first.copy(RUNNING, ENABLED, 1)
    assert load_config(tmp_path / STARTUP_FILE) == {}
    first.copy(STARTUP, first.raw(RUNNING), 1)
    assert json.loads((tmp_path / STARTUP_FILE).read_text()) == ENABLED
    (tmp_path / f".{STARTUP_FILE}.123.tmp").write_text("{half")
    second = Datastores(schema, tmp_path, scheduler)
    assert second.raw(RUNNING) == ENABLED
    assert list(tmp_path.glob(".*.tmp")) == []


def test_startup_cannot_be_edited_and_running_cannot_be_deleted(datastores: Datastores) -> None:
    with pytest.raises(RpcError) as edit:
        datastores.edit(STARTUP, su("<https-port>1</https-port>"), 1)
    assert edit.value.tag is ErrorTag.OPERATION_NOT_SUPPORTED
    with pytest.raises(RpcError) as delete:
        datastores.delete(RUNNING, 1)
    assert delete.value.tag is ErrorTag.OPERATION_NOT_SUPPORTED
