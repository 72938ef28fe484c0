"""Namespaces and capability URNs of the NETCONF base protocol."""

from collections.abc import Mapping
from typing import cast

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# lxml-stubs 0.5 type nsmap as Mapping[str, str] although lxml takes None for the default
# namespace; the cast keeps that stubs gap in one place.
BASE_NSMAP = cast(Mapping[str, str], {None: BASE_NS})

BASE_1_0 = "urn:ietf:params:netconf:base:1.0"
BASE_1_1 = "urn:ietf:params:netconf:base:1.1"


def qname(local_name: str) -> str:
    """Clark notation for an element of the base namespace, as lxml spells it."""
    return f"{{{BASE_NS}}}{local_name}"
