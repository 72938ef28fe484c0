"""Fleet mode: many emulated switches in one process (docs/fleet.md)."""
