#!/usr/bin/env bash
# Fails, listing the files, when any C or C++ file in the tree differs from .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.cc' '*.h' '*.hpp')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: run clang-format -i on: ${bad[*]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
