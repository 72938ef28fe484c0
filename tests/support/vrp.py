"""An operator's terminal on the switch's VRP command line: an interactive SSH shell."""

from __future__ import annotations

import re

import asyncssh

from smartupgrade_server.transport.users import DEFAULT_PASSWORD, DEFAULT_USERNAME

PROMPT = re.compile(r"[<\[][^\r\n<\[]*[>\]]$")


class Session:
    """An interactive SSH shell as an operator's terminal opens it."""

    def __init__(
        self,
        connection: asyncssh.SSHClientConnection,
        process: asyncssh.SSHClientProcess[str],
    ) -> None:
        self.connection = connection
        self.process = process

    async def until(self, pattern: str) -> str:
        return await self.process.stdout.readuntil(re.compile(pattern))

    async def run(self, line: str) -> str:
        """Type a command; what it printed up to the next prompt."""
        self.process.stdin.write(line + "\r")
        return await self.process.stdout.readuntil(PROMPT)

    async def close(self) -> None:
        self.connection.close()
        await self.connection.wait_closed()


async def open_session(
    port: int, username: str = DEFAULT_USERNAME, password: str = DEFAULT_PASSWORD
) -> Session:
    connection = await asyncssh.connect(
        "127.0.0.1", port, username=username, password=password, known_hosts=None
    )
    process = await connection.create_process(term_type="vt100", encoding="utf-8")
    session = Session(connection, process)
    await session.until(r"<HUAWEI>$")
    return session


async def typed(port: int, *lines: str) -> list[str]:
    """What the last of ``lines`` printed, typed one after the other in one session: its lines
    between the echoed command and the next prompt."""
    session = await open_session(port)
    try:
        for line in lines[:-1]:
            await session.run(line)
        output = await session.run(lines[-1])
    finally:
        await session.close()
    return [line.rstrip("\r") for line in output.split("\n")][1:-1]
