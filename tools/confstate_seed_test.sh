#!/bin/bash
# Reproduces the seed's getConference with one confstate command line and
# checks the output: every request succeeds, the response carries the
# conference key and both encrypted web-join URIs, `confstate decrypt` with
# the committed test key recovers them, and the subscriber's notification
# validates. Also: bad input gives a one-line error and a non-zero exit.
set -u
CONFSTATE="$1"
DATA=tests/testdata/seed_scenario
OUT="${TEST_TMPDIR:-/tmp}/seed_scenario"
mkdir -p "$OUT"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$CONFSTATE" run --subscribe=sip:alice@contoso.com \
  "$DATA/1_addConference.xml" "$DATA/2_addUser.xml" "$DATA/3_getConference.xml" \
  > "$OUT/run.txt" 2> "$OUT/run.err" || fail "confstate run: $(cat "$OUT/run.err")"

[ "$(grep -c '^== response to .* (success)$' "$OUT/run.txt")" = 3 ] ||
  fail "expected three successful responses: $(grep '^==' "$OUT/run.txt")"
grep -q '^== notification 1 (full) for sip:alice@contoso.com$' "$OUT/run.txt" ||
  fail "no full notification for alice"

RESPONSE=$(sed -n '/^== response to .*3_getConference.xml/{n;p;}' "$OUT/run.txt")
case "$RESPONSE" in
  *'<msci:conference-key>'*) ;;
  *) fail "no conference key in: $RESPONSE" ;;
esac

# The cms-data blobs in document order: web-internal, web-external, key.
printf '%s' "$RESPONSE" | grep -o '<msci:cms-data>[^<]*</msci:cms-data>' |
  sed -e 's/<[^>]*>//g' > "$OUT/blobs.txt"
[ "$(wc -l < "$OUT/blobs.txt")" = 3 ] || fail "expected three cms-data blobs"
i=0
while read -r blob; do
  i=$((i + 1))
  printf '%s\n' "$blob" > "$OUT/blob$i.b64"
  "$CONFSTATE" decrypt --key="$DATA/test_key.pem" "$OUT/blob$i.b64" \
    > "$OUT/plain$i.txt" 2> "$OUT/decrypt.err" ||
    fail "decrypt blob $i: $(cat "$OUT/decrypt.err")"
done < "$OUT/blobs.txt"
[ "$(cat "$OUT/plain1.txt")" = "https://meet.example.com/alice/5D3747C" ] ||
  fail "web-internal URI: $(cat "$OUT/plain1.txt")"
[ "$(cat "$OUT/plain2.txt")" = "https://meet-external.example.com/alice/5D3747C" ] ||
  fail "web-external URI: $(cat "$OUT/plain2.txt")"
grep -Eq '^key [0-9a-f]{48}$' "$OUT/plain3.txt" ||
  fail "conference key: $(cat "$OUT/plain3.txt")"

# --cert checks the blob is addressed to the certificate.
"$CONFSTATE" decrypt --key="$DATA/test_key.pem" --cert="$DATA/test_cert.pem" \
  "$OUT/blob1.b64" > /dev/null || fail "decrypt --cert with the right certificate"
if command -v openssl > /dev/null; then
  openssl req -x509 -newkey rsa:1024 -nodes -keyout "$OUT/other_key.pem" \
    -out "$OUT/other_cert.pem" -days 1 -subj "/CN=other" 2> /dev/null ||
    fail "openssl req"
  if "$CONFSTATE" decrypt --key="$DATA/test_key.pem" \
      --cert="$OUT/other_cert.pem" "$OUT/blob1.b64" 2> "$OUT/err.txt"; then
    fail "decrypt --cert accepted another certificate"
  fi
  grep -q "not addressed to" "$OUT/err.txt" || fail "$(cat "$OUT/err.txt")"
fi

