"""Parsing untrusted NETCONF messages with lxml: nothing is opened, nothing unbounded is done.

Two independent layers keep libxml2 from opening a file or a URL:

1. Before libxml2 sees a message, its prolog (what comes before the root element) is read
   here: a DOCTYPE is refused with one error whatever it names, and so is a declared encoding
   other than UTF-8 (RFC 6241 §3: "All NETCONF messages MUST be ... encoded in UTF-8"), or
   anything but a root element after the prolog (a UTF-16 or UTF-32 document, a BOM other than
   UTF-8's). libxml2 2.14 opens the external subset and external parameter entities of a
   DOCTYPE even with ``load_dtd=False, resolve_entities=False`` (a ``SYSTEM "/dev/stdin"``
   blocked the whole process), and its errors told an existing file from a missing one.
2. The parser itself is built to open nothing: its only resolver refuses every URL, so
   libxml2's default loader (files, the XML catalog) is never asked; ``no_network``; no DTD
   loading or validation; encoding forced to UTF-8 so that no declaration can switch it; and
   ``collect_ids`` left on (``collect_ids=False`` is what made libxml2 2.14 load the external
   subset despite ``load_dtd=False``).

Limits: libxml2's own (no ``huge_tree``: depth 256, names of 50,000 characters, text nodes of
10,000,000 bytes), :data:`MAX_ATTRIBUTES` per element and :data:`MAX_NAMESPACE_DECLARATIONS`
per message. Going beyond one is ``too-big``,
error-type ``rpc``; anything not well-formed is ``malformed-message``.
"""

import re

from lxml import etree

from smartupgrade_server.netconf.errors import ErrorType, MalformedMessageError, TooBigError

# Attributes of one element (namespace declarations are not counted). lxml reads an attribute's
# value by searching the element's attribute list, so code that walks the attributes of an
# element costs the square of their number; NETCONF needs a handful (message-id, operation,
# yang:insert/key/value).
MAX_ATTRIBUTES = 64

# Namespace declarations of one message, counted as the occurrences of "xmlns" before parsing
# (text that spells it counts too). Every element carries the namespaces in scope: 40,000
# declarations on <rpc> cost libxml2 194 ms to parse and lxml 22 s to serialise one child of it.
# Clients declare a namespace per module or per top-level element, tens in a message.
MAX_NAMESPACE_DECLARATIONS = 1024

DOCTYPE_REFUSED = "a DOCTYPE is not allowed in a NETCONF message"

_UTF8_BOM = b"\xef\xbb\xbf"
_S = rb"[ \t\r\n]"
_XML_DECLARATION = re.compile(
    rb"<\?xml" + _S + rb"+version" + _S + rb"*=" + _S + rb"*(?:\"1\.[0-9]+\"|'1\.[0-9]+')"
    rb"(?:" + _S + rb"+encoding" + _S + rb"*=" + _S + rb"*(?:\"(?P<double>[A-Za-z][\w.-]*)\""
    rb"|'(?P<single>[A-Za-z][\w.-]*)'))?"
    rb"(?:"
    + _S
    + rb"+standalone"
    + _S
    + rb"*="
    + _S
    + rb"*(?:\"(?:yes|no)\"|'(?:yes|no)'))?"
    + _S
    + rb"*\?>"
)
# what may stand between the XML declaration and the root element besides a DOCTYPE
_MISC = re.compile(_S + rb"+|<!--.*?-->|<\?.*?\?>", re.DOTALL)
# '<' and a NameStartChar (any non-ASCII byte may begin one in UTF-8)
_ROOT_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")


class _RefuseEveryResource(etree.Resolver):
    """The parser's only resolver: libxml2 gets no input for any URL, public id or file."""

    def resolve(self, system_url: str, public_id: str, *context: object) -> None:
        raise _ResourceRefusedError


class _ResourceRefusedError(Exception):
    pass


def hardened_parser() -> etree.XMLParser:
    """A parser that opens no file and no URL whatever it is given (layer 2 above)."""
    parser = etree.XMLParser(
        encoding="UTF-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(_RefuseEveryResource())
    return parser


# one parser for all messages: building it per message costs more than the parse of a small rpc
_PARSER = hardened_parser()
# "some element has a 65th attribute": 3-5 times faster in libxml2 than comparing counts
_TOO_MANY_ATTRIBUTES = etree.XPath(f"boolean(//*/@*[{MAX_ATTRIBUTES + 1}])")


def check_prolog(data: bytes) -> None:
    """Refuse, without parsing, what must not reach libxml2 (see the module docstring)."""
    position = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    if data.startswith(b"<?xml", position) and data[position + 5 : position + 6].isspace():
        declaration = _XML_DECLARATION.match(data, position)
        if declaration is None:
            raise MalformedMessageError(message="not well-formed XML: bad XML declaration")
        encoding = declaration.group("double") or declaration.group("single")
        if encoding is not None and encoding.upper() != b"UTF-8":
            raise MalformedMessageError(
                message=f"encoding {encoding.decode()!r} is not allowed: "
                "a NETCONF message is UTF-8 (RFC 6241 section 3)"
            )
        position = declaration.end()
    while (misc := _MISC.match(data, position)) is not None:
        position = misc.end()
    if data.startswith(b"<!DOCTYPE", position):
        raise MalformedMessageError(message=DOCTYPE_REFUSED)
    if _ROOT_START.match(data, position) is None:
        raise MalformedMessageError(
            message="not well-formed XML: no root element where one must start "
            f"(byte {position}; a NETCONF message is UTF-8 XML)"
        )


def parse_message(data: bytes, parser: etree.XMLParser | None = None) -> etree._Element:
    """The root element of one NETCONF message, or :class:`MalformedMessageError` or
    :class:`TooBigError`. ``parser``: one of :func:`hardened_parser`'s, for a thread of its own
    (lxml serialises the threads that share a parser); by default the module's."""
    check_prolog(data)
    if data.count(b"xmlns") > MAX_NAMESPACE_DECLARATIONS:
        raise TooBigError(
            ErrorType.RPC,
            message=f"more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations",
        )
    try:
        root = etree.fromstring(data, parser or _PARSER)
    except etree.XMLSyntaxError as error:
        # lxml-stubs 0.5 lack ParseError.code
        code = error.code  # type: ignore[attr-defined]
        if code in (etree.ErrorTypes.ERR_RESOURCE_LIMIT, etree.ErrorTypes.ERR_NAME_TOO_LONG):
            raise TooBigError(
                ErrorType.RPC, message=f"beyond the XML parser's limits: {error.msg}"
            ) from None
        raise MalformedMessageError(message=f"not well-formed XML: {error.msg}") from None
    except _ResourceRefusedError:
        # the second layer held: nothing known reaches the resolver past check_prolog
        raise MalformedMessageError(message=DOCTYPE_REFUSED) from None
    # every attribute has an '=', so most messages need no walk of their elements
    if data.count(b"=") > MAX_ATTRIBUTES and _TOO_MANY_ATTRIBUTES(root):
        raise TooBigError(
            ErrorType.RPC, message=f"an element has more than {MAX_ATTRIBUTES} attributes"
        )
    return root
