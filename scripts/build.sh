#!/usr/bin/env bash
# Configures and builds Berth into build/ (or $BERTH_BUILD_DIR). Extra arguments go to
# CMake's configure step, e.g. scripts/build.sh -DBERTH_SANITIZE=address,undefined.
# With CI=true warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${BERTH_BUILD_DIR:-build}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S . -B "$build_dir" "${generator[@]}" -DBERTH_WERROR="$werror" "$@"
cmake --build "$build_dir" --parallel "$(nproc)"
