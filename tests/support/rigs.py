"""What every rig factory of a layer does with the rigs it starts: keeps them, and closes them
(in the order they were started) when the test's ``async with`` block ends."""

from __future__ import annotations

from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar


class Closable(Protocol):
    async def close(self) -> None: ...


R = TypeVar("R", bound=Closable)


class Rigs(Generic[R]):
    """The rigs one test started; :meth:`close` (or leaving ``async with``) closes them."""

    def __init__(self) -> None:
        self._rigs: list[R] = []

    @property
    def started(self) -> int:
        return len(self._rigs)

    def _keep(self, rig: R) -> R:
        self._rigs.append(rig)
        return rig

    async def close(self) -> None:
        for rig in self._rigs:
            await rig.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
