#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine into .venv.
#   tools/install.sh            everything for development and the tests: the Debian packages the
#                               tests drive (validators, reference clients, gpg, sshd) and the
#                               project with its dev extras
#   tools/install.sh --runtime  only the project itself (enough to run the emulator)
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_only=false
[ "${1:-}" = "--runtime" ] && runtime_only=true

if ! $runtime_only; then
    # chromium and a font: the browser tests of the web system (tests/integration/web) drive
    # Debian's Chromium headless through Playwright; nothing else pulls a font in.
    # strace: the test that the XML parser opens no file (tests/unit/netconf). podman, runc,
    # mmdebstrap, uidmap: tools/container/build.sh and the image's test (tests/integration/container).
    # nginx: the fleet benchmark's peer for the HOUP's downloads (tools/bench/fleet_bench.py)
    DEBIAN_PACKAGES=(libyang2-tools yangcli gnupg netconfd openssh-server openssh-client
        chromium fonts-dejavu-core strace podman runc mmdebstrap uidmap nginx)
    tools/apt-install.sh "${DEBIAN_PACKAGES[@]}"
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if $runtime_only; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
else
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
    # nornir-netconf's metadata asks for ncclient < 0.7.0, which the dev extras cannot have
    # (0.7.1 is pinned); its tasks run with 0.7.1 (tests/integration/fleet/test_nornir_netconf.py)
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps nornir-netconf==2.1.0
    # ansible.netcommon (and ansible.utils, which it needs) from the ansible package on PyPI,
    # without the rest of its 470 MB of collections
    .venv/bin/python -m tools.ansible_collections
fi
