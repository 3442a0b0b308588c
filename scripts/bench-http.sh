#!/usr/bin/env bash
# Load benchmark of the transport: requests per second and latency of a trivial endpoint
# (the agent's GET /health) over loopback, plain and TLS, keep-alive, driven by wrk.
# Runs each configuration RUNS times (default 3) and prints the median of each figure.
#
#   scripts/bench-http.sh            # after scripts/build.sh
#   RUNS=5 DURATION=10 CONNECTIONS=64 scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-3}"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-64}"
agent=build/bin/berth-agent
[ -x "$agent" ] || { echo "bench-http: build first (scripts/build.sh)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench-http: wrk is missing (scripts/install-deps.sh)" >&2; exit 1; }

tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# A throw-away CA and server certificate for localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=bench CA" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
  -CAcreateserial -days 1 -extfile "$tmp/san.ext" -out "$tmp/server.pem" 2>/dev/null

start_agent() {  # $1: plain|tls
  local env=()
  if [ "$1" = tls ]; then
    env=(BERTH_SSL_ENABLED=true BERTH_SSL_CERT_FILE="$tmp/server.pem"
         BERTH_SSL_KEY_FILE="$tmp/server.key")
  fi
  env "${env[@]}" "$agent" --port=0 --work_dir="$tmp/work" --runtime_dir="$tmp/run" \
    2> "$tmp/agent.log" &
  pid=$!
  for _ in $(seq 100); do
    url=$(grep -o 'https\?://[0-9.]*:[0-9]*' "$tmp/agent.log" | head -1 || true)
    [ -n "$url" ] && return
    sleep 0.05
  done
  echo "bench-http: agent did not start" >&2; cat "$tmp/agent.log" >&2; exit 1
}

# wrk prints latency with units; normalise to microseconds.
to_us() {
  awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); print v }
         else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 }
         else if (v ~ /s$/)  { sub(/s$/,"",v);  print v*1000000 } }'
}
median() { sort -n | awk '{a[NR]=$1} END { print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }

echo "wrk -t1 -c$connections -d${duration}s, $runs runs each; medians"
printf '%-6s %12s %10s %10s\n' mode "req/s" "p50 us" "p99 us"
for mode in plain tls; do
  start_agent "$mode"
  : > "$tmp/rps"; : > "$tmp/p50"; : > "$tmp/p99"
  wrk -t1 -c"$connections" -d2s "$url/health" >/dev/null  # warm-up
  for _ in $(seq "$runs"); do
    out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "$url/health")
    if echo "$out" | grep -q 'Non-2xx\|Socket errors'; then
      echo "bench-http: errors during the run:" >&2; echo "$out" >&2; exit 1
    fi
    echo "$out" | awk '/Requests\/sec/ {print $2}' >> "$tmp/rps"
    echo "$out" | awk '$1=="50%" {print $2}' | to_us >> "$tmp/p50"
    echo "$out" | awk '$1=="99%" {print $2}' | to_us >> "$tmp/p99"
  done
  printf '%-6s %12.0f %10.0f %10.0f\n' "$mode" "$(median < "$tmp/rps")" \
    "$(median < "$tmp/p50")" "$(median < "$tmp/p99")"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
