"""YANG code generators our users run: pyangbind and pydantify build importable bindings from the
module, and a generated object round-trips an example document."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from yangson.xmlparser import XMLParser

from smartupgrade_client.rfc7951 import qualified
from smartupgrade_model.model import MODULE, SSL_POLICY_MODULE
from smartupgrade_model.modules import data_model, module

EXAMPLES = Path(__file__).resolve().parents[3] / "yang" / "examples"
BIN = Path(sys.executable).parent
QUIET = {**os.environ, "PYTHONWARNINGS": "ignore"}


def rfc7951(example: str) -> dict[str, Any]:
    """The example document as RFC 7951 JSON, converted by yangson."""
    text = (EXAMPLES / example).read_text(encoding="utf-8")
    instance = data_model(ap_upgrade=True).from_xml(XMLParser(f"<data>{text}</data>").root)
    raw = instance.raw_value()
    assert isinstance(raw, dict)
    return raw


def of_module(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key.startswith(f"{name}:")}


def search_path() -> str:
    yang = module(MODULE).path.parent
    return f"{yang}:{yang / 'ietf'}"


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("bindings")
    sys.path.insert(0, str(directory))
    yield directory
    sys.path.remove(str(directory))


@pytest.fixture(scope="module")
def pyangbind_binding(generated_dir: Path) -> ModuleType:
    import pyangbind

    plugin_dir = Path(pyangbind.__file__).parent / "plugin"
    subprocess.run(
        [
            str(BIN / "pyang"),
            "--plugindir",
            str(plugin_dir),
            "-f",
            "pybind",
            "-p",
            search_path(),
            "-o",
            str(generated_dir / "sunc_pybind.py"),
            str(module(MODULE).path),
            str(module(SSL_POLICY_MODULE).path),
        ],
        check=True,
        env=QUIET,
    )
    return importlib.import_module("sunc_pybind")


@pytest.fixture(scope="module")
def pydantify_model(generated_dir: Path) -> ModuleType:
    output = generated_dir / "sunc_pydantify"
    subprocess.run(
        [
            str(BIN / "pydantify"),
            "-i",
            str(module(MODULE).path.parent),
            "-o",
            str(output),
            f"--path={search_path()}",
            str(module(MODULE).path),
        ],
        check=True,
        env=QUIET,
        capture_output=True,
    )
    return importlib.import_module("sunc_pydantify.out")


@pytest.mark.parametrize("example", ["config-full.xml", "state-downloading.xml"])
@pytest.mark.parametrize("yang_module", [MODULE, SSL_POLICY_MODULE])
def test_pyangbind_round_trips_an_example(
    pyangbind_binding: ModuleType, example: str, yang_module: str
) -> None:
    from pyangbind.lib.pybindJSON import dumps
    from pyangbind.lib.serialise import pybindJSONDecoder

    document = of_module(rfc7951(example), yang_module)
    assert document
    bound = pybindJSONDecoder.load_ietf_json(
        document, pyangbind_binding, yang_module.replace("-", "_")
    )
    assert json.loads(dumps(bound, mode="ietf")) == document


def test_pyangbind_binding_enforces_the_modules_restrictions(
    pyangbind_binding: ModuleType,
) -> None:
    root = pyangbind_binding.sunc_smart_upgrade()
    root.smart_upgrade.https_port = 10020
    with pytest.raises(ValueError):
        root.smart_upgrade.https_port = 0
    policies = pyangbind_binding.sunc_ssl_policy().ssl_policies.ssl_policy
    policies.add("houp_1")
    with pytest.raises(KeyError):
        policies.add("x" * 24)


def test_pydantify_round_trips_an_example(pydantify_model: ModuleType) -> None:
    document = qualified(of_module(rfc7951("config-full.xml"), MODULE))
    model = pydantify_model.Model.model_validate(document)
    assert model.model_dump(mode="json", by_alias=True, exclude_none=True) == document


def test_an_unqualified_document_loses_its_leaves_in_pydantify_silently(
    pydantify_model: ModuleType,
) -> None:
    """Why docs/sdk.md qualifies the document first: RFC 7951 as it is validates, and every
    leaf below the top-level container is gone."""
    plain = of_module(rfc7951("config-full.xml"), MODULE)
    # (a container whose members are all lost fails for its mandatory leaves instead)
    del plain["sunc-smart-upgrade:smart-upgrade"]["schedule"]
    assert plain["sunc-smart-upgrade:smart-upgrade"]["https-port"] == 10020
    lost = pydantify_model.Model.model_validate(plain)
    assert lost.smart_upgrade.https_port == 443
    kept = pydantify_model.Model.model_validate(qualified(plain))
    assert kept.smart_upgrade.https_port == 10020


def test_pydantify_model_rejects_an_out_of_range_port(pydantify_model: ModuleType) -> None:
    import pydantic

    # pydantify 0.9 keeps inet:port-number's own range (0..65535), not the leaf's 1..65535,
    # so only the upper bound tells its validation apart from none.
    document = qualified(of_module(rfc7951("config-full.xml"), MODULE))
    document["sunc-smart-upgrade:smart-upgrade"]["sunc-smart-upgrade:https-port"] = 65536
    with pytest.raises(pydantic.ValidationError):
        pydantify_model.Model.model_validate(document)
    defaults = pydantify_model.Model.model_validate({"sunc-smart-upgrade:smart-upgrade": {}})
    assert defaults.smart_upgrade.https_port == 443
