#!/usr/bin/env bash
# The dashboard browser test against `hikbridge demo` (the README's first command), in Debian's
# headless Chromium:
#
#   tests/browser/run-demo.sh [path/to/hikbridge]      # default target/debug/hikbridge
#
# Starts the demo on a free local port with a throw-away data directory, reads the
# `dashboard: <url>` line it prints (and the read-only and sync-only clients' URLs below it),
# runs dashboard.test.mjs against them, and stops the demo. Needs chromium (apt-get install -y chromium) and Node.js; installs playwright-core
# from the lock file when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/target/debug/hikbridge}"
work="$(mktemp -d)"
demo_pid=""

cleanup() {
  if [ -n "$demo_pid" ]; then
    kill -INT "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "run-demo: no hikbridge binary at $bin" >&2; exit 2; }
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null ||
  { echo "run-demo: no Chromium; apt-get install -y chromium" >&2; exit 2; }
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-fund --no-audit)

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
HIKBRIDGE__SERVER__LISTEN="127.0.0.1:$port" "$bin" demo --data-dir "$work/data" --people 120 \
  >"$work/demo.out" 2>"$work/demo.log" &
demo_pid=$!

url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/^dashboard: //p' "$work/demo.out" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$url" ]; then
  echo "run-demo: the demo printed no dashboard line" >&2
  cat "$work/demo.out" >&2; tail -30 "$work/demo.log" >&2
  exit 1
fi
readonly_url="$(sed -n 's/^  read-only dashboard.*: \(http[^ ]*\)$/\1/p' "$work/demo.out" | head -1)"
sync_url="$(sed -n "s/^  the SIAD application's token.*: \(http[^ ]*\)\$/\1/p" "$work/demo.out" | head -1)"
if [ -z "$readonly_url" ] || [ -z "$sync_url" ]; then
  echo "run-demo: the demo printed no read-only or sync-only client URL" >&2
  cat "$work/demo.out" >&2
  exit 1
fi
echo "run-demo: $(printf '%s' "$url" | sed 's/#token=.*/#token=…/')"

status=0
DASHBOARD_URL="$url" DASHBOARD_READONLY_URL="$readonly_url" DASHBOARD_SYNC_URL="$sync_url" \
    node "$here/dashboard.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run-demo: demo output and the last 40 log lines:" >&2
  cat "$work/demo.out" >&2; tail -40 "$work/demo.log" >&2
fi
exit "$status"
