#!/usr/bin/env bash
# Runs clang-tidy, with the repository's .clang-tidy, over the C++ sources
# of every package that has a file changed since BASE (tests, fuzzers and the
# layering probes, which must not compile, left out: the compiler holds tests
# to -Werror, and a file takes clang-tidy some ten seconds), and exits
# non-zero if it reports an error (WarningsAsErrors there).
#
#   bazel/clang_tidy.sh [BASE]     # BASE defaults to HEAD~30
#   CLANG_TIDY_JOBS=2              # files checked at once
#   CLANG_TIDY_ALL=1               # every package
#
# The compilation database comes from bazel/compile_commands.py (the clang
# configuration, so flags match what --config=clang compiles). The
# clang-analyzer-* checks, which take about four times as long as all the
# others together, run under CLANG_TIDY_ANALYZER=1 only.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
base=${1:-HEAD~30}
git rev-parse -q --verify "$base^{commit}" >/dev/null ||
  base=$(git rev-list --max-parents=0 HEAD | tail -n 1)

if [ "${CLANG_TIDY_ALL:-0}" = 1 ]; then
  mapfile -t files < <(git ls-files '*.cc')
else
  # The packages (folders with a BUILD file) of every changed path.
  mapfile -t packages < <(git diff --name-only "$base" HEAD -- . |
    while read -r f; do
      d=$(dirname "$f")
      while [ "$d" != "." ] && [ ! -f "$d/BUILD" ]; do d=$(dirname "$d"); done
      [ "$d" != "." ] && [ -f "$d/BUILD" ] && echo "$d"
    done | sort -u)
  files=()
  for p in "${packages[@]}"; do
    case "$p" in third_party | bazel | bazel/*) continue ;; esac
    # The package's own files: not those of packages below it.
    while read -r f; do
      d=$(dirname "$f")
      while [ "$d" != "." ] && [ ! -f "$d/BUILD" ]; do d=$(dirname "$d"); done
      [ "$d" = "$p" ] && files+=("$f")
    done < <(git ls-files "$p/*.cc")
  done
fi
mapfile -t files < <(printf '%s\n' "${files[@]}" |
  grep -vE '(_test|_fuzzer)\.cc$|^tests/layering/|^$' || true)
if [ "${#files[@]}" -eq 0 ]; then
  echo "clang-tidy: no C++ sources changed since $base"
  exit 0
fi

# The build plants the source tree's symlinks in the execution root, where
# the compile commands run; a cached build only checks that it is current.
bazel build --config=clang //... >/dev/null 2>&1 ||
  echo "clang-tidy: the clang build fails; what it reports may be incomplete"
execroot=$(bazel/compile_commands.py --config=clang //...) || exit 1
checks=""
[ "${CLANG_TIDY_ANALYZER:-0}" = 1 ] || checks="--checks=-clang-analyzer-*"
echo "clang-tidy: ${#files[@]} files of packages changed since $(git rev-parse --short "$base")"
log=$(mktemp)
printf '%s\n' "${files[@]}" |
  (cd "$execroot" && xargs -P "${CLANG_TIDY_JOBS:-2}" -n 4 \
    clang-tidy -p "$top" --config-file="$top/.clang-tidy" --quiet $checks) \
    >"$log" 2>&1
sed "s#$execroot/##" "$log" | grep -E '(warning|error):' | sort -u
errors=$(grep -cE ': error:' "$log" || true)
rm -f "$log"
echo "clang-tidy: $errors errors"
[ "$errors" -eq 0 ]
