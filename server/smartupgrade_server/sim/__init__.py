"""The composition: one emulated switch (the device emulator, its datastores, NETCONF, the VRP
command line and the web system) and the ``smartupgrade-sim`` command that runs it with its
HOUP (docs/server.md)."""
