#!/usr/bin/env bash
# Configures and builds Berth into build/ (or $BERTH_BUILD_DIR). Extra arguments go to
# CMake's configure step, e.g. scripts/build.sh -DBERTH_SANITIZE=address,undefined.
# With CI=true warnings are errors; otherwise the setting already in the build directory
# stays, so that switching between README commands 1 and 2 does not rebuild everything.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${BERTH_BUILD_DIR:-build}"
werror=()
[ "${CI:-}" = "true" ] && werror=(-DBERTH_WERROR=ON)

generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S . -B "$build_dir" "${generator[@]}" "${werror[@]}" "$@"
cmake --build "$build_dir" --parallel "$(nproc)"
