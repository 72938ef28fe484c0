"""The authorize step every write of a datastore passes before it is applied.

Who writes (:data:`Writer`), which datastore, the configuration before and after, and the
changes (:class:`~smartupgrade_server.datastore.diff.Diff`): the :class:`Authorizer` (access
control, :mod:`smartupgrade_server.nacm`) sees every write (edit-config, edit-data,
copy-config, delete-config, discard-changes, a commit's changes to running, a confirmed
commit's rollback, the switch's own edits, the VRP command line's commands) and refuses one
by raising :class:`RpcError`. Anything else it raises refuses the write too: a write the
authorizer cannot interpret is never applied.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from yangson.schemanode import DataNode

from smartupgrade_model.convert import RawObject
from smartupgrade_server.datastore.diff import Diff
from smartupgrade_server.netconf.errors import AccessDeniedError, ErrorType, RpcError
from smartupgrade_server.netconf.registry import SessionContext

logger = logging.getLogger(__name__)

# the session id of changes the switch makes itself (as in lock-denied's error-info)
SYSTEM_SESSION = 0

# Who writes: a session with its user, or a session id alone: SYSTEM_SESSION for the switch
# itself, any other id for a caller without a user, which access control refuses.
Writer = SessionContext | int


def session_of(writer: Writer) -> int:
    return writer if isinstance(writer, int) else writer.session_id


@dataclass(frozen=True)
class Write:
    """A write about to be applied."""

    writer: Writer
    # the datastore written: running, candidate or startup
    datastore: str
    old: RawObject
    new: RawObject
    diff: Diff


class Authorizer(Protocol):
    def before_edit(self, writer: Writer, datastore: str, tops: Sequence[DataNode]) -> None:
        """A cheap check before an edit of the top-level nodes ``tops`` is worked out: raise
        to refuse at once a writer who may change nothing there."""

    def authorize(self, write: Write) -> None:
        """Raise :class:`RpcError` to refuse the write."""


class PermitAll:
    """The authorizer of datastores without access control."""

    def before_edit(self, writer: Writer, datastore: str, tops: Sequence[DataNode]) -> None:
        pass

    def authorize(self, write: Write) -> None:
        pass


def fail_closed(error: Exception, writer: Writer) -> RpcError:
    """What a write the authorizer failed on gets: refused, and the failure logged."""
    if isinstance(error, RpcError):
        return error
    logger.error(
        "the write of session %d could not be authorized", session_of(writer), exc_info=error
    )
    return AccessDeniedError(ErrorType.APPLICATION, message="the write could not be authorized")
