"""Client SDK for the Smart Upgrade NETCONF model."""

__version__ = "0.1.0"
