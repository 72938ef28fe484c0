#!/usr/bin/env bash
# Builds the emulator's OCI image with podman from Debian's archive and PyPI alone (no image
# registry): docs/container.md.
#   tools/container/build.sh [TAG]           default TAG: localhost/smartupgrade-sim:latest
#   tools/container/build.sh --context DIR   only write the build context (the Containerfile and
#                                            the wheelhouse) to DIR, e.g. for `docker build`
# Steps, each skipped when its result exists:
#   1. the base: Debian bookworm minbase with python3 and its venv module, made by mmdebstrap
#      and imported into podman as localhost/smartupgrade-sim-base:bookworm-KEY, KEY a hash of
#      how it is made (about 45 s once; then kept in podman's storage)
#   2. the wheelhouse: the project's wheel and its dependencies' wheels for CPython 3.11 on
#      glibc 2.36 (bookworm's), whatever Python runs this script
#   3. podman build with the Containerfile: a venv installed from the wheelhouse; a layer is
#      reused while the wheelhouse is the same
# Environment: PYTHON (a Python with pip; default .venv/bin/python, else python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tools/container
context_only=""
if [ "${1:-}" = "--context" ]; then
    context_only=${2:?--context needs a directory}
    tag=""
else
    tag=${1:-localhost/smartupgrade-sim:latest}
fi

make_wheelhouse() {
    local wheelhouse=$1 python=${PYTHON:-.venv/bin/python} platforms=() glibc
    [ -x "$python" ] || python=python3
    "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$wheelhouse" .
    # every glibc up to bookworm's 2.36: pip takes the platforms listed, not older ones implied
    for glibc in 2_36 2_35 2_34 2_33 2_32 2_31 2_28 2_27 2_26 2_17 2_12 2_5; do
        platforms+=(--platform "manylinux_${glibc}_$(uname -m)")
    done
    "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        --python-version 3.11 --implementation cp "${platforms[@]}" \
        --dest "$wheelhouse" "$wheelhouse"/smart_upgrade_netconf-*.whl
}

if [ -n "$context_only" ]; then
    mkdir -p "$context_only"
    cp "$here/Containerfile" "$context_only/"
    make_wheelhouse "$context_only/wheelhouse"
    echo "Build context in $context_only: Containerfile, wheelhouse/"
    exit 0
fi

tools/apt-install.sh podman runc mmdebstrap uidmap
# crun, podman's default runtime, fails where cgroups are in hybrid mode; runc works everywhere
podman=(podman --runtime runc)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/$here/containers.conf}

suite=bookworm
mmdebstrap_options=(
    --variant=minbase --include=python3,python3-venv,ca-certificates
    # merged /usr without the usrmerge package, which brings Perl (50 MB) along
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
)
key=$(printf '%s\n' "$suite" "${mmdebstrap_options[@]}" | sha256sum | cut -c1-12)
base=localhost/smartupgrade-sim-base:$suite-$key
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
if ! "${podman[@]}" image exists "$base"; then
    echo "Building the base image $base with mmdebstrap" >&2
    # a file, not a pipe: a failed mmdebstrap must not leave a truncated base under that name
    if ! mmdebstrap --quiet "${mmdebstrap_options[@]}" "$suite" "$context/base.tar" \
        >"$context/mmdebstrap.log" 2>&1; then
        cat "$context/mmdebstrap.log" >&2
        exit 1
    fi
    "${podman[@]}" import "$context/base.tar" "$base" >/dev/null
    rm "$context/base.tar"
fi
wheelhouse=$context/wheelhouse
make_wheelhouse "$wheelhouse"
wheels=$(cd "$wheelhouse" && sha256sum -- *.whl | sha256sum | cut -c1-16)

previous=$("${podman[@]}" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
"${podman[@]}" build --quiet --layers --file "$here/Containerfile" \
    --build-arg "BASE=$base" --build-arg "WHEELS=$wheels" --tag "$tag" "$context" >/dev/null
current=$("${podman[@]}" image inspect --format '{{.Id}}' "$tag")
# the image this tag named before, unless a container still uses it
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
    "${podman[@]}" rmi "$previous" >/dev/null 2>&1 || true
fi
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
echo "Built $tag: $((size / 1000000)) MB (base $base)"
