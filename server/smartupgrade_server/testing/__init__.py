"""Emulated switches, fleets, HOUP faults and a simulated clock for a controller's test suite:
the pytest plugin (``plugin.py``, registered as the ``pytest11`` entry point ``smartupgrade``)
and the handles its fixtures give (``running.py``); docs/pytest.md."""
