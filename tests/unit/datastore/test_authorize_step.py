"""The datastores' authorize step: every write passes it before it is applied, with its
writer, datastore, trees and changes; a write it refuses, or fails on, is never applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from yangson.schemanode import DataNode

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.authorize import SYSTEM_SESSION, Write, Writer
from smartupgrade_server.datastore.diff import ChangeKind
from smartupgrade_server.datastore.store import DatastoreName, Datastores, EditTestOption
from smartupgrade_server.netconf.errors import AccessDeniedError, ErrorTag, ErrorType, RpcError
from smartupgrade_server.netconf.registry import SessionContext
from tests.support.manual_scheduler import ManualScheduler
from tests.unit.datastore.test_datastore_store import SMART, Recorder, config, su

RUNNING, CANDIDATE, STARTUP = DatastoreName.RUNNING, DatastoreName.CANDIDATE, DatastoreName.STARTUP
ADMIN = SessionContext(3, "admin", 3, "192.0.2.9:1234")
URL = "/su:smart-upgrade/su:url"


@dataclass
class Authorizer:
    """Records what it is asked; refuses with ``refusal`` while it is set."""

    edits: list[tuple[Writer, str, list[str]]] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    refusal: Exception | None = None

    def before_edit(self, writer: Writer, datastore: str, tops: Sequence[DataNode]) -> None:
        self.edits.append((writer, datastore, [top.name for top in tops]))

    def authorize(self, write: Write) -> None:
        self.writes.append(write)
        if self.refusal is not None:
            raise self.refusal

    def seen(self) -> list[tuple[Writer, str, list[tuple[ChangeKind, str]]]]:
        """Each write: who, which datastore, and its changes."""
        return [
            (w.writer, w.datastore, [(c.kind, c.instance) for c in w.diff.changes])
            for w in self.writes
        ]


@pytest.fixture
def authorizer(datastores: Datastores) -> Authorizer:
    found = Authorizer()
    datastores.set_authorizer(found)
    return found


def test_every_write_passes_the_authorize_step(
    datastores: Datastores, authorizer: Authorizer, scheduler: ManualScheduler
) -> None:
    url = {SMART: {"url": "192.0.2.1"}}
    datastores.edit(RUNNING, su("<url>192.0.2.1</url>"), ADMIN)
    datastores.edit(CANDIDATE, su("<https-port>8443</https-port>"), ADMIN)
    datastores.commit(ADMIN, confirmed=True)
    scheduler.fire()
    datastores.copy(STARTUP, url, ADMIN)
    datastores.delete(STARTUP, ADMIN)
    datastores.edit(CANDIDATE, su("<url>192.0.2.2</url>"), ADMIN)
    datastores.discard_changes(ADMIN)
    datastores.system_edit(lambda running: running.pop(SMART))

    port = "/su:smart-upgrade/su:https-port"
    assert authorizer.seen() == [
        (ADMIN, "running", [(ChangeKind.CREATE, "/su:smart-upgrade")]),
        (ADMIN, "candidate", [(ChangeKind.CREATE, port)]),
        # the commit: the candidate's changes to running
        (ADMIN, "running", [(ChangeKind.CREATE, port)]),
        # the confirmed commit not confirmed in time: the switch rolls it back
        (SYSTEM_SESSION, "running", [(ChangeKind.DELETE, port)]),
        (ADMIN, "startup", [(ChangeKind.CREATE, "/su:smart-upgrade")]),
        (ADMIN, "startup", [(ChangeKind.DELETE, "/su:smart-upgrade")]),
        (ADMIN, "candidate", [(ChangeKind.UPDATE, URL)]),
        (ADMIN, "candidate", [(ChangeKind.UPDATE, URL)]),
        (SYSTEM_SESSION, "running", [(ChangeKind.DELETE, "/su:smart-upgrade")]),
    ]
    assert [(writer, datastore, tops) for writer, datastore, tops in authorizer.edits] == [
        (ADMIN, RUNNING, ["smart-upgrade"]),
        (ADMIN, CANDIDATE, ["smart-upgrade"]),
        (ADMIN, CANDIDATE, ["smart-upgrade"]),
    ]
    write = authorizer.writes[0]
    assert (write.old, write.new) == ({}, url)


async def test_the_async_writes_pass_it_too(datastores: Datastores, authorizer: Authorizer) -> None:
    await datastores.edit_async(RUNNING, su("<url>192.0.2.1</url>"), ADMIN)
    await datastores.copy_async(CANDIDATE, config(""), ADMIN)
    assert [datastore for _, datastore, _ in authorizer.seen()] == ["running", "candidate"]


def test_a_refused_write_is_not_applied_nor_offered(
    datastores: Datastores, authorizer: Authorizer
) -> None:
    recorder = Recorder()
    datastores.subscribe(recorder)
    authorizer.refusal = AccessDeniedError(ErrorType.APPLICATION, message="no")
    with pytest.raises(AccessDeniedError) as caught:
        datastores.edit(RUNNING, su("<url>192.0.2.1</url>"), ADMIN)
    assert caught.value is authorizer.refusal
    assert datastores.raw(RUNNING) == {}
    assert recorder.events == []


@pytest.mark.parametrize("failure", [KeyError("rules"), RecursionError(), AssertionError()])
def test_a_write_the_authorizer_fails_on_is_refused_never_applied(
    datastores: Datastores, authorizer: Authorizer, failure: Exception
) -> None:
    """Fail-closed: whatever goes wrong while a write is checked, it is access-denied."""
    recorder = Recorder()
    datastores.subscribe(recorder)
    authorizer.refusal = failure
    for write in (
        lambda: datastores.edit(RUNNING, su("<url>192.0.2.1</url>"), ADMIN),
        lambda: datastores.copy(RUNNING, {SMART: {"url": "192.0.2.1"}}, ADMIN),
        lambda: datastores.system_edit(lambda running: running.update({SMART: {"url": "a"}})),
    ):
        with pytest.raises(RpcError) as caught:
            write()
        assert caught.value.tag is ErrorTag.ACCESS_DENIED
        assert caught.value.message == "the write could not be authorized"
    assert datastores.raw(RUNNING) == {}
    assert recorder.events == []


def test_test_only_is_authorized_like_the_write_it_tests(
    datastores: Datastores, authorizer: Authorizer
) -> None:
    authorizer.refusal = AccessDeniedError(ErrorType.APPLICATION)
    with pytest.raises(AccessDeniedError):
        datastores.edit(RUNNING, su("<url>a</url>"), ADMIN, test_option=EditTestOption.TEST_ONLY)


def test_the_changes_are_those_of_the_whole_write(
    datastores: Datastores, authorizer: Authorizer
) -> None:
    policies: RawObject = {"sunc-ssl-policy:ssl-policies": {"ssl-policy": [{"name": "a"}]}}
    datastores.copy(RUNNING, policies, ADMIN)
    body = (
        '<ssl-policies xmlns="urn:smart-upgrade-netconf:yang:sunc-ssl-policy">'
        "<ssl-policy><name>b</name></ssl-policy>"
        '<ssl-policy nc:operation="delete"><name>a</name></ssl-policy></ssl-policies>'
    )
    datastores.edit(RUNNING, config(body), ADMIN)
    entry = "/sslp:ssl-policies/sslp:ssl-policy"
    assert authorizer.seen()[-1][2] == [
        (ChangeKind.DELETE, f"{entry}[sslp:name='a']"),
        (ChangeKind.CREATE, f"{entry}[sslp:name='b']"),
    ]
