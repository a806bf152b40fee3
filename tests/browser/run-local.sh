#!/usr/bin/env bash
# Runs the dashboard browser test end to end on this machine: the Humand simulator, a hikbridge
# with a throw-away SQLite store, the sample events pushed live, and headless Chromium.
#
#   HIKBRIDGE_BIN=target/debug/hikbridge tests/browser/run-local.sh
#
# When the binary does not serve the dashboard yet (GET / is not HTML), dev-server.mjs serves
# assets/dashboard/ in front of it. Ports: PORT_BASE+444 (Humand simulator), +80 (hikbridge),
# +81 (dev server); PORT_BASE defaults to 19000. Everything started here is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${HIKBRIDGE_BIN:-$repo/target/debug/hikbridge}"
base="${PORT_BASE:-19000}"
humand_port=$((base + 444)); api_port=$((base + 80)); dev_port=$((base + 81))
token="dashboard-test-token-$RANDOM$RANDOM"
secret="dashboard-test-callback-$RANDOM$RANDOM"
work="$(mktemp -d)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "run-local: no hikbridge binary at $bin (set HIKBRIDGE_BIN)" >&2; exit 2; }
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || { echo "run-local: no Chromium; apt-get install -y chromium" >&2; exit 2; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-fund --no-audit)

wait_http() { # url, what
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "run-local: $2 did not answer at $1" >&2; tail -20 "$work"/*.log >&2 || true; exit 1
}

(cd "$work" && exec "$bin" sim humand --port "$humand_port" --users 5) >"$work/humand.log" 2>&1 &
pids+=($!)

(
  cd "$work"
  export HIKBRIDGE__SERVER__LISTEN="127.0.0.1:$api_port"
  export HIKBRIDGE__STORE__URL="sqlite://$work/hikbridge.db"
  export HIKBRIDGE__HUMAND__BASE_URL="http://127.0.0.1:$humand_port/public/api/v1"
  export HIKBRIDGE__HUMAND__API_KEY=ZGVtby1pZDpkZW1vLXNlY3JldA==
  export HIKBRIDGE__EVENTS__CALLBACK_SECRET="$secret"
  export HIKBRIDGE__API__TOKENS="$token"
  export HIKBRIDGE__ATTENDANCE__DOORS='code:11=entry,name:Facial Salida=exit'
  export HIKBRIDGE__DELIVERY__SETTLE_SECS=0
  exec "$bin" serve
) >"$work/serve.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$api_port/health" "hikbridge"

# The samples' person code 1712345678 is employee 10000001 of the simulator; 0923456789 is
# unknown to it, so its punches are parked (humand_rejected).
curl -fsS -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"employeeId":"10000001"}' "http://127.0.0.1:$api_port/admin/overrides/1712345678" >/dev/null

url="http://127.0.0.1:$api_port/"
if ! curl -fsS "$url" 2>/dev/null | grep -qi '<html'; then
  BACKEND="http://127.0.0.1:$api_port" PORT="$dev_port" node "$here/dev-server.mjs" >"$work/dev.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$dev_port/dashboard/app.js" "dev-server"
  url="http://127.0.0.1:$dev_port/"
fi

BASE="http://127.0.0.1:$api_port" SECRET="$secret" ROUNDS=60 INTERVAL_MS=2000 \
  node "$here/feed-events.mjs" >"$work/feed.log" 2>&1 &
pids+=($!)

status=0
DASHBOARD_URL="${url}#token=$token" node "$here/dashboard.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run-local: hikbridge log (last 30 lines):" >&2
  tail -30 "$work/serve.log" >&2 || true
fi
exit "$status"
