"""XML compared as documents, not as text."""

from __future__ import annotations

from lxml import etree

_PARSER = etree.XMLParser(remove_blank_text=True)


def canonical(xml: str | bytes | etree._Element) -> bytes:
    """Exclusive C14N of a document or element, whitespace between elements dropped: two
    documents are equal as XML exactly when these bytes are."""
    text = etree.tostring(xml) if isinstance(xml, etree._Element) else xml
    element = etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)
    return etree.tostring(element, method="c14n", exclusive=True)
