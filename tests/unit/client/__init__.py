"""Unit tests of the client SDK: builders and parsers, no sockets."""
