"""RFC 8341 network configuration access control (NACM)."""
