"""The only code that touches sockets: SSH for NETCONF (and later HTTPS)."""
