#!/bin/bash
# confstated end to end over TCP with an independent SIP client
# (tests/sip/e2e_client.py, Python standard library only): starts the server
# on 127.0.0.1 port 0 as a trusted peer's destination, runs the seed's
# getConference scenario and the hostile-input checks, then stops the server
# with SIGTERM while the client is subscribed and checks the drain: the
# client got NOTIFY Subscription-State: terminated;reason=deactivated and
# the server exited 0.
#
#   confstated_e2e_test.sh CONFSTATED E2E_CLIENT_PY
set -u
CONFSTATED="$1"
CLIENT="$2"
PYTHON=/usr/bin/python3  # not the pyenv python on PATH
DATA=tests/testdata/seed_scenario
SEED_RESPONSE=tests/testdata/seed/getConference.response.normalized.xml
OUT="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/confstated_e2e"
rm -rf "$OUT"
mkdir -p "$OUT"

SERVER_PID=
CLIENT_PID=
cleanup() {
  # Only the processes this script started, by their ids.
  [ -n "$CLIENT_PID" ] && kill -KILL "$CLIENT_PID" 2> /dev/null
  [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2> /dev/null
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in client.log server.log; do
    [ -s "$OUT/$f" ] && { echo "--- $f (last 40 lines)" >&2; tail -n 40 "$OUT/$f" >&2; }
  done
  exit 1
}
# Waits up to $2 seconds for process $1 to end; its exit status in $STATUS.
wait_exit() {
  local _
  for _ in $(seq 1 $(($2 * 10))); do
    if ! kill -0 "$1" 2> /dev/null; then
      wait "$1"
      STATUS=$?
      return 0
    fi
    sleep 0.1
  done
  return 1
}

[ -x "$PYTHON" ] || fail "$PYTHON not found"
command -v openssl > /dev/null || fail "openssl not found"
# ../shared beside the workspace, found through the real path of a runfile
# (as tests/shared_data.cc does).
real=$(readlink -f "$SEED_RESPONSE")
SHARED_SEED="${real%/"$SEED_RESPONSE"}/../shared/testdata/seed"
[ -f "$SHARED_SEED/getConference.response.sip" ] ||
  fail "../shared not found next to the workspace (looked in $SHARED_SEED)"

"$CONFSTATED" --sip_tcp=127.0.0.1:0 --admin=127.0.0.1:0 \
  --ready_file="$OUT/ready" --trusted_peers=127.0.0.1/32 \
  --message_deadline=1s --drain_grace=2s --loops=2 \
  > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -f "$OUT/ready" ] && break
  kill -0 "$SERVER_PID" 2> /dev/null || fail "confstated exited before serving"
  sleep 0.1
done
[ -f "$OUT/ready" ] || fail "confstated wrote no ready file within 10 s"
SIP_PORT=$(awk '$1 == "sip_tcp" { print $2 }' "$OUT/ready")
ADMIN_PORT=$(awk '$1 == "admin" { print $2 }' "$OUT/ready")
if [ -z "$SIP_PORT" ] || [ -z "$ADMIN_PORT" ]; then
  fail "ready file: $(cat "$OUT/ready")"
fi

"$PYTHON" "$CLIENT" --port="$SIP_PORT" --admin_port="$ADMIN_PORT" \
  --data="$DATA" --seed_response="$SEED_RESPONSE" --seed_sip="$SHARED_SEED" \
  --out="$OUT" --sigterm_marker="$OUT/sigterm_now" > "$OUT/client.log" 2>&1 &
CLIENT_PID=$!

# The client creates the marker once subscribed and done with the scenario.
for _ in $(seq 1 900); do
  [ -f "$OUT/sigterm_now" ] && break
  kill -0 "$CLIENT_PID" 2> /dev/null || break
  sleep 0.1
done
if [ ! -f "$OUT/sigterm_now" ]; then
  STATUS=running
  wait_exit "$CLIENT_PID" 1
  CLIENT_PID=
  fail "the client ended before the drain (exit $STATUS)"
fi

kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 15 || fail "confstated still running 15 s after SIGTERM"
SERVER_PID=
[ "$STATUS" = 0 ] || fail "confstated exited $STATUS after SIGTERM, want 0"
grep -q 'event=stopped' "$OUT/server.log" || fail "no event=stopped in the server log"

wait_exit "$CLIENT_PID" 15 || fail "the client still running after the drain"
CLIENT_PID=
[ "$STATUS" = 0 ] || fail "the client failed (exit $STATUS)"
tr -d '\r' < "$OUT/terminating_notify.txt" |
  grep -qx 'Subscription-State: terminated;reason=deactivated' ||
  fail "terminating NOTIFY: $(cat "$OUT/terminating_notify.txt")"

cat "$OUT/client.log"
echo PASS
