#!/usr/bin/env bash
# README command 2, and exactly what CI runs (.ci/run): installs the dependencies, checks
# formatting, builds everything with warnings as errors, and runs the whole test suite.
# Tests named ROOT_* skip themselves, saying why, when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/check-format.sh
CI=true bash scripts/build.sh -DBERTH_BUILD_TESTS=ON -DBERTH_BUILD_BENCHMARKS=ON
cd "${BERTH_BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 300 "$@"
