"""The command-line rig (tests/support/terminal.py): the VRP shell on a real datastore and a real
switch emulator (simulated clock, no HOUP), driven key by key without sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.support.terminal import CommandLineRig, CommandLines, Terminal

RigFactory = Callable[..., Awaitable[CommandLineRig]]


@pytest.fixture
async def make_rig(tmp_path: Path) -> AsyncIterator[RigFactory]:
    async with CommandLines(tmp_path) as command_lines:
        yield command_lines.start


@pytest.fixture
async def rig(make_rig: RigFactory) -> CommandLineRig:
    return await make_rig()


@pytest.fixture
async def term(rig: CommandLineRig) -> Terminal:
    return await rig.terminal()
