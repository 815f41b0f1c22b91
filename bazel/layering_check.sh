#!/usr/bin/env bash
# Checks that the package boundaries hold under --config=clang
# (layering_check): each //tests/layering:*_private_probe, which includes a
# private header of another package, must fail to build with a layering
# error, and //tests/layering:public_probe, which includes public headers the
# same way, must build. Exits non-zero otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
log=$(mktemp)
if ! bazel build --config=clang //tests/layering:public_probe >"$log" 2>&1; then
  cat "$log"
  echo "layering: public_probe does not build"
  status=1
fi
for probe in $(bazel query 'attr(name, "_private_probe$", //tests/layering:*)' 2>/dev/null); do
  if bazel build --config=clang "$probe" >"$log" 2>&1; then
    echo "layering: $probe builds, but it includes another package's private header"
    status=1
  elif grep -qE 'private header|not in the list of|undeclared inclusion|does not depend on a module exporting' "$log"; then
    echo "layering: $probe refused: $(grep -m1 -oE "error: [^[]*" "$log")"
  else
    cat "$log"
    echo "layering: $probe failed, but not on the layering check"
    status=1
  fi
done
rm -f "$log"
exit $status
