"""Generated files must match what the YANG module generates now."""

from tools.codegen.generate import stale_files


def test_generated_files_are_current() -> None:
    stale = stale_files()
    assert not stale, f"run `.venv/bin/python -m tools.codegen.generate`; stale: {stale}"


def test_generated_constants_carry_the_modules_labels() -> None:
    from smartupgrade_model import model

    assert model.UpgradeStatus.CERT_OUT_DATE.display == "CertOutDate"
    assert model.DISPLAY_SECTIONS[0].title == "Configuration"
