"""What the switch takes from the HOUP's answers, and what it does with their text.

The HOUP is another system on the network; nothing it sends may break the switch, its replies
or an operator's terminal (docs/device.md, "Text from the HOUP"). Every string of a
version-check answer enters here, one rule per kind:

- **Identifiers** (package names, software and patch versions) are what the switch acts on: a
  package name becomes a flash file name, a version is compared and booted. One that is not a
  plain name (`PLAIN_NAME`: letters, digits, `.`, `_`, `-`, starting with a letter or digit)
  makes the answer malformed, and the switch refuses the offer rather than act on a name it
  altered (`/` or `..` would leave the flash; ESC would reach a terminal).
- **Text for people** (the descriptions) is kept, made `printable()`: every character that is
  not printable (ESC, `\\x01` and the other control, format, surrogate and unassigned code
  points) becomes U+FFFD, and a line break or tab a space. Printable text is valid in XML and
  moves no terminal cursor.
- **Numbers and links**: a size is a non-negative integer, a digest 64 hex digits, a URL an
  `https://` URL of printable ASCII.

The same `printable()` also cleans the switch's saved state when it loads (`persist.py`), so a
state file written before this rule existed loads instead of breaking every `<get>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from smartupgrade_server.houp_api.wire import NEED_UPDATE, UNSUPPORTED_MODEL, VERSION_OPTIMAL

PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
MAX_REPLY_SIZE: Final = 64 * 1024
"""A version-check answer larger than this is malformed (a real one is well under 2 KB)."""


class MalformedReplyError(ValueError):
    """A HOUP answer the switch does not act on."""


@dataclass(frozen=True)
class RemotePackage:
    name: str
    size: int
    sha256: str
    url: str
    signature_url: str


@dataclass(frozen=True)
class VersionOffer:
    software: str
    patch: str | None
    upgrade_description: str | None
    """None: the HOUP sent none (the display shows '-'; an empty one shows empty)."""
    description_en: str | None
    software_package: RemotePackage
    patch_package: RemotePackage | None


@dataclass(frozen=True)
class NoVersionForModel:
    """The HOUP answered that it has no version for the device's model (`unsupportedModel`):
    the network works, there is just nothing to upgrade to."""


VersionAnswer = VersionOffer | NoVersionForModel | None
"""What a version check found: an offer, no version for the model, or None (the running
version is optimal)."""


@dataclass(frozen=True)
class RemoteFile:
    """A file to download; `size` and `sha256` are None for a signature (known from the
    response, compared as a whole)."""

    name: str
    url: str
    size: int | None = None
    sha256: str | None = None


def printable(text: str) -> str:
    """`text` with every character that is not printable replaced: whitespace by a space, the
    rest by U+FFFD. Printable text is valid XML and holds no terminal control sequence."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else " " if char.isspace() else "\ufffd" for char in text
    )


def _fail(where: str, value: object, rule: str) -> MalformedReplyError:
    shown = printable(repr(value))
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return MalformedReplyError(f"{where}: {shown} is not {rule}")


def _member(data: Mapping[str, Any], key: str, where: str = "") -> Any:
    if key not in data:
        raise MalformedReplyError(f"{where}{key}: missing")
    return data[key]


def _plain_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not PLAIN_NAME.fullmatch(value):
        raise _fail(where, value, "a plain name (letters, digits, '.', '_', '-')")
    return value


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, value, "text")
    return printable(value)


def _url(value: Any, where: str) -> str:
    if not (
        isinstance(value, str)
        and value.startswith("https://")
        and value.isascii()
        and value.isprintable()
        and " " not in value
    ):
        raise _fail(where, value, "an https:// URL")
    return value


def _package(value: Any, where: str) -> RemotePackage:
    if not isinstance(value, Mapping):
        raise _fail(where, value, "a package")
    size = _member(value, "size", where + ".")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _fail(where + ".size", size, "a size in bytes")
    sha256 = _member(value, "sha256", where + ".")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise _fail(where + ".sha256", sha256, "a SHA-256 hex digest")
    return RemotePackage(
        name=_plain_name(_member(value, "name", where + "."), where + ".name"),
        size=size,
        sha256=sha256,
        url=_url(_member(value, "url", where + "."), where + ".url"),
        signature_url=_url(_member(value, "signature_url", where + "."), where + ".signature_url"),
    )


def says_unsupported_model(body: bytes) -> bool:
    """Whether an error answer of a version check says the HOUP has no version for the
    model."""
    if len(body) > MAX_REPLY_SIZE:
        return False
    try:
        reply = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(reply, Mapping) and reply.get("error") == UNSUPPORTED_MODEL


def parse_version_reply(body: bytes) -> VersionOffer | None:
    """The offer of a version-check answer (None: the running version is optimal); raises
    MalformedReplyError for anything the switch does not act on."""
    if len(body) > MAX_REPLY_SIZE:
        raise MalformedReplyError(f"the answer is larger than {MAX_REPLY_SIZE} bytes")
    try:
        reply = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedReplyError("the answer is not JSON") from None
    if not isinstance(reply, Mapping):
        raise _fail("the answer", reply, "a JSON object")
    result = _member(reply, "result")
    if result == VERSION_OPTIMAL:
        return None
    if result != NEED_UPDATE:
        raise _fail("result", result, f"{NEED_UPDATE} or {VERSION_OPTIMAL}")
    patch = reply.get("patch_version")
    patch_package = reply.get("patch_package")
    if (patch is None) != (patch_package is None):
        raise MalformedReplyError("patch_version and patch_package go together")
    return VersionOffer(
        software=_plain_name(_member(reply, "software_version"), "software_version"),
        patch=None if patch is None else _plain_name(patch, "patch_version"),
        upgrade_description=_text(reply.get("upgrade_description"), "upgrade_description"),
        description_en=_text(reply.get("description_en"), "description_en"),
        software_package=_package(_member(reply, "software_package"), "software_package"),
        patch_package=None if patch_package is None else _package(patch_package, "patch_package"),
    )
