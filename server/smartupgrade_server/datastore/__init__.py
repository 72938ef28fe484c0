"""Datastores validated against the YANG modules."""
