"""The shell's side of backpressure, without sockets: it stops the input when too much waits and
handles no key while its output has not drained."""

from __future__ import annotations

import asyncio

from smartupgrade_server.vrp.editor import MAX_LINE
from smartupgrade_server.vrp.shell import MAX_TYPED_AHEAD, FlowControl
from tests.support.terminal import CommandLineRig


async def test_input_pauses_beyond_the_typed_ahead_limit_until_the_output_drains(
    rig: CommandLineRig,
) -> None:
    flow_events: list[str] = []
    drained = asyncio.Event()

    async def drain() -> None:
        await drained.wait()

    flow = FlowControl(
        drain, lambda: flow_events.append("pause"), lambda: flow_events.append("resume")
    )
    screen: list[str] = []
    shell = rig.command_line.session(8, "admin", 3, screen.append, flow=flow)
    task = asyncio.create_task(shell.run())
    shell.feed("a" * MAX_TYPED_AHEAD)
    assert flow_events == []
    shell.feed("b\r")
    assert flow_events == ["pause"]
    for _ in range(10):
        await asyncio.sleep(0)
    # the output has not drained: not a key is handled, not a byte more is written
    assert screen == ["\r\n<HUAWEI>"]
    drained.set()
    await shell.wait_idle()
    assert flow_events == ["pause", "resume"]
    # the line limit kept the first characters; the command was refused as any other
    assert screen[1] == "a" * MAX_LINE + "\x07"
    assert "Error: Unrecognized command found at '^' position." in "".join(screen)
    shell.end_of_input()
    await task
