#!/usr/bin/env python3
"""Writes compile_commands.json for clang tools from Bazel's action graph.

Usage (from the workspace root):
  bazel/compile_commands.py [--config=clang] [TARGET_PATTERN...]

Bazel 4.2.3 has no built-in exporter and the usual rule sets are not in
Debian, so this asks `bazel aquery` for every C++ compile action of the
patterns (default //...) and writes one entry per source file into
compile_commands.json at the workspace root (git ignores it). Each entry's
directory is Bazel's execution root, where the actions' relative paths
(external/system_libs/..., bazel-out/...) resolve; the script prints it. Only the Python standard library is used.
"""

import json
import os
import subprocess
import sys


def main(argv):
    configs = [a for a in argv if a.startswith("--config=")]
    patterns = [a for a in argv if not a.startswith("--")] or ["//..."]
    query = "mnemonic('CppCompile', %s)" % " + ".join(patterns)
    out = subprocess.run(
        ["bazel", "aquery", *configs, query, "--output=jsonproto"],
        check=True, capture_output=True, text=True).stdout
    graph = json.loads(out)
    execroot = subprocess.run(
        ["bazel", "info", *configs, "execution_root"], check=True,
        capture_output=True, text=True).stdout.strip()
    entries = {}
    for action in graph.get("actions", []):
        args = action.get("arguments", [])
        if "-c" not in args:
            continue
        source = args[args.index("-c") + 1]
        if source.startswith("external/") or source.startswith("bazel-out/"):
            continue
        # The first of several actions (pic and non-pic) for a file wins.
        entries.setdefault(source, {
            "directory": execroot,
            "file": source,
            "arguments": args,
        })
    path = "compile_commands.json"
    with open(path, "w") as f:
        json.dump(list(entries.values()), f, indent=1)
    print(execroot)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
