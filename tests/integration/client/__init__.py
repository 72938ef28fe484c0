"""The SDK against the real smartupgrade-sim server over SSH on 127.0.0.1."""
