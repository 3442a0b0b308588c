#!/usr/bin/env bash
# The vendor's path, as sdk/README.md tells it: install the SDK, build each example out of
# tree against it (CMake package, and pkg-config for the C one), validate the results with
# the installed berth-plugin-check, and load one into a real agent.
#   out_of_tree_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source="$2"
tmp="$(mktemp -d)"
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
check="$tmp/prefix/bin/berth-plugin-check"

for example in c-env-isolator cpp-rlimit-isolator; do
  cmake -S "$source/sdk/examples/$example" -B "$tmp/$example" \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
  cmake --build "$tmp/$example" >/dev/null
done
"$check" "$tmp/c-env-isolator/berth-example-env.so" --config env.TEAM=payments
"$check" "$tmp/cpp-rlimit-isolator/berth-example-rlimit.so" --config RLIMIT_NOFILE=1024:4096

# pkg-config, without CMake.
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
printf '{ global: berth_plugin_entry_v1; local: *; };\n' > "$tmp/entry.map"
# shellcheck disable=SC2046
cc -std=c11 -shared -fPIC -fvisibility=hidden -Wl,-z,defs -Wl,--version-script="$tmp/entry.map" \
  -o "$tmp/berth-example-env-pc.so" "$source/sdk/examples/c-env-isolator/plugin.c" \
  $(pkg-config --cflags --libs berth-sdk)
"$check" "$tmp/berth-example-env-pc.so" --only exports
"$check" "$tmp/berth-example-env-pc.so" --only operations

# Loaded by a real agent from its own plugins directory.
mkdir -p "$tmp/plugins"
cp "$tmp/c-env-isolator/berth-example-env.so" "$tmp/plugins/"
printf '{"example-env": {"env.TEAM": "payments"}}\n' > "$tmp/plugins.json"
"$build/bin/berth-agent" --work_dir="$tmp/work" --runtime_dir="$tmp/run" --port=0 \
  --plugins_dir="$tmp/plugins" --isolation=example-env --plugin_config="$tmp/plugins.json" \
  2> "$tmp/agent.log" &
agent_pid=$!
for _ in $(seq 100); do
  grep -q "serving the agent API" "$tmp/agent.log" && break
  sleep 0.05
done
grep -q "Loaded plugin 'example-env' 1.0.0" "$tmp/agent.log" || { cat "$tmp/agent.log"; exit 1; }
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/agent.log" | head -1)
curl -sf "$url/containerizer/debug" | grep -q '"pending":\[\]'
echo "out-of-tree SDK build, validation and agent load: ok"
