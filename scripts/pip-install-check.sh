#!/usr/bin/env bash
# The Python package as a PyTorch user installs it (docs/python.md): a fresh virtual
# environment that has torch, the build requirements (requirements-build.txt) and a C++
# compiler, and nothing else of depthguard's: the build runs in a mount namespace where
# /usr/include holds only the C and C++ toolchain's headers (libc, Linux, libstdc++), the
# CMake configs of Debian's libraries and the CUDA toolkit are covered, and no nvcc is on
# PATH. Then: the build time (ccache off), the libraries the extension links (`readelf -d`:
# torch's and the C and C++ runtime's only; `ldd`: none missing), and the package's tests
# against that install (`python -m depthguard diagnose` among them). CI runs it after make test, with the pinned torch (requirements-torch2.txt).
#   scripts/pip-install-check.sh [DIR]       DIR (default build/pip-check) is made afresh
#   TORCH_VERSION=2.10.0 scripts/pip-install-check.sh build/pip-torch2.10
#                                            another torch (its pytest only: no Lightning)
# Needs root (or unprivileged user namespaces) for unshare --mount.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-$root/build/pip-check}")
cd "$root"
rm -rf "$dir"
python3 -m venv "$dir/venv"
python="$dir/venv/bin/python"
pip=("$python" -m pip --disable-pip-version-check)
if [ -n "${TORCH_VERSION:-}" ]; then
  "${pip[@]}" install --quiet "torch==$TORCH_VERSION" "$(grep -x 'pytest==.*' requirements-torch2.txt)" \
    "$(grep -x 'numpy==.*' requirements-torch2.txt)" -r requirements-build.txt
else
  "${pip[@]}" install --quiet -r requirements-torch2.txt
fi
torch=$("$python" -c 'import torch; print(torch.__version__)')

# /usr/include as the toolchain alone has it: the files of the C library's, Linux's and
# libstdc++'s -dev packages, copied into DIR/toolchain-include.
gcc_major=$(g++ -dumpversion | cut -d. -f1)
toolchain=(libc6-dev linux-libc-dev "libstdc++-${gcc_major}-dev" libcrypt-dev)
mkdir -p "$dir/toolchain-include"
dpkg -L "${toolchain[@]}" | grep '^/usr/include/' | while IFS= read -r f; do
  [ -d "$f" ] && [ ! -L "$f" ] || printf '%s\n' "$f"
done | tar -cf - --no-recursion -T - 2>/dev/null | tar -xf - -C "$dir/toolchain-include"
covered=(/usr/local/include /usr/lib/x86_64-linux-gnu/cmake /usr/lib/cmake /usr/share/cmake)
for cuda in /usr/local/cuda /usr/local/cuda-*; do [ -d "$cuda" ] && covered+=("$cuda"); done

echo "pip-install-check: torch $torch in $dir/venv; pip install --no-build-isolation $root, with only" \
     "${toolchain[*]} in /usr/include, ${covered[*]} covered, no nvcc"
log="$dir/build.log"
unshare --mount --propagation private -- env ROOT="$root" DIR="$dir" PYTHON="$python" LOG="$log" \
  COVERED="${covered[*]}" bash -euo pipefail -c '
  mount --bind "$DIR/toolchain-include/usr/include" /usr/include
  for d in $COVERED; do [ -d "$d" ] && mount -t tmpfs none "$d"; done
  export PATH="$DIR/venv/bin:/usr/bin:/bin" CCACHE_DISABLE=1
  # What is hidden is hidden: a trainer-tier header does not compile, and there is no nvcc.
  for header in spdlog/spdlog.h opencv2/core.hpp yaml-cpp/yaml.h nlohmann/json.hpp fmt/format.h png.h torch/torch.h; do
    if echo "#include <$header>" | g++ -fsyntax-only -x c++ - 2>/dev/null; then
      echo "pip-install-check: <$header> is still visible" >&2; exit 1
    fi
  done
  if command -v nvcc > /dev/null; then echo "pip-install-check: nvcc is still on PATH" >&2; exit 1; fi
  start=$SECONDS
  if ! "$PYTHON" -m pip install --quiet --no-build-isolation --no-cache-dir "$ROOT" > "$LOG" 2>&1; then
    cat "$LOG" >&2; exit 1
  fi
  echo "pip-install-check: built and installed in $((SECONDS - start)) s ($(nproc) cores, ccache off)"
'

cd "$dir"  # away from the source tree: the tests import the installed package
"$python" -c 'import depthguard, torch; print("pip-install-check: depthguard", depthguard.__version__, "from", depthguard.__file__)'
extension=$("$python" -c 'import depthguard._C as c; print(c.__file__)')
torch_lib=$("$python" -c 'import os, torch; print(os.path.realpath(os.path.join(os.path.dirname(torch.__file__), "lib")))')
# The libraries the extension links (its NEEDED entries): torch's own, found in torch's lib
# directory, or the C/C++ runtime's; and nothing it loads is missing.
if ldd "$extension" | grep -q 'not found'; then
  echo "pip-install-check: a library of $extension is not found:" >&2; ldd "$extension" | grep 'not found' >&2; exit 1
fi
needed=$(readelf -d "$extension" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for name in $needed; do
  case "$name" in
    libc.so.*|libm.so.*|libstdc++.so.*|libgcc_s.so.*|ld-linux-x86-64.so.*) continue ;;
  esac
  path=$(ldd "$extension" | awk -v n="$name" '$1 == n {print $3}')
  if [[ "$(realpath "$path")" != "$torch_lib"/* ]]; then
    echo "pip-install-check: $extension links $name ($path), which is neither torch's nor the C/C++ runtime's" >&2
    exit 1
  fi
done
echo "pip-install-check: $(basename "$extension") links:" $needed
"$python" -m pytest -q -p no:cacheprovider "$root/tests/python"
