"""Fleet inventories (YAML and JSON): entries, defaults, credentials and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartupgrade_client.cli.checks import UsageError
from smartupgrade_client.cli.fleet import Target, load_inventory, parse_inventory

BASE = Target("", "127.0.0.1", 8830, "admin", "admin", None)


def test_yaml_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "switches.yaml"
    path.write_text(
        """\
defaults:
  username: netops
  password: secret
  port: 830
switches:
  - name: core-1
    host: 10.0.0.1
  - host: 10.0.0.2
    port: 2830
  - host: 10.0.0.3
    key: ~/.ssh/id_ed25519
"""
    )
    core, second, with_key = load_inventory(str(path), BASE)
    assert core == Target("core-1", "10.0.0.1", 830, "netops", "secret", None)
    assert second == Target("10.0.0.2:2830", "10.0.0.2", 2830, "netops", "secret", None)
    assert with_key.key is not None and with_key.key.endswith("/.ssh/id_ed25519")
    assert with_key.password == "secret"


def test_json_list_takes_the_command_line_connection(tmp_path: Path) -> None:
    path = tmp_path / "switches.json"
    path.write_text(json.dumps([{"host": "10.0.0.1"}, {"host": "10.0.0.2", "key": "/k"}]))
    first, keyed = load_inventory(str(path), BASE)
    assert first == Target("10.0.0.1:8830", "10.0.0.1", 8830, "admin", "admin", None)
    assert (keyed.password, keyed.key) == (None, "/k")


def test_password_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORE_PASSWORD", "from-env")
    (target,) = parse_inventory([{"host": "h", "password_env": "CORE_PASSWORD"}], BASE)
    assert target.password == "from-env"
    monkeypatch.delenv("CORE_PASSWORD")
    with pytest.raises(UsageError, match="CORE_PASSWORD is not set"):
        parse_inventory([{"host": "h", "password_env": "CORE_PASSWORD"}], BASE)


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "non-empty list"),
        ({"switches": None}, "non-empty list"),
        ({"hosts": []}, "unknown member hosts"),
        (["10.0.0.1"], "expected a mapping"),
        ([{"port": 830}], "host is missing"),
        ([{"host": "h", "pasword": "x"}], "unknown member pasword"),
        ([{"host": "h", "port": "ssh"}], "port 'ssh' is not a number"),
        ([{"host": "h"}, {"host": "h"}], "duplicate switch h:8830"),
    ],
)
def test_errors_name_what_to_fix(document: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_inventory(document, BASE)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Cannot read the inventory"):
        load_inventory(str(tmp_path / "missing.yaml"), BASE)
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(UsageError, match="is not valid"):
        load_inventory(str(broken), BASE)
