"""A switch's users and SSH host keys, made once per test session and copied into each data
directory (RSA key generation and scrypt take a while): the pytest plugin's own copy, which the
project's tests share."""

from smartupgrade_server.testing.running import copy_credentials

__all__ = ["copy_credentials"]
