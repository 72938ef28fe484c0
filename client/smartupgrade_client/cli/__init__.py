"""The ``smartupgrade`` command line: the switch's Smart Upgrade commands over NETCONF.

See docs/cli.md; :func:`~smartupgrade_client.cli.app.main` is the entry point.
"""
