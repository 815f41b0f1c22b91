#!/usr/bin/env bash
# usage: metrics_exposition_test.sh METRICS_SAMPLE CHECK_PY
#
# Checks metrics_sample's text with Debian's python3-prometheus-client, then
# scrapes and probes it over HTTP with curl: the bytes served equal the bytes
# rendered, and the status codes are the documented ones. Loopback only.
set -euo pipefail
sample=$1
check=$2
python=/usr/bin/python3  # Debian's, which has prometheus_client.
tmp=${TEST_TMPDIR:-$(mktemp -d)}

"$sample" render >"$tmp/rendered.txt"
"$python" "$check" "$tmp/rendered.txt"

coproc SERVER { exec "$sample" serve; }
server_pid=$SERVER_PID
server_in=${SERVER[1]}
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
read -r port <&"${SERVER[0]}"
base="http://127.0.0.1:$port"

fetch() { curl --silent --noproxy '*' --max-time 10 "$@"; }
status() { fetch --output /dev/null --write-out '%{http_code}' "$@"; }
expect_status() {
  local want=$1 got
  shift
  got=$(status "$@")
  if [ "$got" != "$want" ]; then
    echo "FAIL: curl $*: status $got, want $want" >&2
    exit 1
  fi
}

fetch --fail --dump-header "$tmp/headers.txt" --output "$tmp/scraped.txt" \
  "$base/metrics"
cmp "$tmp/rendered.txt" "$tmp/scraped.txt"
tr -d '\r' <"$tmp/headers.txt" |
  grep -ixF 'content-type: text/plain; version=0.0.4; charset=utf-8' >/dev/null
"$python" "$check" "$tmp/scraped.txt"

expect_status 200 "$base/healthz"
expect_status 200 "$base/ready"
expect_status 200 --head "$base/metrics"
expect_status 404 "$base/nowhere"
expect_status 405 --request POST "$base/metrics"
expect_status 405 --request DELETE "$base/ready"
big=$(head -c 9000 /dev/zero | tr '\0' a)
expect_status 431 --header "X-Big: $big" "$base/metrics"
expect_status 200 "$base/metrics"  # Still serving.

eval "exec $server_in>&-"  # End of stdin: the server stops.
wait "$server_pid"
trap - EXIT
echo "ok: rendered, parsed, scraped and probed"
