"""C++ code generated from .proto files, with Debian's protoc (no proto rules offline).

Bazel 4 has no usable proto_library here (rules_proto would be fetched), so a
genrule runs the system's `protoc` (protobuf-compiler 3.21, the version of
libprotobuf-dev that //third_party:protobuf links) and a plain cc_library
compiles its output.
"""

def conf_cc_proto_library(name, src, visibility = None, **kwargs):
    """`<stem>.pb.h` and `<stem>.pb.cc` for `src`, compiled as cc_library `name`.

    `src` is a .proto file of this package; it is compiled with the workspace
    root as its import path, so the generated code names it (and includes its
    header) as "<package>/<stem>.pb.h", as every other header of the tree is
    named. The generated code is compiled without CONF_COPTS: it is not ours
    to keep warning-free, and -Werror would tie the build to protoc's output.

    Args:
      name: the cc_library; depend on it and include "<package>/<stem>.pb.h".
      src: the .proto file, e.g. "payload.proto". It may import only files
        of the workspace (no well-known types).
      visibility: of the cc_library (the genrule stays private).
      **kwargs: passed to the cc_library (e.g. testonly).
    """
    if not src.endswith(".proto"):
        fail("conf_cc_proto_library: src must end in .proto: " + src)
    stem = src[:-len(".proto")]
    package = native.package_name()
    native.genrule(
        name = name + "_genproto",
        srcs = [src],
        outs = [
            stem + ".pb.h",
            stem + ".pb.cc",
        ],
        # protoc names its outputs after the path relative to --proto_path:
        # $(GENDIR)/<package>/<stem>.pb.{h,cc}, which are this rule's outs.
        cmd = "protoc --proto_path=. --cpp_out=$(GENDIR) $(location %s)" % src,
        message = "protoc " + (package + "/" if package else "") + src,
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        srcs = [stem + ".pb.cc"],
        hdrs = [stem + ".pb.h"],
        deps = ["//third_party:protobuf"],
        visibility = visibility,
        **kwargs
    )
