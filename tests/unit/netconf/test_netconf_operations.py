"""Routing operations to handlers, and the parameters of kill-session."""

import pytest
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.operations import OperationTable, kill_session_target
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

CONTEXT = SessionContext(1, "admin", 3, "peer")


def request(operation: str) -> RpcRequest:
    rpc = etree.fromstring(f'<rpc xmlns="{BASE_NS}" message-id="1">{operation}</rpc>'.encode())
    return RpcRequest("1", {"message-id": "1"}, rpc[0], rpc)


async def answer_get(context: SessionContext, req: RpcRequest) -> ReplyContent:
    return etree.Element(f"{{{BASE_NS}}}data")


async def test_registered_operation_is_called() -> None:
    table = OperationTable()
    table.register(BASE_NS, "get", answer_get)
    reply = await table.dispatch(CONTEXT, request("<get/>"))
    assert isinstance(reply, etree._Element)
    assert reply.tag == f"{{{BASE_NS}}}data"


async def test_unknown_operation_is_operation_not_supported() -> None:
    table = OperationTable()
    table.register(BASE_NS, "get", answer_get)
    with pytest.raises(RpcError) as caught:
        await table.dispatch(CONTEXT, request('<get xmlns="urn:other"/>'))
    assert caught.value.tag is ErrorTag.OPERATION_NOT_SUPPORTED
    assert caught.value.message == ("operation 'get' in namespace 'urn:other' is not supported")


def test_an_operation_cannot_be_registered_twice() -> None:
    table = OperationTable()
    table.register(BASE_NS, "get", answer_get)
    with pytest.raises(ValueError):
        table.register(BASE_NS, "get", answer_get)


def test_kill_session_target() -> None:
    assert (
        kill_session_target(request("<kill-session><session-id> 12 </session-id></kill-session>"))
        == 12
    )


@pytest.mark.parametrize(
    ("operation", "tag"),
    [
        ("<kill-session/>", ErrorTag.MISSING_ELEMENT),
        ("<kill-session><session-id>x</session-id></kill-session>", ErrorTag.INVALID_VALUE),
        ("<kill-session><session-id>0</session-id></kill-session>", ErrorTag.INVALID_VALUE),
        ("<kill-session><session-id>-3</session-id></kill-session>", ErrorTag.INVALID_VALUE),
        ("<kill-session><session-id>\u0661</session-id></kill-session>", ErrorTag.INVALID_VALUE),
    ],
)
def test_bad_kill_session_parameters(operation: str, tag: ErrorTag) -> None:
    with pytest.raises(RpcError) as caught:
        kill_session_target(request(operation))
    assert caught.value.tag is tag
