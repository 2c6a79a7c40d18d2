#!/usr/bin/env bash
# The Python package as a user installs it (docs/python.md): a fresh virtual environment that
# already has torch, `pip install --no-build-isolation` of this source tree into it, then the
# package's tests against that install (its own depthguard and depthguard CLI, not the build
# tree's). CI runs it after make test, with the pinned torch from the pip cache.
#   scripts/pip-install-check.sh [DIR]       DIR (default build/pip-check) is made afresh
#   TORCH_VERSION=2.10.0 scripts/pip-install-check.sh build/pip-torch2.10
#                                            another torch (its pytest only: no Lightning)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-$root/build/pip-check}")
cd "$root"
rm -rf "$dir"
python3 -m venv "$dir/venv"
pip=("$dir/venv/bin/python" -m pip --disable-pip-version-check)
if [ -n "${TORCH_VERSION:-}" ]; then
  "${pip[@]}" install --quiet "torch==$TORCH_VERSION" "$(grep -x 'pytest==.*' requirements-torch2.txt)" \
    "$(grep -x 'numpy==.*' requirements-torch2.txt)" -r requirements-build.txt
else
  "${pip[@]}" install --quiet -r requirements-torch2.txt
fi
torch=$("$dir/venv/bin/python" -c 'import torch; print(torch.__version__)')
echo "pip-install-check: torch $torch in $dir/venv; pip install --no-build-isolation $root"
start=$(date +%s)
"${pip[@]}" install --quiet --no-build-isolation "$root"
echo "pip-install-check: built and installed in $(($(date +%s) - start)) s"
cd "$dir"  # away from the source tree: the tests import the installed package
"$dir/venv/bin/python" -c 'import depthguard, torch; print("pip-install-check: depthguard", depthguard.__version__, "from", depthguard.__file__)'
DEPTHGUARD_CLI="$dir/venv/bin/depthguard" "$dir/venv/bin/python" -m pytest -q -p no:cacheprovider "$root/tests/python"
