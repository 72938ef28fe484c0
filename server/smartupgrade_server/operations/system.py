"""RFC 7317's ietf-system, as far as the switch implements it (`sunc-system-deviations`, no
feature advertised): the ``system-restart`` operation, a reset of the switch as its ``reboot``
command is, and ``/system-state``'s platform and boot time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from smartupgrade_model.convert import RawObject
from smartupgrade_model.modules import SYSTEM_MODULE, module
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.netconf.errors import ErrorType, UnknownElementError
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest

Handler = Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]
Register = Callable[[str, str, Handler], None]

RESTART = "system-restart"
OS_NAME = "VRP"
RESTART_DELAY = timedelta(seconds=1)


class SystemOperations:
    def __init__(self, device: Switch) -> None:
        self.device = device
        self.namespace = module(SYSTEM_MODULE).namespace

    def register(self, register: Register) -> None:
        register(self.namespace, RESTART, self._restart)

    async def _restart(self, context: SessionContext, request: RpcRequest) -> ReplyContent:
        for child in request.operation:
            if isinstance(child.tag, str):
                name = child.tag.rsplit("}", 1)[-1]
                raise UnknownElementError(
                    ErrorType.APPLICATION, name, message=f"{RESTART} takes no parameter {name!r}"
                )
        # RFC 7317: the reply goes out first. The restart drops every session, this one too: it
        # comes a moment later on the switch's clock, as a real switch's does, so that the reply
        # reaches the client before the connection closes.
        clock = self.device.clock
        clock.call_at(clock.now() + RESTART_DELAY, self.device.reset)
        return None

    def state(self) -> RawObject:
        """``/system-state``: the platform (the release is the switch's software, the version
        its patch when one runs) and when the switch last came up."""
        platform = {
            "os-name": OS_NAME,
            "os-release": self.device.software_version,
            "machine": self.device.identity.model,
        }
        patch = self.device.patch_version
        if patch is not None:
            platform["os-version"] = patch
        return {
            f"{SYSTEM_MODULE}:system-state": {
                "platform": platform,
                "clock": {"boot-datetime": self.device.booted_at.isoformat()},
            }
        }
