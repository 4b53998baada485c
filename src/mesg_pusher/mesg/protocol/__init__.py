"""Generated gRPC code for the MESG engine's ``api.Service`` and ``api.Core`` (engine v0.1 to v0.9).

The ``.proto`` files here are the sources; the ``*_pb2*.py`` and ``*.pyi`` files are generated
from them by ``python -m mesg_pusher.mesg.protocol`` (grpcio-tools and mypy-protobuf) and checked
in; tests/mesg/test_protocol.py fails when they are stale. Do not edit the generated files.
"""
