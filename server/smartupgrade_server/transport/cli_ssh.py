"""The switch's command line over SSH (asyncssh): an interactive shell, or one command by exec.

The same users and host keys as the NETCONF listener (given loaded, see host_keys.py), and the
same session registry: a command-line session has a NETCONF session id, so its edits meet the
NETCONF locks of others and ``kill-session`` can end it. asyncssh's own line editor is off: the
shell echoes each character itself, as the switch does and as netmiko and scrapli wait for.
"""

import asyncio
import codecs
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import asyncssh

from smartupgrade_server.netconf.registry import (
    SessionContext,
    SessionRegistry,
    SessionTransport,
)
from smartupgrade_server.transport.logins import LoginGuard, LoginService
from smartupgrade_server.transport.ssh import refuse_default_credentials
from smartupgrade_server.transport.ssh_connection import (
    SETUP_TIMEOUT,
    AuthenticatedConnection,
    SessionChannel,
    end_connections,
)
from smartupgrade_server.vrp.shell import CommandLine, FlowControl, Shell

logger = logging.getLogger(__name__)

# output not yet taken by the client beyond which the shell handles no more keys
_WRITE_HIGH_WATER = 64 * 1024


class CliSshServer:
    """A listening command-line SSH server; start it with :meth:`start`."""

    def __init__(
        self,
        command_line: CommandLine,
        logins: LoginGuard,
        registry: SessionRegistry,
        setup_timeout: float = SETUP_TIMEOUT,
    ) -> None:
        self.command_line = command_line
        self.logins = logins
        self.users = logins.users
        self.registry = registry
        self.setup_timeout = setup_timeout
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._channels: set[_CliChannel] = set()

    @classmethod
    async def start(
        cls,
        host: str,
        port: int,
        command_line: CommandLine,
        *,
        logins: LoginGuard,
        host_keys: Sequence[asyncssh.SSHKey],
        registry: SessionRegistry,
        data_dir: Path,
        setup_timeout: float = SETUP_TIMEOUT,
    ) -> Self:
        """Listen on ``host:port`` (port 0: any free port, see :attr:`port`); ``logins`` are the
        NETCONF server's, so that a source's failures count on both."""
        await refuse_default_credentials(host, logins.users, data_dir)
        server = cls(command_line, logins, registry, setup_timeout)
        server._acceptor = await asyncssh.create_server(
            lambda: AuthenticatedConnection(
                server.logins,
                LoginService.CLI,
                server._connections,
                lambda conn: _CliChannel(server, conn),
            ),
            host,
            port,
            server_host_keys=list(host_keys),
            encoding=None,
            line_editor=False,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
        )
        return server

    @property
    def port(self) -> int:
        if self._acceptor is None:
            raise RuntimeError("the server is not listening")
        return self._acceptor.get_port()

    async def close(self, *, let_shells_finish: bool = False) -> None:
        """Stop listening, end every session and wait for the connections to close.

        ``let_shells_finish`` when the switch goes down: every shell ends by itself on the
        switch's Rebooting event, after printing what the switch said up to it (right-now's
        last Info line), so it is awaited rather than cut off.
        """
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
            self._acceptor = None
        if let_shells_finish:
            await asyncio.gather(*(channel.finished() for channel in list(self._channels)))
        await end_connections(self._channels, self._connections)


class _CliChannel(SessionChannel):
    """One SSH session channel: a shell, or one command given by exec; set up once either is
    asked for."""

    def __init__(self, server: CliSshServer, connection: asyncssh.SSHServerConnection) -> None:
        super().__init__(connection, server.setup_timeout, _WRITE_HIGH_WATER)
        self._server = server
        self._command: str | None = None
        self._context: SessionContext | None = None
        self._shell: Shell | None = None
        self._task: asyncio.Task[None] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # what the shell wrote since the last flush: written to the channel once per turn of
        # the event loop, so that each echoed key is not a packet (nor an entry of asyncssh's
        # send buffer) of its own
        self._output: list[str] = []
        self._flush_pending = False

    def pty_requested(
        self,
        term_type: str,
        term_size: tuple[int, int, int, int],
        term_modes: Mapping[int, int],
    ) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        assert self._channel is not None
        self.set_up()
        user = self._server.users.get(self._connection.get_extra_info("username"))
        if user is None:
            # authentication succeeded, so the user exists; this only guards a changed file
            self._channel.close()
            return
        host, port = self._connection.get_extra_info("peername", ("?", 0))[:2]
        self._context = self._server.registry.open(
            user.name,
            user.level,
            f"{host}:{port}",
            self.terminate,
            transport=SessionTransport.CLI_SSH,
        )
        self._shell = self._server.command_line.session(
            self._context.session_id,
            user.name,
            user.level,
            self._write,
            flow=FlowControl(self._drain, self._pause_input, self._resume_input),
        )
        self._server._channels.add(self)
        self._task = asyncio.create_task(
            self._run(self._shell), name=f"cli-session-{self._context.session_id}"
        )
        logger.info("cli session %d: %s from %s", self._context.session_id, user.name, host)

    async def _run(self, shell: Shell) -> None:
        try:
            if self._command is None:
                await shell.run()
            else:
                await shell.execute(self._command)
        except Exception:
            logger.exception("cli session: the shell failed")
        self._flush()
        if self._channel is not None:
            self._channel.exit(0)

    async def finished(self) -> None:
        if self._task is not None:
            await asyncio.gather(asyncio.shield(self._task), return_exceptions=True)

    def _write(self, text: str) -> None:
        self._output.append(text)
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        text = "".join(self._output)
        self._output.clear()
        if text and self._channel is not None and not self._channel.is_closing():
            self._channel.write(text.encode("utf-8"))

    async def _drain(self) -> None:
        self._flush()
        if self.is_open:
            await self.drained()
        # other sessions run between two pieces of a shell's input
        await asyncio.sleep(0)

    def _pause_input(self) -> None:
        if self._channel is not None:
            self._channel.pause_reading()

    def _resume_input(self) -> None:
        if self._channel is not None:
            self._channel.resume_reading()

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self._shell is not None:
            self._shell.feed(self._decoder.decode(data))

    def eof_received(self) -> bool:
        if self._shell is not None:
            self._shell.end_of_input()
        # stay half open: what the last command prints still goes out
        return True

    def terminate(self) -> None:
        """End the session from outside (kill-session, server shutdown)."""
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        if self._channel is not None:
            self._channel.close()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._task is not None:
            self._task.cancel()
        self._server._channels.discard(self)
        if self._context is None:
            return
        try:
            self._server.registry.end(self._context.session_id)
        except Exception:
            logger.exception("cli session %d: releasing it failed", self._context.session_id)
