"""Parsing untrusted NETCONF messages with lxml.

No DTD is loaded, no entity is resolved, nothing is fetched from the network, and libxml2's
limits for huge documents stay on. A document that carries a DOCTYPE at all is refused: NETCONF
never needs one, and refusing it means entity declarations (XXE, billion laughs) are never
acted on, not merely contained.
"""

from lxml import etree

from smartupgrade_server.netconf.errors import MalformedMessageError


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


# one parser for all messages: building it per message costs more than the parse of a small rpc
_PARSER = _parser()


def parse_message(data: bytes) -> etree._Element:
    """The root element of one NETCONF message, or :class:`MalformedMessageError`."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise MalformedMessageError(message=f"not well-formed XML: {error.msg}") from None
    # lxml reports any DOCTYPE (with or without an internal subset) as an internal DTD
    if root.getroottree().docinfo.internalDTD is not None:
        raise MalformedMessageError(message="a DOCTYPE is not allowed in a NETCONF message")
    if next(root.iter(etree.Entity), None) is not None:
        raise MalformedMessageError(message="entity references are not allowed")
    return root
