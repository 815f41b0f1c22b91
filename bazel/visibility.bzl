"""Who may depend on each floor of confstate: dependencies point down.

  tools, bench, tests                  (TOP)
  cluster, server                      (SERVER)
  sip, focus
  codec, crypto, journal
  engine (codec uses the model only)
  base

testing/ (test-only helpers) may use every floor. A target's visibility
names the floors above it, so a wrong dependency fails the build; headers
under a package's internal/ are private to it (layering_check under
--config=clang). docs/ARCHITECTURE.md draws the picture.
"""

TOP = [
    "//bench:__pkg__",
    "//tests:__subpackages__",
    "//tools:__subpackages__",
]

SERVER = [
    "//cluster:__subpackages__",
    "//server:__subpackages__",
]

TESTING = ["//testing:__pkg__"]

# focus and sip: used by the server, the cluster and the top floor.
FOCUS_USERS = TOP + SERVER + TESTING

# sip sits on the focus floor; named apart so that the two can diverge.
SIP_USERS = FOCUS_USERS

# codec, crypto, journal: used by the focus as well.
FOCUS_PARTS_USERS = FOCUS_USERS + ["//focus:__pkg__"]

# The journal seals secrets at rest with crypto's AEAD.
CRYPTO_USERS = FOCUS_PARTS_USERS + ["//journal:__pkg__"]

# The store: everything above it but the codec, which never applies changes.
ENGINE_USERS = FOCUS_PARTS_USERS + ["//journal:__pkg__"]

# The domain model: the codec encodes and decodes it.
MODEL_USERS = ENGINE_USERS + ["//codec:__pkg__"]
