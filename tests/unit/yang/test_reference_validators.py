"""The two reference validators report nothing on our modules: pyang in its strictest mode with
the RFC 8407 lint checks, and yanglint (libyang). The IETF modules are pyang's own copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smartupgrade_model.modules import IETF_FEATURES, YangModule, implemented_modules, yang_dir

OUR_MODULES = [m.path for m in implemented_modules() if m.name.startswith("sunc-")]
YANG_DIR = yang_dir()
# where pip installs the modules pyang ships: IANA's in iana/, the IETF's in ietf/
PYANG_MODULES = Path(sys.prefix) / "share" / "yang" / "modules"


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    # pyang 2.6 (pinned by pydantify) warns about pkg_resources on import; that is not a finding.
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env)


@pytest.mark.parametrize("path", OUR_MODULES, ids=lambda p: p.name)
def test_pyang_strict_lint_reports_nothing(path: Path) -> None:
    pyang = Path(sys.executable).with_name("pyang")
    result = run(
        [
            str(pyang),
            "--strict",
            "--lint",
            "--lint-ensure-hyphenated-names",
            "-p",
            f"{YANG_DIR}:{YANG_DIR / 'ietf'}",
            str(path),
        ]
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_yanglint_reports_nothing() -> None:
    yanglint = shutil.which("yanglint")
    assert yanglint is not None, "yanglint (Debian libyang2-tools) is installed by tools/install.sh"
    features = [f"-F{name}:{','.join(found)}" for name, found in IETF_FEATURES.items()]
    result = run([yanglint, *features, "-p", str(YANG_DIR / "ietf"), *map(str, OUR_MODULES)])
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize(
    "ietf",
    [mod for mod in implemented_modules() if mod.path.parent.name == "ietf"],
    ids=lambda mod: mod.name,
)
def test_an_ietf_module_is_the_revision_pyang_ships(ietf: YangModule) -> None:
    shipped = PYANG_MODULES / ietf.name.split("-")[0] / f"{ietf.name}.yang"
    assert shipped.read_bytes() == ietf.path.read_bytes()
