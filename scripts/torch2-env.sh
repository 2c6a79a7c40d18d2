#!/usr/bin/env bash
# Prepares what the LibTorch 2.x build needs in DIR (default build/torch2; the Makefile's
# TORCH2_ENV), shared by the build directories of that line (build/, build-dev/):
#   DIR/venv   a virtual environment with requirements-torch2.txt (torch, the CUDA build
#              from PyPI, with timm, tensorboard, pytest), made again when that file changes;
#   DIR/gloo   Gloo's headers, which c10d's ProcessGroupGloo.hpp includes and no torch
#              package ships. Debian 12's libgloo-dev (2022) lacks the store API that
#              torch 2.x's header overrides, so they come from Debian unstable's
#              libgloo-dev (headers only, through apt, checked against its SHA-256).
# Prints the CMake arguments that select this LibTorch. --gloo-only: the headers alone
# (scripts/gpu-deps.sh, for a GPU machine that has its own torch).
#
#   scripts/torch2-env.sh [DIR] [--gloo-only]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build/torch2}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

GLOO_VERSION=0.0~git20250912.d97133a-2
GLOO_DEB=libgloo-dev_${GLOO_VERSION}_amd64.deb
GLOO_SHA256=2ee01a68afe26991fbb7c5ead2815f113d37da20e2587cd339408030df7d2e2a
# The .deb comes through apt itself, from the Debian archive this machine's apt already
# uses (its URI read from apt's own index targets, so no host is named here): a private apt
# state in DIR/apt with that archive's unstable suite, then `apt-get download` of the pinned
# version, checked against its SHA-256.
apt_private() {
  local dir="$build_dir/apt" uri
  uri=$(apt-get indextargets --format '$(REPO_URI)' 'Label: Debian' 'Created-By: Packages' | head -n1)
  [ -n "$uri" ] || { echo "torch2-env: apt knows no Debian archive (run apt-get update)" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial"
  printf 'Types: deb\nURIs: %s\nSuites: unstable\nComponents: main\nSigned-By: %s\n' \
    "$uri" /usr/share/keyrings/debian-archive-keyring.gpg >"$dir/sources/unstable.sources"
  APT_OPTS=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$dir/sources"
    -o Dir::Etc::preferencesparts=/dev/null -o Dir::State::Lists="$dir/lists"
    -o Dir::Cache="$dir/cache" -o Acquire::Languages=none -o APT::Sandbox::User=root)
  apt-get "${APT_OPTS[@]}" -qq update >&2 ||
    { echo "torch2-env: apt-get update of Debian unstable ($uri) failed" >&2; exit 1; }
}

gloo() {
  local dir="$build_dir/gloo"
  [ -f "$dir/usr/include/gloo/rendezvous/store.h" ] && return
  local deb="$build_dir/$GLOO_DEB"
  apt_private
  (cd "$build_dir" && apt-get "${APT_OPTS[@]}" -qq download "libgloo-dev=$GLOO_VERSION" >&2) ||
    { echo "torch2-env: apt-get download libgloo-dev=$GLOO_VERSION failed (Debian unstable moved on? pin a new version and SHA-256 here)" >&2; exit 1; }
  echo "$GLOO_SHA256  $deb" | sha256sum --check --quiet ||
    { echo "torch2-env: $deb does not have the expected SHA-256" >&2; exit 1; }
  rm -rf "$dir" "$build_dir/apt" && dpkg -x "$deb" "$dir" && rm -f "$deb"
}

venv() {
  local venv="$build_dir/venv" stamp
  stamp=$(cat requirements-torch2.txt requirements-build.txt | sha256sum | cut -d' ' -f1)
  [ "$(cat "$venv/.requirements" 2>/dev/null)" = "$stamp" ] && return
  rm -rf "$venv"
  python3 -m venv "$venv"
  echo "torch2-env: installing requirements-torch2.txt into $venv (the first time: about 5.6 GB, 2-3 minutes)" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-torch2.txt >&2
  echo "$stamp" >"$venv/.requirements"
}

gloo
args=("-DGLOO_INCLUDE_DIR=$build_dir/gloo/usr/include")
if [ "${2:-}" != "--gloo-only" ]; then
  venv
  args+=("-DDEPTHGUARD_TORCH_PYTHON=$build_dir/venv/bin/python")
fi
echo "${args[@]}"
