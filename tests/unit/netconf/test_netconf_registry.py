"""Session ids, kill-session and the end hooks (lock release) of the session registry."""

import pytest

from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.registry import SessionContext, SessionRegistry


class Terminations:
    """Records which sessions the registry asked the transport to close."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    def closer(self, name: str) -> "Closer":
        return Closer(self, name)


class Closer:
    def __init__(self, record: Terminations, name: str) -> None:
        self._record = record
        self._name = name

    def __call__(self) -> None:
        self._record.closed.append(self._name)


def test_ids_are_distinct_and_start_at_one() -> None:
    registry = SessionRegistry()
    first = registry.open("admin", 3, "127.0.0.1:1", lambda: None)
    second = registry.open("bob", 1, "127.0.0.1:2", lambda: None)
    assert (first.session_id, second.session_id) == (1, 2)
    assert registry.get(2) == SessionContext(2, "bob", 1, "127.0.0.1:2")
    assert len(registry) == 2


def test_end_runs_every_hook_exactly_once() -> None:
    registry = SessionRegistry()
    ended: list[int] = []
    registry.add_end_hook(lambda context: ended.append(context.session_id))
    context = registry.open("admin", 3, "peer", lambda: None)
    registry.end(context.session_id)
    registry.end(context.session_id)
    assert ended == [context.session_id]
    assert registry.get(context.session_id) is None


def test_kill_ends_the_victim_before_closing_its_connection() -> None:
    registry = SessionRegistry()
    terminations = Terminations()
    order: list[str] = []
    registry.add_end_hook(lambda context: order.append(f"released {context.session_id}"))
    killer = registry.open("admin", 3, "a", terminations.closer("killer"))
    victim = registry.open("admin", 3, "b", lambda: order.append("closed victim"))
    registry.kill(victim.session_id, by=killer.session_id)
    assert order == [f"released {victim.session_id}", "closed victim"]
    assert list(registry) == [killer]
    assert terminations.closed == []


@pytest.mark.parametrize("target", ["self", "unknown"])
def test_kill_of_itself_or_of_an_unknown_session_is_invalid_value(target: str) -> None:
    registry = SessionRegistry()
    me = registry.open("admin", 3, "a", lambda: None)
    with pytest.raises(RpcError) as caught:
        registry.kill(me.session_id if target == "self" else 99, by=me.session_id)
    assert caught.value.tag is ErrorTag.INVALID_VALUE
    assert len(registry) == 1


def test_a_failing_hook_does_not_keep_the_others_from_running() -> None:
    registry = SessionRegistry()
    ran: list[str] = []

    def failing(context: SessionContext) -> None:
        raise RuntimeError("datastore exploded")

    registry.add_end_hook(failing)
    registry.add_end_hook(lambda context: ran.append("second"))
    context = registry.open("admin", 3, "a", lambda: None)
    with pytest.raises(ExceptionGroup):
        registry.end(context.session_id)
    assert ran == ["second"]
    assert len(registry) == 0
