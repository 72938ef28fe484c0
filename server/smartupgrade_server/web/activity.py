"""The Info and Error lines of the latest download or upgrade, as the command line prints them,
for the web page to show while it runs and after it ended. No I/O."""

from __future__ import annotations

from collections import deque

from smartupgrade_server.device.events import DeviceEvent, Line

# the seed's longest run (right-now with both files and their signatures) prints about 30
MAX_LINES = 60


class Activity:
    """Follows the switch's events (``switch.subscribe(activity.observe)``)."""

    def __init__(self) -> None:
        self.operation_id: int | None = None
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._transient = False

    def observe(self, event: DeviceEvent) -> None:
        if not isinstance(event, Line) or event.operation_id is None:
            return
        if event.operation_id != self.operation_id:
            self.operation_id = event.operation_id
            self._lines.clear()
            self._transient = False
        # an intermediate "Current percent is N%." is overwritten in place, as on a terminal
        if self._transient:
            self._lines.pop()
        self._lines.append(str(event.message))
        self._transient = event.transient

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(self._lines)
