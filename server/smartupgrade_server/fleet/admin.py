"""The fleet's admin API (plain HTTP on loopback, like the HOUP's): every switch's state, and
start, stop, reset or crash one switch or all of them at run time (docs/fleet.md).

  GET  /switches                          every switch, as JSON
  GET  /switches/{name}                   one switch
  POST /switches/{name}/{action}          start | stop | reset | crash
  POST /switches/{action}                 start | stop | reset, every switch
  GET  /inventory/{format}                smartupgrade | ansible | nornir (YAML)
  GET  /workers                           the processes that run the switches
  GET  /metrics, /health                  Prometheus' metrics, and whether a switch serves
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self

from aiohttp import web

from smartupgrade_server.fleet.control import (
    FLEET_ACTIONS,
    FleetControl,
    SwitchAction,
    SwitchUnavailableError,
    fleet_health,
)
from smartupgrade_server.fleet.inventory import InventoryFormat, entries_of, render
from smartupgrade_server.sim.metrics import add_routes


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def _unavailable(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except SwitchUnavailableError as error:
        return _error(503, str(error))


def _action(request: web.Request, allowed: tuple[SwitchAction, ...]) -> SwitchAction | None:
    try:
        action = SwitchAction(request.match_info["action"])
    except ValueError:
        return None
    return action if action in allowed else None


class FleetAdmin:
    def __init__(self, fleet: FleetControl) -> None:
        self.fleet = fleet
        self.port = 0
        self._runner: web.AppRunner | None = None

    @classmethod
    async def start(cls, fleet: FleetControl, host: str, port: int) -> Self:
        admin = cls(fleet)
        app = web.Application(middlewares=[_unavailable])
        app.router.add_get("/switches", admin._list)
        app.router.add_get("/switches/{name}", admin._show)
        app.router.add_post("/switches/{name}/{action}", admin._act_on_one)
        app.router.add_post("/switches/{action}", admin._act_on_all)
        app.router.add_get("/inventory/{format}", admin._inventory)
        app.router.add_get("/workers", admin._workers)
        add_routes(app, fleet.exposition, admin.health)
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

    async def health(self) -> dict[str, Any]:
        return fleet_health(await self.fleet.switches())

    async def _list(self, _request: web.Request) -> web.Response:
        return web.json_response(await self.fleet.switches())

    async def _show(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        switch = await self.fleet.switch(name)
        if switch is None:
            return _error(404, f"no switch {name!r} in the fleet")
        return web.json_response(switch)

    async def _act_on_one(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        action = _action(request, tuple(SwitchAction))
        # an unknown switch is the first thing to fix, whatever the action
        switch = None if action is None else await self.fleet.act(name, action)
        if switch is None and (action is not None or await self.fleet.switch(name) is None):
            return _error(404, f"no switch {name!r} in the fleet")
        if switch is None:
            return _error(404, f"actions on a switch: {', '.join(SwitchAction)}")
        return web.json_response(switch)

    async def _act_on_all(self, request: web.Request) -> web.Response:
        action = _action(request, FLEET_ACTIONS)
        if action is None:
            return _error(404, f"actions on every switch: {', '.join(FLEET_ACTIONS)}")
        await self.fleet.act_on_all(action)
        return await self._list(request)

    async def _workers(self, _request: web.Request) -> web.Response:
        return web.json_response(self.fleet.workers_json())

    async def _inventory(self, request: web.Request) -> web.Response:
        try:
            fmt = InventoryFormat(request.match_info["format"])
        except ValueError:
            formats = ", ".join(f.value for f in InventoryFormat)
            return _error(404, f"inventory formats: {formats}")
        entries = entries_of(await self.fleet.switches())
        text = render(fmt, entries, await self.fleet.login())
        return web.Response(text=text, content_type="application/yaml")
