"""A NETCONF client written by hand on asyncssh, to send what real clients never would."""

from typing import Self

import asyncssh
from lxml import etree

from smartupgrade_server.netconf.capabilities import BASE_1_0, BASE_1_1, BASE_NS
from smartupgrade_server.netconf.framing import (
    FrameDecoder,
    encode_chunked,
    encode_end_of_message,
)


class RawSession:
    """A NETCONF client written by hand on asyncssh, to send what real clients never would."""

    def __init__(
        self,
        connection: asyncssh.SSHClientConnection,
        writer: asyncssh.SSHWriter[bytes],
        reader: asyncssh.SSHReader[bytes],
    ) -> None:
        self.connection = connection
        self.writer = writer
        self.reader = reader
        self.decoder = FrameDecoder()
        self._messages: list[bytes] = []
        self.session_id = 0

    @classmethod
    async def open(
        cls,
        port: int,
        *,
        hello: bool = True,
        term_type: str | None = None,
        **credentials: object,
    ) -> Self:
        options: dict[str, object] = {"username": "admin", "password": "admin"}
        options.update(credentials)
        connection = await asyncssh.connect(
            "127.0.0.1",
            port,
            known_hosts=None,
            **options,
        )
        return await cls.start(connection, hello=hello, term_type=term_type)

    @classmethod
    async def start(
        cls,
        connection: asyncssh.SSHClientConnection,
        *,
        hello: bool = True,
        term_type: str | None = None,
    ) -> Self:
        """The netconf subsystem on an SSH connection already made (a switch's call home)."""
        writer, reader, _ = await connection.open_session(
            subsystem="netconf", term_type=term_type, encoding=None
        )
        session = cls(connection, writer, reader)
        server_hello = etree.fromstring(await session.read_message())
        session.session_id = int(server_hello.findtext(f"{{{BASE_NS}}}session-id") or 0)
        if hello:
            session.writer.write(
                encode_end_of_message(
                    f'<hello xmlns="{BASE_NS}"><capabilities><capability>{BASE_1_0}</capability>'
                    f"<capability>{BASE_1_1}</capability></capabilities></hello>".encode()
                )
            )
            session.decoder.switch_to_chunked()
        return session

    async def read_message(self) -> bytes:
        """The next message; b"" once the server has closed the channel."""
        while not self._messages:
            data = await self.reader.read(65536)
            if not data:
                return b""
            for message in self.decoder.feed(data):
                assert isinstance(message, bytes)
                self._messages.append(message)
        return self._messages.pop(0)

    def send_rpc(self, message_id: str, operation: str) -> None:
        self.writer.write(
            encode_chunked(
                f'<rpc message-id="{message_id}" xmlns="{BASE_NS}">{operation}</rpc>'.encode()
            )
        )

    async def call(self, operation: str, message_id: str = "1") -> etree._Element:
        """Send one rpc and read the next message as its reply."""
        self.send_rpc(message_id, operation)
        return etree.fromstring(await self.read_message())

    async def close_session(self) -> None:
        await self.call("<close-session/>")
        self.close()

    def close(self) -> None:
        self.connection.close()
