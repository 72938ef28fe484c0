"""The NETCONF operations on the datastores (RFC 6241 §7, §8), behind the transport's dispatcher."""
