"""The operations rig: a switch's datastores and NETCONF operations without its device or
transport, called in-process as a session's dispatcher calls them; confirmed commits wait for
the test (``scheduler``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from lxml import etree

from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import Datastores, StateProvider
from smartupgrade_server.netconf.errors import RpcError
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import RpcRequest
from smartupgrade_server.operations.dispatcher import NetconfOperations
from tests.support.manual_scheduler import ManualScheduler

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class OperationsRig:
    """The operations of ``schema`` (a switch with AP upgrade unless given) on datastores in
    ``directory``, whose state data is ``state``'s (none unless given). A request's
    ``<rpc>`` declares the ``prefixes`` (prefix: namespace) besides the base namespace."""

    def __init__(
        self,
        directory: Path,
        schema: Schema | None = None,
        *,
        state: StateProvider | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema or Schema(data_model(ap_upgrade=True))
        self.scheduler = ManualScheduler()
        self.datastores = Datastores(self.schema, directory, self.scheduler)
        self.state = state
        if state is not None:
            self.datastores.set_state_provider(state)
        self.operations = NetconfOperations(self.datastores)
        self._prefixes = {"nc": NC} if prefixes is None else prefixes

    def request(self, operation: str) -> RpcRequest:
        declared = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in self._prefixes.items())
        rpc = etree.fromstring(f'<rpc xmlns="{NC}"{declared} message-id="1">{operation}</rpc>')
        return RpcRequest("1", {"message-id": "1"}, rpc[0], rpc)

    async def call(self, operation: str, session_id: int = 1) -> etree._Element | None:
        """The reply's content of ``operation`` (XML), as admin in session ``session_id``."""
        context = SessionContext(session_id, "admin", 3, "127.0.0.1:1")
        reply = await self.operations.dispatch(context, self.request(operation))
        assert reply is None or isinstance(reply, etree._Element)
        return reply

    async def error_of(self, operation: str, session_id: int = 1) -> bytes:
        """The ``<rpc-error>`` ``operation`` fails with, serialised as the session serialises
        it."""
        with pytest.raises(RpcError) as caught:
            await self.call(operation, session_id)
        return etree.tostring(caught.value.to_xml())
