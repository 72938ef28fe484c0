"""HOUP emulator: the upgrade server a smart-upgrade switch talks to (see docs/houp.md)."""
