"""NETCONF protocol core (RFC 6241, RFC 6242): bytes in, events and bytes out, no I/O."""
