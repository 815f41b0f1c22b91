#!/bin/bash
# `confstate journal verify|dump|repair` on state directories made by
# `confstate run --state-dir`: a good one verifies and dumps as JSON lines
# without secrets; a flipped byte mid-segment is named by offset and stops
# both verify and a durable run; a torn last record is reported as a torn
# tail; repair without --truncate changes nothing, and with it the
# directory verifies and runs again; bad command lines exit 2.
set -u
CONFSTATE="$1"
DATA=tests/testdata/seed_scenario
OUT="${TEST_TMPDIR:-/tmp}/journal_tools"
GOOD="$OUT/good"
rm -rf "$OUT"
mkdir -p "$OUT"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs confstate with stdout and stderr in $OUT/out.txt and $OUT/err.txt;
# sets $rc.
cs() {
  "$CONFSTATE" "$@" > "$OUT/out.txt" 2> "$OUT/err.txt"
  rc=$?
}
expect_rc() {  # expected rc, what
  [ "$rc" = "$1" ] ||
    fail "$2: exit $rc, not $1; stdout: $(cat "$OUT/out.txt"); stderr: $(cat "$OUT/err.txt")"
}
one_error_line() {  # what
  [ "$(wc -l < "$OUT/err.txt")" = 1 ] || fail "$1: stderr is not one line: $(cat "$OUT/err.txt")"
}
# Checksums of every file of a directory.
sums() { (cd "$1" && sha256sum -- * | sort); }
# Flips the low bit of the byte at offset $2 of file $1, in place.
flip_byte() {
  local byte
  byte=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  printf '%b' "$(printf '\\0%03o' $((byte ^ 1)))" |
    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# The u32 (little-endian) at offset $2 of file $1.
u32_at() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }

# Three records: the seed's conference and join, then a second conference.
sed -e 's/5D3747C/5D3747D/' "$DATA/1_addConference.xml" > "$OUT/4_addConference.xml"
cs run --state-dir="$GOOD" "$DATA/1_addConference.xml" "$DATA/2_addUser.xml" \
  "$DATA/3_getConference.xml" "$OUT/4_addConference.xml"
expect_rc 0 "making the state directory"
SEGMENT=segment-00000000000000000001.log
[ -f "$GOOD/$SEGMENT" ] || fail "no $SEGMENT: $(ls "$GOOD")"

# --- A good directory.
cs journal verify "$GOOD"
expect_rc 0 "verify of a good directory"
grep -qx "journal: $GOOD: ok: 1 segments, 3 records, snapshot 0, last sequence 3" \
  "$OUT/out.txt" || fail "verify summary: $(cat "$OUT/out.txt")"

cs journal dump "$GOOD"
expect_rc 0 "dump of a good directory"
cp "$OUT/out.txt" "$OUT/dump.txt"
[ "$(wc -l < "$OUT/dump.txt")" = 3 ] || fail "dump lines: $(cat "$OUT/dump.txt")"
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' < "$OUT/dump.txt" ||
  fail "dump is not JSON lines"
python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
assert [l["sequence"] for l in lines] == [1, 2, 3], lines
assert [l["version"] for l in lines] == [1, 2, 1], lines
assert lines[0]["payload"]["created"]["sealed_key"] == "<redacted>", lines[0]
assert lines[0]["payload"]["created"]["sealed_web_join"] == "<redacted>", lines[0]
assert lines[2]["conference"].endswith(":5D3747D"), lines[2]
' < "$OUT/dump.txt" || fail "dump contents"
grep -q '"<redacted>"' "$OUT/dump.txt" || fail "no <redacted> in the dump"
if grep -q 'https://meet' "$OUT/dump.txt"; then
  fail "a web-join URI is in the dump in the clear"
fi

cs journal repair "$GOOD"
expect_rc 0 "repair of a good directory"
grep -q 'clean, nothing to cut' "$OUT/out.txt" || fail "repair: $(cat "$OUT/out.txt")"

# --- A flipped byte in the middle of the segment: inside record 2, with
# record 3 intact after it, so it is corruption, not a torn tail.
CORRUPT="$OUT/corrupt"
cp -a "$GOOD" "$CORRUPT"
RECORD2=$((24 + 8 + $(u32_at "$CORRUPT/$SEGMENT" 24)))
flip_byte "$CORRUPT/$SEGMENT" $((RECORD2 + 40))
BEFORE=$(sums "$CORRUPT")

cs journal verify "$CORRUPT"
expect_rc 1 "verify of a flipped byte"
one_error_line "verify of a flipped byte"
grep -qF "$SEGMENT: checksum mismatch at offset $RECORD2 (last good record: sequence 1, version 1)" \
  "$OUT/err.txt" || fail "verify did not name file, offset and version: $(cat "$OUT/err.txt")"

