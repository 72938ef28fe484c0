"""A scheduler for confirmed commits whose timers fire only when a test says so."""

from collections.abc import Callable


class Timer:
    def __init__(self, delay: float, callback: Callable[[], None]) -> None:
        self.delay = delay
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A scheduler whose timers fire only when the test says so."""

    def __init__(self) -> None:
        self.timers: list[Timer] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(delay, callback)
        self.timers.append(timer)
        return timer

    def fire(self) -> None:
        """Fire every timer that is still armed, as if its delay had passed."""
        for timer in [t for t in self.timers if not t.cancelled]:
            timer.cancelled = True
            timer.callback()
