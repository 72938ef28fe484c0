"""The fleet's admin API (plain HTTP on loopback, like the HOUP's): every switch's state, and
start, stop, reset or crash one switch or all of them at run time (docs/fleet.md).

  GET  /switches                          every switch, as JSON
  GET  /switches/{name}                   one switch
  POST /switches/{name}/{action}          start | stop | reset | crash
  POST /switches/{action}                 start | stop | reset, every switch
  GET  /inventory/{format}                smartupgrade | ansible | nornir (YAML)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Self

from aiohttp import web

from smartupgrade_server.fleet.fleet import Fleet
from smartupgrade_server.fleet.inventory import InventoryFormat, render
from smartupgrade_server.fleet.member import FleetMember, SwitchState
from smartupgrade_server.sim.metrics import add_routes

_ONE = {
    "start": FleetMember.start,
    "stop": FleetMember.stop,
    "reset": FleetMember.reset,
    "crash": FleetMember.crash,
}
_ALL: dict[str, Callable[[Fleet], Awaitable[None]]] = {
    "start": Fleet.start_switches,
    "stop": Fleet.stop_switches,
    "reset": Fleet.reset_switches,
}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class FleetAdmin:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.port = 0
        self._runner: web.AppRunner | None = None

    @classmethod
    async def start(cls, fleet: Fleet, host: str, port: int) -> Self:
        admin = cls(fleet)
        app = web.Application()
        app.router.add_get("/switches", admin._list)
        app.router.add_get("/switches/{name}", admin._show)
        app.router.add_post("/switches/{name}/{action}", admin._act_on_one)
        app.router.add_post("/switches/{action}", admin._act_on_all)
        app.router.add_get("/inventory/{format}", admin._inventory)
        add_routes(app, fleet.metrics, admin.health)
        admin._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await admin._runner.setup()
        site = web.TCPSite(admin._runner, host, port)
        try:
            await site.start()
        except BaseException:
            await admin._runner.cleanup()
            raise
        admin.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return admin

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def health(self) -> dict[str, Any]:
        """ok while a switch serves, starts or reboots; a fleet of stopped or failed switches
        is down."""
        states = Counter(member.state.value for member in self.fleet.members)
        alive = {SwitchState.RUNNING, SwitchState.STARTING, SwitchState.REBOOTING}
        status = "ok" if any(SwitchState(state) in alive for state in states) else "down"
        return {"status": status, "switches": dict(sorted(states.items()))}

    def _member(self, request: web.Request) -> FleetMember | None:
        try:
            return self.fleet.member(request.match_info["name"])
        except KeyError:
            return None

    async def _list(self, _request: web.Request) -> web.Response:
        return web.json_response([member.to_json() for member in self.fleet.members])

    async def _show(self, request: web.Request) -> web.Response:
        member = self._member(request)
        if member is None:
            return _error(404, f"no switch {request.match_info['name']!r} in the fleet")
        return web.json_response(member.to_json())

    async def _act_on_one(self, request: web.Request) -> web.Response:
        member = self._member(request)
        if member is None:
            return _error(404, f"no switch {request.match_info['name']!r} in the fleet")
        action = _ONE.get(request.match_info["action"])
        if action is None:
            return _error(404, f"actions on a switch: {', '.join(_ONE)}")
        await action(member)
        return web.json_response(member.to_json())

    async def _act_on_all(self, request: web.Request) -> web.Response:
        action = _ALL.get(request.match_info["action"])
        if action is None:
            return _error(404, f"actions on every switch: {', '.join(_ALL)}")
        await action(self.fleet)
        return await self._list(request)

    async def _inventory(self, request: web.Request) -> web.Response:
        try:
            fmt = InventoryFormat(request.match_info["format"])
        except ValueError:
            formats = ", ".join(f.value for f in InventoryFormat)
            return _error(404, f"inventory formats: {formats}")
        text = render(fmt, self.fleet.inventory_entries(), await self.fleet.login())
        return web.Response(text=text, content_type="application/yaml")
