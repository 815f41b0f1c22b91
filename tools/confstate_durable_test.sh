#!/bin/bash
# `confstate run --state-dir` continues one conference across runs: the
# first run creates it, the second (a new process) joins it and reads it
# back, a run without the directory knows nothing of it, and the conference
# key recovered from the journal is the one a third run serves.
set -u
CONFSTATE="$1"
DATA=tests/testdata/seed_scenario
OUT="${TEST_TMPDIR:-/tmp}/durable_run"
STATE="$OUT/state"
rm -rf "$OUT"
mkdir -p "$OUT"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$CONFSTATE" run --state-dir="$STATE" "$DATA/1_addConference.xml" \
  > "$OUT/run1.txt" 2> "$OUT/run1.err" || fail "run 1: $(cat "$OUT/run1.err")"
grep -q '^== response to .* (success)$' "$OUT/run1.txt" || fail "run 1 failed"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state directory mode $(stat -c %a "$STATE")"
for f in "$STATE"/*; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f")"
done

# Without the state directory the conference does not exist.
"$CONFSTATE" run "$DATA/2_addUser.xml" > "$OUT/fresh.txt" 2> /dev/null
grep -q '(failure' "$OUT/fresh.txt" || fail "a fresh focus accepted the join"

"$CONFSTATE" run --state-dir="$STATE" "$DATA/2_addUser.xml" \
  "$DATA/3_getConference.xml" > "$OUT/run2.txt" 2> "$OUT/run2.err" ||
  fail "run 2: $(cat "$OUT/run2.err")"
[ "$(grep -c '^== response to .* (success)$' "$OUT/run2.txt")" = 2 ] ||
  fail "run 2 responses: $(grep '^==' "$OUT/run2.txt")"
grep -q 'recovered 1 conferences' "$OUT/run2.err" ||
  fail "run 2 did not say what it recovered: $(cat "$OUT/run2.err")"

"$CONFSTATE" run --state-dir="$STATE" "$DATA/3_getConference.xml" \
  > "$OUT/run3.txt" 2> "$OUT/run3.err" || fail "run 3: $(cat "$OUT/run3.err")"

# The same key and web-join URIs, wrapped anew for the same certificate.
key_of() {
  sed -n '/^== response to .*3_getConference.xml/{n;p;}' "$1" |
    grep -o '<msci:cms-data>[^<]*</msci:cms-data>' | sed -e 's/<[^>]*>//g' |
    while read -r blob; do
      printf '%s\n' "$blob" > "$OUT/blob.b64"
      "$CONFSTATE" decrypt --key="$DATA/test_key.pem" "$OUT/blob.b64"
    done
}
key_of "$OUT/run2.txt" > "$OUT/secrets2.txt"
key_of "$OUT/run3.txt" > "$OUT/secrets3.txt"
[ "$(wc -l < "$OUT/secrets2.txt")" = 3 ] || fail "run 2 secrets: $(cat "$OUT/secrets2.txt")"
cmp -s "$OUT/secrets2.txt" "$OUT/secrets3.txt" ||
  fail "secrets changed across the restart"
grep -q 'user entity="sip:alice@contoso.com"' "$OUT/run3.txt" ||
  fail "the joined user is missing after the restart"

# The key never sits on disk in the clear.
key_hex=$(grep '^key ' "$OUT/secrets3.txt" | cut -d' ' -f2)
if cat "$STATE"/* | od -An -tx1 -v | tr -d ' \n' | grep -q "$key_hex"; then
  fail "the conference key is on disk in the clear"
fi
echo "PASS"
