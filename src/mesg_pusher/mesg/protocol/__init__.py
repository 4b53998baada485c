"""The MESG engine's gRPC protocol, every release from v0.1.0 to v0.26.0.

- `Release` (built with `release`) says what each engine release speaks: its generation, its
  wire variant, its rules (`mesg_pusher.mesg`'s one release class, named here too).
- `calls` gives a release's rpcs (`Method`: path, request and reply classes, stream or not);
  `method_handlers` serves them, `multi_callable` calls one; `wire` is the release's message
  module.
- `to_struct`, `from_struct` (and `to_value`, `from_value`): Structs to and from the JSON values
  they mean; `b58encode`, `b58decode`: hashes as the engine writes them from v0.9.
- The message modules: ``service_pb2`` and ``core_pb2`` (the first generation, v0.1-v0.9, with
  their gRPC stubs ``*_pb2_grpc``), ``v0_10_pb2`` (G2), ``v0_11_pb2``, ``v0_12_pb2``,
  ``v0_14_pb2`` (G3's wire variants), ``v0_17_pb2`` (G4), ``v0_21_pb2`` (G5).

The ``.proto`` files here are the sources; the ``*_pb2*.py`` and ``*.pyi`` files are generated
from them by ``python -m mesg_pusher.mesg.protocol`` (grpcio-tools and mypy-protobuf) and checked
in; tests/mesg/test_protocol.py fails when they are stale. Do not edit the generated files.
"""

from .._base58 import ALPHABET, b58decode, b58encode
from .._releases import RELEASES, TAGS, Generation, Release, ReleaseError, Texts, release
from ._methods import (
    CREDENTIAL_PASSPHRASE,
    CREDENTIAL_TOKEN,
    CREDENTIAL_USERNAME,
    READY,
    REQUEST_SIGNATURE,
    Method,
    calls,
    method_handlers,
    multi_callable,
    wire,
)
from ._struct import from_struct, from_value, to_struct, to_value

__all__ = [
    "ALPHABET",
    "CREDENTIAL_PASSPHRASE",
    "CREDENTIAL_TOKEN",
    "CREDENTIAL_USERNAME",
    "READY",
    "RELEASES",
    "REQUEST_SIGNATURE",
    "TAGS",
    "Generation",
    "Method",
    "Release",
    "ReleaseError",
    "Texts",
    "b58decode",
    "b58encode",
    "calls",
    "from_struct",
    "from_value",
    "method_handlers",
    "multi_callable",
    "release",
    "to_struct",
    "to_value",
    "wire",
]
