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
    # Debian's Chromium headless through Playwright; nothing else pulls a font in
    # strace: the test that the XML parser opens no file (tests/unit/netconf). nginx: the fleet
    # benchmark's peer for the HOUP's downloads (tools/bench/fleet_bench.py)
    DEBIAN_PACKAGES=(libyang2-tools yangcli gnupg netconfd openssh-server openssh-client
        chromium fonts-dejavu-core strace nginx)
    missing=()
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"
    fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if $runtime_only; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
else
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
fi
