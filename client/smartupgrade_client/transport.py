"""ncclient without its 100 ms send latency.

Why: ncclient 0.7's :class:`~ncclient.transport.session.Session` is a thread that owns the SSH
channel. ``Session.send()`` only puts the message on a queue; the thread's loop drains that
queue at the top of each iteration and then blocks in ``select(timeout=TICK)`` with
``TICK = 0.1`` on the channel alone. A request queued while the thread sits in ``select`` waits
for the tick to expire, so every synchronous RPC costs ~100 ms plus the server's time.

The seam: :class:`FastSSHSession` subclasses ncclient's ``SSHSession`` and overrides only
``send()``: the caller's thread frames the message (end-of-message for base:1.0, chunked for
base:1.1, exactly as the loop would) and writes it to the paramiko channel at once, under a
lock so concurrent callers never interleave frames. paramiko channels take ``send`` from one
thread while another ``recv``\\ s, and the session thread still does all the reading: it wakes
as soon as the reply arrives (the channel's pipe is in its select set), parses it and hands it
to the RPC listener as before. The queue stays empty, so the loop's own send branch never runs.

Rejected alternatives: lowering ``TICK`` busy-polls every session; adding a wake-up pipe to the
select set is not possible through the ``_transport_register`` hook alone, because the loop
treats any ready descriptor as channel data and calls ``recv`` (which blocks, or with an empty
read ends the session) -- it would mean replacing ``run()`` wholesale.

Everything else is ncclient's: device handlers, capabilities, ``Manager``, ``RPCError``,
notifications. :func:`connect_ssh` is a drop-in for ``ncclient.manager.connect_ssh`` that also
sets ``TCP_NODELAY``, without which a small request written while the previous reply's ACK is
still delayed can stall ~40 ms (Nagle).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from ncclient import manager as nc_manager
from ncclient.operations import RaiseMode
from ncclient.transport.errors import SessionCloseError, TransportError
from ncclient.transport.session import END_DELIM, MSG_DELIM, NetconfBase
from ncclient.transport.ssh import SSHSession

DEFAULT_PORT = 830


class FastSSHSession(SSHSession):  # type: ignore[misc]
    """An ncclient SSH session that writes requests from the caller's thread (see the module
    docstring)."""

    def __init__(self, device_handler: Any) -> None:
        super().__init__(device_handler)
        self._send_lock = threading.Lock()

    def send(self, message: str) -> None:
        if not self.connected:
            raise TransportError("Not connected to NETCONF server")
        data = message.encode()
        if self._base == NetconfBase.BASE_11:
            data = b"\n#%d\n%s%s" % (len(data), data, END_DELIM)
        else:
            data += MSG_DELIM
        self.logger.info("Sending:\n%s", data)
        with self._send_lock:
            while data:
                try:
                    sent = self._transport_write(data)
                except OSError as error:
                    # the server closed the channel before ncclient's reader noticed (paramiko:
                    # "Socket is closed"): the session is lost, as when nothing could be sent
                    raise SessionCloseError(self._buffer.getvalue(), data) from error
                if sent <= 0:
                    raise SessionCloseError(self._buffer.getvalue(), data)
                data = data[sent:]


def open_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A connected TCP socket with Nagle's algorithm off."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect_ssh(host: str, port: int = DEFAULT_PORT, **kwds: Any) -> Any:
    """``ncclient.manager.connect_ssh`` with :class:`FastSSHSession`: same arguments
    (``device_params``, ``manager_params``, ``errors_params``, ``nc_params`` and the SSH
    session's ``connect`` arguments), returns an ordinary ncclient ``Manager``."""
    # The steps of ncclient.manager.connect_ssh, which offers no way to choose the session class.
    device_params = kwds.pop("device_params", None)
    manager_params = dict(kwds.pop("manager_params", {}))
    if "timeout" not in manager_params and "timeout" in kwds:
        manager_params["timeout"] = kwds["timeout"]
    nc_params = kwds.pop("nc_params", {})
    errors_params = kwds.pop("errors_params", {})
    manager_params["raise_mode"] = errors_params.get("raise_mode", RaiseMode.ALL)
    device_handler = nc_manager.make_device_handler(
        device_params, errors_params.get("ignore_errors", [])
    )
    device_handler.add_additional_ssh_connect_params(kwds)
    device_handler.add_additional_netconf_params(nc_params)
    own_socket = None
    if kwds.get("sock") is None and kwds.get("sock_fd") is None:
        own_socket = kwds["sock"] = open_socket(host, port, kwds.get("timeout"))
    session = FastSSHSession(device_handler)
    try:
        session.connect(host, port, **kwds)
    except BaseException:
        if session.transport:
            session.close()
        elif own_socket is not None:
            own_socket.close()
        raise
    return nc_manager.Manager(session, device_handler, **manager_params)
