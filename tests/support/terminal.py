"""The command-line rig: the VRP shell without sockets, on a real datastore and a real switch
emulator (the device rig's, on a simulated clock, reaching no HOUP), driven key by key."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import Datastores
from smartupgrade_server.device.clock import SimulatedClock
from smartupgrade_server.device.products import supports_ap_upgrade
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.operations.device_link import DeviceLink
from smartupgrade_server.vrp.shell import CommandLine, Shell
from tests.support.defaults import MODEL, START
from tests.support.device import Devices
from tests.support.manual_scheduler import ManualScheduler
from tests.support.rigs import Rigs

# the session id of a terminal unless a test gives its own
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


@dataclass
class CommandLineRig:
    datastores: Datastores
    device: Switch
    command_line: CommandLine
    link: DeviceLink
    terminals: list[Terminal] = field(default_factory=list)

    async def terminal(self, level: int = 3, session_id: int = SESSION_ID) -> Terminal:
        """A session of ``admin`` at ``level``, its first prompt read."""
        screen: list[str] = []
        shell = self.command_line.session(session_id, "admin", level, screen.append)
        terminal = Terminal(shell, screen)
        self.terminals.append(terminal)
        await shell.wait_idle()
        terminal.new()
        return terminal

    async def close(self) -> None:
        for terminal in self.terminals:
            terminal.shell.end_of_input()
            await terminal.task
        self.link.close()


class CommandLines(Rigs[CommandLineRig]):
    """Starts command-line rigs for one test, closes them after it."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self._devices = Devices(directory, SimulatedClock(START), None)

    async def start(self, model: str = MODEL, sysname: str | None = None) -> CommandLineRig:
        """A switch of ``model`` named ``sysname`` (the shell's default unless given), whose
        confirmed commits wait for the test."""
        started = await self._devices.start(model=model)
        device = started.switch
        schema = Schema(data_model(ap_upgrade=supports_ap_upgrade(model)))
        datastores = Datastores(schema, started.data_dir, ManualScheduler())
        link = DeviceLink(device, datastores)
        link.attach()
        options = {} if sysname is None else {"sysname": sysname}
        rig = CommandLineRig(datastores, device, CommandLine(datastores, device, **options), link)
        return self._keep(rig)

    async def close(self) -> None:
        await super().close()
        await self._devices.close()