cs journal dump "$CORRUPT"
expect_rc 1 "dump of a flipped byte"
one_error_line "dump of a flipped byte"
grep -q "offset $RECORD2" "$OUT/err.txt" || fail "dump's reason: $(cat "$OUT/err.txt")"
[ "$(wc -l < "$OUT/out.txt")" = 1 ] || fail "dump before the damage: $(cat "$OUT/out.txt")"
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' < "$OUT/out.txt" ||
  fail "partial dump is not JSON lines"

cs run --state-dir="$CORRUPT" "$DATA/3_getConference.xml"
[ "$rc" != 0 ] || fail "a durable run opened a corrupt directory"
grep -q "offset $RECORD2" "$OUT/err.txt" || fail "run's refusal: $(cat "$OUT/err.txt")"

cs journal repair "$CORRUPT"
expect_rc 1 "repair without --truncate of a flipped byte"
grep -qF "would cut $SEGMENT at offset $RECORD2" "$OUT/out.txt" ||
  fail "repair's plan: $(cat "$OUT/out.txt")"
grep -q "1 records with valid checksums dropped; records up to sequence 1 kept" "$OUT/out.txt" ||
  fail "repair's plan: $(cat "$OUT/out.txt")"
[ "$(sums "$CORRUPT")" = "$BEFORE" ] || fail "repair without --truncate changed files"

cs journal repair "$CORRUPT" --truncate
expect_rc 0 "repair --truncate of a flipped byte"
grep -qF "cut $SEGMENT at offset $RECORD2" "$OUT/out.txt" ||
  fail "repair's report: $(cat "$OUT/out.txt")"
[ "$(stat -c %s "$CORRUPT/$SEGMENT")" = "$RECORD2" ] ||
  fail "segment is $(stat -c %s "$CORRUPT/$SEGMENT") bytes, not $RECORD2"
cs journal verify "$CORRUPT"
expect_rc 0 "verify after repair"
grep -q "ok: 1 segments, 1 records, snapshot 0, last sequence 1" "$OUT/out.txt" ||
  fail "verify after repair: $(cat "$OUT/out.txt")"
cs run --state-dir="$CORRUPT" "$DATA/3_getConference.xml"
expect_rc 0 "run after repair"
grep -q 'recovered 1 conferences' "$OUT/err.txt" || fail "run after repair: $(cat "$OUT/err.txt")"
REPAIRED=$(sums "$CORRUPT")
cs journal repair "$CORRUPT" --truncate
expect_rc 0 "repair --truncate of a repaired directory"
grep -q 'clean, nothing to cut' "$OUT/out.txt" || fail "second repair: $(cat "$OUT/out.txt")"
[ "$(sums "$CORRUPT")" = "$REPAIRED" ] || fail "repair touched a clean directory"

# --- The last record cut short: a torn tail.
TORN="$OUT/torn"
cp -a "$GOOD" "$TORN"
SIZE=$(stat -c %s "$TORN/$SEGMENT")
truncate -s $((SIZE - 10)) "$TORN/$SEGMENT"
BEFORE=$(sums "$TORN")
cs journal verify "$TORN"
expect_rc 1 "verify of a torn tail"
one_error_line "verify of a torn tail"
grep -q "$SEGMENT: torn tail: truncated record at offset" "$OUT/err.txt" ||
  fail "verify of a torn tail: $(cat "$OUT/err.txt")"
cs journal dump "$TORN"
expect_rc 1 "dump of a torn tail"
[ "$(wc -l < "$OUT/out.txt")" = 2 ] || fail "dump before the torn tail: $(cat "$OUT/out.txt")"
cs journal repair "$TORN"
expect_rc 1 "repair without --truncate of a torn tail"
[ "$(sums "$TORN")" = "$BEFORE" ] || fail "repair without --truncate changed files"
cs journal repair --truncate "$TORN"
expect_rc 0 "repair --truncate of a torn tail"
cs journal verify "$TORN"
expect_rc 0 "verify after repairing a torn tail"
grep -q "2 records, snapshot 0, last sequence 2" "$OUT/out.txt" ||
  fail "verify after repairing a torn tail: $(cat "$OUT/out.txt")"

# --- A directory that does not exist.
cs journal verify "$OUT/missing"
expect_rc 1 "verify of a missing directory"
one_error_line "verify of a missing directory"

# --- Usage errors.
for args in "journal" "journal verify" "journal dump" "journal repair" \
    "journal frobnicate $GOOD" "journal verify $GOOD $GOOD" \
    "journal verify $GOOD --truncate" "journal dump --truncate $GOOD" \
    "journal repair $GOOD --force"; do
  # shellcheck disable=SC2086  # split on purpose
  cs $args
  expect_rc 2 "confstate $args"
  grep -q '^usage: ' "$OUT/err.txt" || fail "confstate $args: no usage: $(cat "$OUT/err.txt")"
done
[ "$(sums "$GOOD")" != "" ] || fail "the good directory is gone"
cs journal verify "$GOOD"
expect_rc 0 "the good directory after everything"
echo "PASS"
