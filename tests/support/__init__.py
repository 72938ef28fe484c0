"""What the tests share: one way to compare XML, to run an event loop beside blocking clients and
to wait for a server to act, and one rig per layer of the switch (docs/architecture.md).
Directory conftests only choose among them."""
