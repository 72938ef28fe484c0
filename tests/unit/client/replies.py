"""Reading the module's example instance documents as NETCONF replies."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from smartupgrade_client.errors import NETCONF_NS

EXAMPLES = Path(__file__).resolve().parents[3] / "yang" / "examples"


def example_elements(name: str) -> list[etree._Element]:
    """The top-level elements of an example document (they have no single root)."""
    text = (EXAMPLES / name).read_text()
    wrapper = etree.fromstring(
        f"<examples>{text}</examples>", etree.XMLParser(remove_comments=True)
    )
    return [child for child in wrapper if isinstance(child.tag, str)]


def data_reply(*elements: etree._Element) -> bytes:
    """An <rpc-reply><data> holding the elements, as a server would send them."""
    reply = etree.Element(f"{{{NETCONF_NS}}}rpc-reply", {"message-id": "101"})
    data = etree.SubElement(reply, f"{{{NETCONF_NS}}}data")
    data.extend(elements)
    return etree.tostring(reply)


def reply(body: str) -> bytes:
    """An <rpc-reply> around XML text (default namespace: NETCONF base)."""
    return f'<rpc-reply xmlns="{NETCONF_NS}" message-id="101">{body}</rpc-reply>'.encode()
