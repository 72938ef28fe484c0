#!/usr/bin/env bash
# Installs everything the project and its tests need on a fresh Debian machine:
# the Debian packages the tests drive (validators, reference clients, gpg) and a
# virtual environment in .venv with the project and its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libyang2-tools yangcli gnupg netconfd openssh-server openssh-client)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
