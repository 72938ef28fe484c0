"""What the switch takes from a version-check answer, and what it does with its text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartupgrade_server.device.offers import (
    MAX_REPLY_SIZE,
    MalformedReplyError,
    parse_version_reply,
    printable,
)
from smartupgrade_server.device.persist import load_state, save_state
from smartupgrade_server.device.stored import StoredState

SHA = "0f" * 32


def package(name: str) -> dict[str, Any]:
    url = f"https://houp.example/files/{name}"
    return {"name": name, "size": 300000, "sha256": SHA, "url": url, "signature_url": url + ".asc"}


def answer(**changes: Any) -> bytes:
    reply = {
        "result": "needUpdate",
        "software_version": "V200R024C00",
        "patch_version": "V200R020SPH001",
        "upgrade_description": "",
        "description_en": "1)description:2)CC+SPH",
        "software_package": package("S5732-H-V200R024C00.cc"),
        "patch_package": package("S5732-H-V200R020SPH001.pat"),
    }
    return json.dumps({**reply, **changes}).encode()


def test_an_answer_is_read_whole() -> None:
    offer = parse_version_reply(answer())
    assert offer is not None
    assert (offer.software, offer.patch) == ("V200R024C00", "V200R020SPH001")
    assert offer.software_package.name == "S5732-H-V200R024C00.cc"
    assert parse_version_reply(b'{"result": "versionOptimal"}') is None


def test_descriptions_are_made_printable() -> None:
    offer = parse_version_reply(
        answer(upgrade_description="\x1b]0;pwned\x07 a\r\nb\tc \u202e", description_en=None)
    )
    assert offer is not None
    assert offer.upgrade_description == "\ufffd]0;pwned\ufffd a  b c \ufffd"
    assert offer.description_en is None  # none sent: the display shows "-"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"software_package": package("../../etc/passwd")}, "software_package.name"),
        ({"patch_package": package("a/b.pat")}, "patch_package.name"),
        ({"software_package": package(".hidden")}, "software_package.name"),
        ({"software_package": package("S5732-H\x1b[2J.cc")}, "software_package.name"),
        ({"software_version": "V200R024C00\x1b]0;x\x07"}, "software_version"),
        ({"patch_version": "SPH 1"}, "patch_version"),
        ({"patch_version": None}, "go together"),
        ({"software_package": {**package("a.cc"), "size": -1}}, "software_package.size"),
        ({"software_package": {**package("a.cc"), "sha256": "x"}}, "software_package.sha256"),
        ({"software_package": {**package("a.cc"), "url": "file:///etc"}}, "software_package.url"),
        ({"upgrade_description": 7}, "upgrade_description"),
        ({"result": "\x1b[2J"}, "result"),
    ],
)
def test_a_name_the_switch_would_act_on_must_be_plain(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(MalformedReplyError) as error:
        parse_version_reply(answer(**changes))
    assert where in str(error.value)
    assert printable(str(error.value)) == str(error.value)


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b"{}", b"[" * 100_000, b" " * (MAX_REPLY_SIZE + 1)]
)
def test_a_malformed_answer_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedReplyError):
        parse_version_reply(body)


@given(st.text())
def test_printable_text_is_valid_xml_and_moves_no_cursor(text: str) -> None:
    shown = printable(text)
    assert shown.isprintable()
    assert len(shown) == len(text)
    if text.isprintable():
        assert shown == text


def test_a_state_file_with_control_characters_loads_cleaned(tmp_path: Path) -> None:
    save_state(tmp_path, StoredState("V200R020C00"))
    path = tmp_path / "state.json"
    saved = json.loads(path.read_text("utf-8"))
    saved["state"]["version"]["upgrade_description"] = "\x1b]0;pwned\x07\x01"
    saved["state"]["software"] = "V200R020C00\x1b[2J"
    path.write_text(json.dumps(saved), "utf-8")
    state = load_state(tmp_path)
    assert state is not None
    assert state.version.upgrade_description == "\ufffd]0;pwned\ufffd\ufffd"
    assert state.software == "V200R020C00\ufffd[2J"
