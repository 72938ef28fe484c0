"""Generated files must match what the YANG module generates now."""

from tools.codegen.generate import expected_files, stale_files


def test_generated_files_are_current() -> None:
    stale = stale_files()
    assert not stale, f"run `.venv/bin/python -m tools.codegen.generate`; stale: {stale}"


def test_server_and_client_get_the_same_files() -> None:
    by_name: dict[str, set[str]] = {}
    for path, text in expected_files().items():
        if path.suffix == ".py":
            by_name.setdefault(path.name, set()).add(text)
    assert sorted(by_name) == ["display.py", "model.py"]
    assert all(len(texts) == 1 for texts in by_name.values())


def test_generated_constants_import_in_both_packages() -> None:
    from smartupgrade_client import model as client_model
    from smartupgrade_server import model as server_model

    assert client_model.UpgradeStatus.CERT_OUT_DATE.display == "CertOutDate"
    assert server_model.DISPLAY_SECTIONS[0].title == "Configuration"
