"""A command line on a real datastore and a real switch emulator (simulated clock, no HOUP),
driven key by key without sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import Datastores
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.identity import FactoryState, Identity
from smartupgrade_server.device.products import supports_ap_upgrade
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.operations.device_link import DeviceLink
from smartupgrade_server.vrp.shell import CommandLine, Shell
from tests.manual_scheduler import ManualScheduler

START = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8)))
MODEL = "S5732-H"
DEVICE_NAME = "S5732-H24UM2CC"
ESN = "2102351XFR10P0000001"
SESSION_ID = 7


class Terminal:
    """One session: keys in, the screen's text out (CR LF as the shell sends it)."""

    def __init__(self, shell: Shell, screen: list[str]) -> None:
        self.shell = shell
        self._screen = screen
        self._read = 0
        self.task = asyncio.create_task(shell.run())

    @property
    def screen(self) -> str:
        return "".join(self._screen)

    async def keys(self, text: str) -> str:
        """Feed keys; what the shell printed once it waits for more."""
        self.shell.feed(text)
        await self.shell.wait_idle()
        return self.new()

    async def command(self, line: str) -> list[str]:
        """A command and Enter; the lines printed after the echo, without the next prompt."""
        output = await self.keys(line + "\r")
        lines = output.split("\r\n")
        assert lines[0] == line
        return lines[1:-1]

    def new(self) -> str:
        text = self.screen[self._read :]
        self._read = len(self.screen)
        return text


class Rig:
    def __init__(self, datastores: Datastores, device: Switch, command_line: CommandLine) -> None:
        self.datastores = datastores
        self.device = device
        self.command_line = command_line
        self.terminals: list[Terminal] = []

    async def terminal(self, level: int = 3, session_id: int = SESSION_ID) -> Terminal:
        screen: list[str] = []
        shell = self.command_line.session(session_id, "admin", level, screen.append)
        terminal = Terminal(shell, screen)
        self.terminals.append(terminal)
        await shell.wait_idle()
        terminal.new()
        return terminal


RigFactory = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make_rig(tmp_path: Path) -> AsyncIterator[RigFactory]:
    made: list[tuple[Rig, DeviceLink]] = []

    async def make(model: str = MODEL, sysname: str | None = None) -> Rig:
        directory = tmp_path / f"switch-{len(made)}"
        directory.mkdir()
        schema = Schema(data_model(ap_upgrade=supports_ap_upgrade(model)))
        datastores = Datastores(schema, directory, ManualScheduler())
        device = Switch(
            directory,
            identity=Identity(model, DEVICE_NAME if model == MODEL else model, ESN),
            factory=FactoryState("V200R020C00", "V200R020SPH"),
            clock=SimulatedClock(START),
            houp_public_key=None,
        )
        link = DeviceLink(device, datastores)
        link.attach()
        options = {} if sysname is None else {"sysname": sysname}
        rig = Rig(datastores, device, CommandLine(datastores, device, **options))
        made.append((rig, link))
        return rig

    yield make
    for rig, link in made:
        for terminal in rig.terminals:
            terminal.shell.end_of_input()
            await terminal.task
        link.close()
        await rig.device.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    return await make_rig()


@pytest.fixture
async def term(rig: Rig) -> Terminal:
    return await rig.terminal()
