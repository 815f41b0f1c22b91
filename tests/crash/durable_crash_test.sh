#!/bin/bash
# Crash durability of a durable focus: starts durable_driver in write mode,
# kills it with SIGKILL after a random 30-250 ms (every 10th time within the
# first few milliseconds, while it opens and recovers the state directory),
# then recovers the directory with durable_driver --mode=verify, which fails
# on any acknowledged change that did not survive. Every iteration continues
# the same state directory and acks file, so later runs recover what earlier
# crashes left behind.
#
# Usage: durable_crash_test.sh DRIVER [ITERATIONS]
#   CRASH_ITERATIONS (default 200) and CRASH_SEED (default 20240611) override;
#   CRASH_MAX_SECONDS (default 150) stops early, after at least 10 kills, to
#   keep the test within its time.

set -euo pipefail

readonly driver="$1"
readonly iterations="${CRASH_ITERATIONS:-${2:-200}}"
readonly max_seconds="${CRASH_MAX_SECONDS:-150}"
RANDOM="${CRASH_SEED:-20240611}"

readonly work="${TEST_TMPDIR:-$(mktemp -d)}/durable_crash"
rm -rf "${work}"
mkdir -p "${work}"
readonly state="${work}/state"
readonly acks="${work}/acks.log"
readonly log="${work}/driver.log"
: >"${log}"

start_ns=$(date +%s%N)
elapsed_ms() { echo $((($(date +%s%N) - start_ns) / 1000000)); }

fail() {
  echo "FAIL: $*" >&2
  echo "--- last lines of the driver's log (${log}) ---" >&2
  tail -n 40 "${log}" >&2 || true
  echo "--- last lines of the acks file (${acks}) ---" >&2
  tail -n 10 "${acks}" >&2 || true
  # Bazel deletes TEST_TMPDIR: keep the evidence (in outputs.zip).
  if [[ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]]; then
    tar -C "${work}" -czf "${TEST_UNDECLARED_OUTPUTS_DIR}/durable_crash.tgz" \
      . 2>/dev/null || true
    echo "state directory, acks and log saved as durable_crash.tgz in" \
      "${TEST_UNDECLARED_OUTPUTS_DIR}" >&2
  fi
  exit 1
}

# Runs that finished recovery (each writes a "run" line first).
runs_started() {
  if [[ -f "${acks}" ]]; then
    grep -c '^run ' "${acks}" || true
  else
    echo 0
  fi
}

kills=0
early_kills=0
killed_before_run=0
summary=""
for ((i = 1; i <= iterations; i++)); do
  if ((i % 10 == 0)); then
    # During start-up: opening, recovering, the first snapshot.
    delay_ms=$((RANDOM % 6))
    early_kills=$((early_kills + 1))
  else
    delay_ms=$((30 + RANDOM % 221))
  fi
  before=$(runs_started)
  echo "=== iteration ${i}: write, kill -9 after ${delay_ms} ms" >>"${log}"
  "${driver}" --mode=write --state_dir="${state}" --acks="${acks}" \
    --seed="${i}" --threads=4 >>"${log}" 2>&1 &
  pid=$!
  sleep "$(printf '0.%03d' "${delay_ms}")"
  kill -9 "${pid}" 2>/dev/null || true
  status=0
  # (Braces and 2>/dev/null: without them bash reports "Killed" each time.)
  { wait "${pid}"; } 2>/dev/null || status=$?
  # 137: killed by our SIGKILL. Anything else: the driver stopped by itself
  # (a refused change, a failed recovery) before the kill.
  if ((status != 137)); then
    fail "iteration ${i}: the driver exited with status ${status} before" \
      "it was killed"
  fi
  kills=$((kills + 1))
  if (($(runs_started) == before)); then
    killed_before_run=$((killed_before_run + 1))
  fi

  echo "=== iteration ${i}: verify" >>"${log}"
  if ! summary=$("${driver}" --mode=verify --state_dir="${state}" \
    --acks="${acks}" 2>>"${log}"); then
    fail "iteration ${i}: verify failed after kill ${kills} (a lost change," \
      "or a state directory that does not recover)"
  fi
  echo "${summary}" >>"${log}"
  if ((i >= 10 && $(elapsed_ms) > max_seconds * 1000)); then
    echo "stopping after ${i} iterations: over ${max_seconds} s"
    break
  fi
done

echo "last verify: ${summary}"
echo "totals: ${kills} kills (${early_kills} aimed at start-up;" \
  "${killed_before_run} runs killed before recovery finished)," \
  "$(runs_started) runs started," \
  "$(grep -c '^ack ' "${acks}" 2>/dev/null || true) acks in the file," \
  "elapsed $(elapsed_ms) ms"
