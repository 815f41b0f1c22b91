#!/bin/bash
# sipp (Debian's sip-tester) against confstated over TCP: focus_calls.xml
# run CALLS times at RATE calls/s from one sipp process acting as a trusted
# proxy. Every call must succeed (sipp checks each response and request the
# scenario expects, and the regular expressions on their bodies), and the
# server must drain and exit 0 on SIGTERM afterwards.
set -u
CONFSTATED="$1"
SCENARIO="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
CALLS="${3:-300}"
RATE="${4:-100}"
OUT="${TEST_TMPDIR:-$(mktemp -d)}"

fail() {
  echo "FAIL: $*" >&2
  [ -f "$OUT/server.log" ] && tail -20 "$OUT/server.log" >&2
  [ -f "$OUT/sipp_errors.log" ] && tail -20 "$OUT/sipp_errors.log" >&2
  exit 1
}
command -v sipp > /dev/null || fail "sipp is not installed (sip-tester)"

"$CONFSTATED" --sip_tcp=127.0.0.1:0 --admin=127.0.0.1:0 \
  --trusted_peers=127.0.0.1/32 --ready_file="$OUT/ready" \
  2> "$OUT/server.log" &
SERVER=$!
trap 'kill -9 $SERVER 2> /dev/null' EXIT
for _ in $(seq 100); do
  [ -f "$OUT/ready" ] && break
  kill -0 $SERVER 2> /dev/null || fail "confstated exited at start"
  sleep 0.05
done
[ -f "$OUT/ready" ] || fail "confstated did not get ready"
PORT=$(awk '$1 == "sip_tcp" {print $2}' "$OUT/ready")

(cd "$OUT" && timeout 120 sipp -t t1 -sf "$SCENARIO" "127.0.0.1:$PORT" \
  -m "$CALLS" -r "$RATE" -timeout 60s -nostdin -trace_err \
  -error_file "$OUT/sipp_errors.log" > "$OUT/sipp.txt" 2>&1)
RC=$?
[ "$RC" = 0 ] || fail "sipp exited $RC: $(grep -E 'Successful call|Failed call' "$OUT/sipp.txt" | tail -2)"
grep -Eq "Successful call +\| +[0-9]+ +\| +$CALLS " "$OUT/sipp.txt" ||
  fail "not $CALLS successful calls: $(grep -E 'Successful call' "$OUT/sipp.txt" | tail -1)"

kill -TERM $SERVER
wait $SERVER
CODE=$?
trap - EXIT
[ "$CODE" = 0 ] || fail "confstated exited $CODE after SIGTERM"
grep -q 'event=stopped' "$OUT/server.log" || fail "no drain in the log"
echo "PASS: $CALLS sipp calls"
