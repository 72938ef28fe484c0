"""The switch emulator (docs/device.md): a Smart Upgrade state machine on an injected clock,
with a flash and an HTTPS client of the HOUP."""
