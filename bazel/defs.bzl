"""The only rules confstate's BUILD files use, and the one place copts live."""

# Warnings are errors everywhere. -Werror=unused-result makes a dropped
# absl::Status a build failure.
CONF_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wshadow",
    "-Wnon-virtual-dtor",
    "-Wimplicit-fallthrough",
    "-Werror",
    "-Werror=unused-result",
]

def conf_cc_library(name, copts = [], **kwargs):
    native.cc_library(
        name = name,
        copts = CONF_COPTS + copts,
        **kwargs
    )

def conf_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(
        name = name,
        copts = CONF_COPTS + copts,
        **kwargs
    )

def conf_cc_test(name, size = "small", copts = [], deps = [], **kwargs):
    """A GoogleTest test. `size` defaults to small; say so when it is not."""
    native.cc_test(
        name = name,
        size = size,
        copts = CONF_COPTS + copts,
        deps = deps + ["//third_party:gtest_main"],
        **kwargs
    )

def conf_cc_benchmark(name, copts = [], deps = [], smoke_args = [], **kwargs):
    """A Google Benchmark binary plus `<name>_smoke_test`, a very short run.

    Every binary links //bench:multithreaded_process, so its benchmarks run
    in a process that has had a second thread (shared_ptr counts updated
    with locked instructions, as in a focus), whatever the order of rows.
    Time with `bazel run -c opt //bench:<name>`; the smoke test only checks that
    every benchmark runs and succeeds.
    """
    native.cc_binary(
        name = name,
        testonly = True,
        copts = CONF_COPTS + copts,
        deps = deps + [
            "//bench:multithreaded_process",
            "//third_party:benchmark",
        ],
        **kwargs
    )
    native.sh_test(
        name = name + "_smoke_test",
        size = "medium",
        srcs = ["//bazel:benchmark_smoke_test.sh"],
        args = ["$(location :%s)" % name] + smoke_args,
        data = [":" + name],
    )

def conf_cc_fuzzer(name, srcs, corpus_dir, deps = [], copts = [], **kwargs):
    """A libFuzzer target and `<name>_corpus_test`, which replays its corpus.

    `srcs` define LLVMFuzzerTestOneInput. Under --config=fuzz the binary links
    libFuzzer; otherwise it links a driver that runs the inputs named on its
    command line, so the target builds (and replays crashes) everywhere.
    `corpus_dir` is a folder of this package; the replay test feeds every file
    in it to the fuzz function, in every CI run.
    """
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = srcs,
        copts = CONF_COPTS + copts,
        deps = deps,
        alwayslink = True,
        **kwargs
    )
    native.cc_binary(
        name = name,
        testonly = True,
        linkopts = select({
            "//bazel:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = [":" + name + "_lib"] + select({
            "//bazel:fuzzing": [],
            "//conditions:default": ["//tests:fuzz_driver_main"],
        }),
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "medium",
        copts = CONF_COPTS,
        data = native.glob([corpus_dir + "/**"]),
        args = [native.package_name() + "/" + corpus_dir],
        deps = [
            ":" + name + "_lib",
            "//tests:fuzz_corpus_replay",
        ],
    )
