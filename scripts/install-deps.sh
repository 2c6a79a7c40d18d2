#!/usr/bin/env bash
# Installs every Debian package that depthguard's build, tests, benchmarks and demo need.
# Idempotent: when all packages are present it only runs dpkg-query and exits.
# --peer adds what bench/peer/run.sh needs (Debian's PyTorch and torchvision).
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  ccache
  pkg-config
  libtorch-dev
  libgloo-dev
  libgoogle-perftools-dev
  libopenblas0-pthread
  libopencv-dev
  libyaml-cpp-dev
  libcli11-dev
  libspdlog-dev
  libfmt-dev
  nlohmann-json3-dev
  zlib1g-dev
  libpng-dev
  libjpeg-dev
  libprotobuf-dev
  protobuf-compiler
  libjs-chart.js
  chromium
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  python3-dev
  python3-venv
  python3-torch
  python3-pytest
  pybind11-dev
)
# python3-torch, python3-dev, pybind11-dev and python3-pytest: the Python package against Debian's
# LibTorch 1.13 and its tests (the CLI's training never needs Python). Benchmark-only: torchvision
# for the plain-PyTorch peer of bench/peer/.
if [ "${1:-}" = "--peer" ]; then PACKAGES+=(python3-torchvision); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
