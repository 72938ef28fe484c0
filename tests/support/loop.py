"""An event loop in a thread of its own, for servers under test by blocking clients (the SDK,
ncclient): the pytest plugin's (smartupgrade_server.testing), which ships with the package."""

from smartupgrade_server.testing.running import LoopThread

__all__ = ["LoopThread"]