# Base64 as clients wrap it (64 columns, CRLF line ends, indented) decodes
# to the same blob; a character outside the alphabet, or a key or certificate
# whose PEM body is not base64, is refused with one line naming what is wrong.
fold -w 64 "$OUT/blob1.b64" | sed -e 's/^/  /' -e 's/$/\r/' > "$OUT/wrapped.b64"
[ "$(wc -l < "$OUT/wrapped.b64")" -gt 1 ] || fail "the blob did not wrap"
"$CONFSTATE" decrypt --key="$DATA/test_key.pem" "$OUT/wrapped.b64" \
  > "$OUT/plain_wrapped.txt" 2> "$OUT/decrypt.err" ||
  fail "decrypt wrapped blob: $(cat "$OUT/decrypt.err")"
cmp -s "$OUT/plain_wrapped.txt" "$OUT/plain1.txt" ||
  fail "wrapped blob: $(cat "$OUT/plain_wrapped.txt")"
sed -e 's/^\(....\)/\1*/' "$OUT/blob1.b64" > "$OUT/star.b64"
printf -- '-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n' \
  > "$OUT/bad_cert.pem"
sed -e 's/^-----BEGIN CERTIFICATE-----$/-----BEGIN PRIVATE KEY-----/' \
  -e 's/^-----END CERTIFICATE-----$/-----END PRIVATE KEY-----/' \
  "$OUT/bad_cert.pem" > "$OUT/bad_key.pem"
for args in "decrypt --key=$DATA/test_key.pem $OUT/star.b64|neither DER nor base64" \
            "decrypt --key=$OUT/bad_key.pem $OUT/blob1.b64|bad_key.pem: the key's PEM body is not base64" \
            "decrypt --key=$DATA/test_key.pem --cert=$OUT/bad_cert.pem $OUT/blob1.b64|bad_cert.pem: certificate: not base64"; do
  expected="${args#*|}"
  args="${args%%|*}"
  # shellcheck disable=SC2086
  if "$CONFSTATE" $args > /dev/null 2> "$OUT/err.txt"; then
    fail "confstate $args succeeded"
  fi
  [ "$(wc -l < "$OUT/err.txt")" = 1 ] ||
    fail "confstate $args: not one line: $(cat "$OUT/err.txt")"
  grep -qF "$expected" "$OUT/err.txt" ||
    fail "confstate $args: $(cat "$OUT/err.txt")"
done

# The notification validates; a request body does not.
awk '/^== /{on = ($0 ~ /^== notification 1 \(full\)/); next} on' \
  "$OUT/run.txt" > "$OUT/notification.xml"
"$CONFSTATE" validate "$OUT/notification.xml" > /dev/null ||
  fail "notification does not validate"
if "$CONFSTATE" validate "$DATA/2_addUser.xml" 2> "$OUT/err.txt"; then
  fail "a request validated as conference-info"
fi
[ "$(wc -l < "$OUT/err.txt")" = 1 ] || fail "not one line: $(cat "$OUT/err.txt")"

# Bad input: one line on stderr, non-zero exit, no crash.
printf '\x00\xff<<garbage' > "$OUT/garbage.xml"
# Deeply nested, without an envelope: refused before any recursion.
for i in $(seq 1 20000); do printf '<a>'; done > "$OUT/deep.xml"
for args in "run $OUT/missing.xml" "run $OUT/garbage.xml" "run $OUT/deep.xml" "validate $OUT/deep.xml" \
            "decrypt --key=$DATA/test_cert.pem $OUT/blob1.b64" \
            "decrypt --key=$DATA/test_key.pem $OUT/garbage.xml" \
            "validate $OUT/garbage.xml"; do
  # shellcheck disable=SC2086
  "$CONFSTATE" $args > /dev/null 2> "$OUT/err.txt"
  code=$?
  [ "$code" = 1 ] || fail "confstate $args: exit $code"
  [ "$(wc -l < "$OUT/err.txt")" = 1 ] ||
    fail "confstate $args: not one line: $(cat "$OUT/err.txt")"
done
echo PASS
