#!/usr/bin/env bash
# README command 1: installs the dependencies, builds, and runs a local Berth cluster on
# loopback with its data under ./.berth-data. Today the cluster is the agent in standalone
# mode; the master joins it when it exists. Ctrl-C stops the agent cleanly; containers still
# running keep running (as with Mesos) and the next start recovers them.
#
# Environment: BERTH_AGENT_PORT (default 5051), BERTH_DATA_DIR (default ./.berth-data),
# and any BERTH_SSL_* variable to run with TLS (see docs/tls.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh -DBERTH_BUILD_TESTS=ON

data_dir="$(realpath -m "${BERTH_DATA_DIR:-.berth-data}")"
port="${BERTH_AGENT_PORT:-5051}"
mkdir -p "$data_dir"

# As root the agent runs containers with the linux launcher and the ipc, shm and nnp
# isolators; otherwise it serves its API without them (they need cgroups and namespaces).
launcher=()
if [ "$(id -u)" -eq 0 ]; then
  printf '{"linux-launcher": {"runtime_dir": "%s"}}\n' "$data_dir/agent/launcher" \
    > "$data_dir/plugins.json"
  launcher=(--launcher=linux-launcher --plugin_config="$data_dir/plugins.json"
    --isolation=ipc,shm,nnp --default_container_shm_size=64MB)
fi

build/bin/berth-agent --ip=127.0.0.1 --port="$port" \
  --work_dir="$data_dir/agent/work" --runtime_dir="$data_dir/agent/run" "${launcher[@]}" \
  2> >(tee "$data_dir/agent.log" >&2) &
agent=$!

stop() {
  kill -TERM "$agent" 2>/dev/null || true
  wait "$agent" 2>/dev/null || true
  echo "dev-cluster: stopped; data kept in $data_dir"
}
trap stop INT TERM

scheme=http
[ "${BERTH_SSL_ENABLED:-${LIBPROCESS_SSL_ENABLED:-false}}" = "true" ] && scheme=https
for _ in $(seq 50); do
  grep -q "serving the agent API" "$data_dir/agent.log" 2>/dev/null && break
  kill -0 "$agent" 2>/dev/null || { echo "dev-cluster: the agent failed to start" >&2; exit 1; }
  sleep 0.1
done
cat <<MSG

dev-cluster: agent API at $scheme://127.0.0.1:$port/api/v1 (data in $data_dir)
  try: curl -s -H 'Content-Type: application/json' -d '{"type":"GET_HEALTH"}' $scheme://127.0.0.1:$port/api/v1
Press Ctrl-C to stop.
MSG
wait "$agent"
