"""NETCONF server, switch emulator and HOUP emulator for Huawei Smart Upgrade."""

__version__ = "0.1.0"
