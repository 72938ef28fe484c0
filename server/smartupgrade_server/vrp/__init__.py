"""The switch's own VRP-style command line, on the same datastore as NETCONF (docs/cli-vrp.md).

No sockets here: :mod:`~smartupgrade_server.transport.cli_ssh` carries a :class:`Shell` over SSH.
"""
