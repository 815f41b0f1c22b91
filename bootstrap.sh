#!/usr/bin/env bash
# Installs every Debian package confstate needs to build, test, benchmark and
# plot, offline from Debian's archive (see docs/BUILDING.md). Idempotent: when
# everything is present it only asks dpkg and returns in well under a second.
set -euo pipefail

packages=(
  bazel-bootstrap           # Bazel 4.2.3
  bazel-rules-java          # rules_java for Bazel's own toolchain registration
  g++
  clang                     # --config=clang and --config=fuzz
  libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
  clang-format
  clang-tidy                # bazel/clang_tidy.sh (a CI stage)
  libabsl-dev               # Abseil 20220623
  librapidxml-dev           # RapidXML 1.13
  android-libboringssl-dev  # BoringSSL
  libgtest-dev
  libgmock-dev
  libbenchmark-dev          # Google Benchmark 1.7.1
  libosip2-dev              # oSIP 5.3: the SIP parser baseline of bench/sip_bench
  libasio-dev               # Asio 1.22: confstated's event loops and sockets
  libspdlog-dev             # spdlog 1.10: confstated's logs
  sip-tester                # sipp: SIP interoperability tests
  curl                      # the admin port's tests (a separate process)
  python3-prometheus-client # an independent parser of /metrics in tests
  zlib1g-dev                # crc32 of journal records
  libprotobuf-dev           # the journal's payload encoding
  protobuf-compiler         # protoc, run by bazel/proto.bzl
  openssl                   # independent CMS decryption in tests
  libxml2-utils             # xmllint: schema validation in tests
  gnuplot-nox               # benchmark and load-test plots
  python3                   # bench/report
  git
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >&2
