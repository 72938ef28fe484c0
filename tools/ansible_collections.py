"""Installs the Ansible collections the tests drive (``ansible.netcommon`` and ``ansible.utils``,
which it needs) into the running environment's site-packages, from the ``ansible`` package on
PyPI, where Galaxy is out of reach: ``python -m tools.ansible_collections``.

The whole ``ansible`` package is 470 MB of collections and takes 37 s to install; these two are
2 MB and take a few seconds. They land where ``pip install ansible`` puts them
(``site-packages/ansible_collections``), so ansible-core finds them without configuration. A
marker file names the ``ansible`` release they came from; the step is skipped while it matches.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

# the release of the ansible package made for ansible-core 2.19 (pyproject's dev extras)
ANSIBLE_RELEASE = "12.3.0"
COLLECTIONS = ("ansible/netcommon", "ansible/utils")
_MARKER = ".from-ansible"


def install(site_packages: Path, release: str = ANSIBLE_RELEASE) -> bool:
    """Extract the collections into ``site_packages``; False if they were there already."""
    root = site_packages / "ansible_collections"
    marker = root / _MARKER
    if marker.exists() and marker.read_text().strip() == release:
        return False
    with tempfile.TemporaryDirectory(prefix="ansible-wheel-") as directory:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                directory,
                f"ansible=={release}",
            ],
            check=True,
        )
        (wheel,) = Path(directory).glob("ansible-*.whl")
        for collection in COLLECTIONS:
            shutil.rmtree(root / collection, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            prefixes = tuple(f"ansible_collections/{name}/" for name in COLLECTIONS)
            archive.extractall(
                site_packages, [name for name in archive.namelist() if name.startswith(prefixes)]
            )
    marker.write_text(f"{release}\n")
    return True


if __name__ == "__main__":
    install(Path(sysconfig.get_paths()["purelib"]))
