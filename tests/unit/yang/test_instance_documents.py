"""The example instance documents beside the module, checked by the two reference validators.

Valid examples must pass both yanglint (libyang) and yangson; every invalid example must be
rejected by both, so neither validator alone decides what the module means.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from yangson.enumerations import ContentType, ValidationScope
from yangson.exceptions import YangsonException
from yangson.xmlparser import XMLParser

from smartupgrade_model.model import MODULE
from smartupgrade_model.modules import data_model, implemented_modules, yang_dir

EXAMPLES = Path(__file__).resolve().parents[3] / "yang" / "examples"
FEATURES = f"{MODULE}:ap-upgrade"


def yanglint(kind: str, document: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("yanglint")
    assert executable is not None, (
        "yanglint (Debian libyang2-tools) is installed by tools/install.sh"
    )
    directory = yang_dir()
    # ours, and the one whose identities the examples use (libyang takes identities only of
    # implemented modules)
    modules = [
        str(m.path)
        for m in implemented_modules()
        if m.name.startswith("sunc-") or m.name == "ietf-x509-cert-to-name"
    ]
    return subprocess.run(
        [
            executable,
            "-t",
            kind,
            "-F",
            FEATURES,
            "-p",
            str(directory),
            "-p",
            str(directory / "ietf"),
            *modules,
            str(document),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


NACM_COUNTERS = (
    '<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm"><denied-operations>0'
    "</denied-operations><denied-data-writes>0</denied-data-writes><denied-notifications>0"
    "</denied-notifications></nacm>"
)


def yangson_validate(document: Path, content: ContentType) -> None:
    text = document.read_text(encoding="utf-8")
    # yanglint takes the top-level nodes as siblings; yangson wants one root element. The
    # examples are of our modules; a whole operational tree also has RFC 8341's counters.
    if content is ContentType.all:
        text += NACM_COUNTERS
    root = XMLParser(f"<data>{text}</data>").root
    instance = data_model(ap_upgrade=True).from_xml(root)
    instance.validate(ValidationScope.all, content)


VALID = [
    (EXAMPLES / "config-full.xml", "config", ContentType.config),
    (EXAMPLES / "config-netconf-server.xml", "config", ContentType.config),
    (EXAMPLES / "state-downloading.xml", "data", ContentType.all),
    (EXAMPLES / "state-ap-upgrade.xml", "data", ContentType.all),
]
INVALID = [(p, "config", ContentType.config) for p in sorted(EXAMPLES.glob("invalid/*.xml"))] + [
    (p, "data", ContentType.all) for p in sorted(EXAMPLES.glob("invalid-state/*.xml"))
]


@pytest.mark.parametrize(
    ("document", "kind", "content"), VALID, ids=lambda v: getattr(v, "name", "")
)
def test_valid_example_passes_yanglint(document: Path, kind: str, content: ContentType) -> None:
    result = yanglint(kind, document)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("document", "kind", "content"), VALID, ids=lambda v: getattr(v, "name", "")
)
def test_valid_example_passes_yangson(document: Path, kind: str, content: ContentType) -> None:
    yangson_validate(document, content)


def test_there_are_invalid_examples_of_each_kind() -> None:
    assert len([i for i in INVALID if i[1] == "config"]) >= 15
    assert len([i for i in INVALID if i[1] == "data"]) >= 6


@pytest.mark.parametrize(
    ("document", "kind", "content"), INVALID, ids=lambda v: getattr(v, "name", "")
)
def test_invalid_example_is_rejected_by_yanglint(
    document: Path, kind: str, content: ContentType
) -> None:
    result = yanglint(kind, document)
    assert result.returncode != 0
    assert "libyang err" in result.stderr


@pytest.mark.parametrize(
    ("document", "kind", "content"), INVALID, ids=lambda v: getattr(v, "name", "")
)
def test_invalid_example_is_rejected_by_yangson(
    document: Path, kind: str, content: ContentType
) -> None:
    with pytest.raises(YangsonException):
        yangson_validate(document, content)
