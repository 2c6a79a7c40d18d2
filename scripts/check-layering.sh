#!/usr/bin/env bash
# Checks the module layering of src/depthguard (docs/architecture.md): a module may include
# only itself and the modules below it; modules on one layer are peers and must not include
# each other. And the guard tier (the layers up to guard and runlog, which the Python package
# is built from) includes nothing but LibTorch, fmt, nlohmann-json, the C++ standard library
# and POSIX: no header of a library the trainer tier links (OpenCV, spdlog, yaml-cpp, ...).
# Prints FILE:LINE and the offending include for each violation and exits 1;
# exits 0 when the layering holds. Usage: scripts/check-layering.sh [SOURCE_ROOT]
# (default: the repository's src/). Needs only bash, grep and awk.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src}"
src="$root/depthguard"
[[ -d "$src" ]] || { echo "check-layering: no $src" >&2; exit 2; }

# Bottom first; modules on one line share a layer.
layers=(
  "core"
  "runtime"
  "guard runlog"
  "dist numerics"
  "data losses metrics models"
  "optim"
  "report"
  "config"
  "train"
  "study"
)

declare -A layer_of=()
for i in "${!layers[@]}"; do
  for m in ${layers[$i]}; do layer_of[$m]=$i; done
done

status=0
# Every directory directly under src/depthguard must have a layer (so a new module is placed
# deliberately); files directly under it (pch.h) belong to no module and are not checked.
for dir in "$src"/*/; do
  m=$(basename "$dir")
  if [[ -z "${layer_of[$m]+x}" ]]; then
    echo "check-layering: module '$m' has no layer; add it to scripts/check-layering.sh and docs/architecture.md"
    status=1
  fi
done

while IFS= read -r hit; do
  # hit: PATH:LINE:#include "depthguard/TARGET/..."
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  include=${rest#*:}
  rel=${file#"$src"/}
  from=${rel%%/*}
  to=$(sed -E 's|.*#[[:space:]]*include[[:space:]]*"depthguard/([^/"]+)/.*|\1|' <<<"$include")
  [[ "$from" == "$to" ]] && continue
  [[ -z "${layer_of[$from]+x}" ]] && continue  # reported above
  if [[ -z "${layer_of[$to]+x}" ]]; then
    echo "${file#"$(dirname "$root")"/}:$line: $from includes unknown module '$to': $include"
    status=1
  elif (( layer_of[$to] > layer_of[$from] )); then
    echo "${file#"$(dirname "$root")"/}:$line: $from includes $to, a module above it: $include"
    status=1
  elif (( layer_of[$to] == layer_of[$from] )); then
    echo "${file#"$(dirname "$root")"/}:$line: $from includes $to, a peer on its layer: $include"
    status=1
  fi
done < <(grep -rnE --include='*.h' --include='*.cpp' --include='*.hpp' --include='*.cc' \
           '^[[:space:]]*#[[:space:]]*include[[:space:]]*"depthguard/[^/"]+/' "$src"/*/ || true)

# The guard tier: its layers, and the system headers it may include. Headers with a directory
# must come from LibTorch (torch/ ATen/ c10/), fmt, nlohmann-json or POSIX's sys/; headers
# without one must be the C++ standard library's (no extension) or POSIX's.
guard_tier_top=2
allowed_dirs='^(torch|ATen|c10|fmt|nlohmann|sys)/'
posix_headers=' dlfcn.h fcntl.h signal.h spawn.h unistd.h pthread.h errno.h '
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  header=$(sed -E 's|.*#[[:space:]]*include[[:space:]]*<([^>]+)>.*|\1|' <<<"${rest#*:}")
  rel=${file#"$src"/}
  from=${rel%%/*}
  [[ -z "${layer_of[$from]+x}" ]] && continue
  (( layer_of[$from] > guard_tier_top )) && continue
  if [[ "$header" == */* ]]; then
    [[ "$header" =~ $allowed_dirs ]] && continue
  elif [[ "$header" != *.* || "$posix_headers" == *" $header "* ]]; then
    continue
  fi
  echo "${file#"$(dirname "$root")"/}:$line: $from is in the guard tier (LibTorch alone) and includes <$header>"
  status=1
done < <(grep -rnE --include='*.h' --include='*.cpp' '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$src"/*/ || true)

if (( status == 0 )); then
  echo "check-layering: OK (${#layer_of[@]} modules, no upward or peer include; the guard tier includes LibTorch, fmt and nlohmann-json only)"
fi
exit $status
