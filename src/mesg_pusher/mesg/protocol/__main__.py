"""Regenerates the gRPC code beside the ``.proto`` files: ``python -m mesg_pusher.mesg.protocol``.

Needs the dev tools grpcio-tools and mypy-protobuf (whose protoc plugins sit beside the Python
executable). `generate(out)` writes into another directory, which is how the staleness test
compares a fresh generation with the checked-in files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

try:
    from grpc_tools import protoc  # type: ignore[import-untyped]
except ImportError:  # an installed wheel: the generator is a tool of the source tree
    raise SystemExit(
        "regenerating the gRPC code needs the dev tools: pip install grpcio-tools mypy-protobuf"
    ) from None

HERE = Path(__file__).resolve().parent
SOURCE_ROOT = HERE.parents[2]  # src/: generated imports read ``mesg_pusher.mesg.protocol``
#: The first generation's files, with gRPC stubs (their packages are the engine's own).
GRPC_PROTOS = ("core.proto", "service.proto")
#: The later generations' messages, one file per wire format; their rpc paths are in
#: _methods.py, since their packages are not the engine's.
MESSAGE_PROTOS = (
    "v0_10.proto",
    "v0_11.proto",
    "v0_12.proto",
    "v0_14.proto",
    "v0_17.proto",
    "v0_21.proto",
)
PROTOS = GRPC_PROTOS + MESSAGE_PROTOS
GENERATED = tuple(
    f"{Path(proto).stem}{suffix}"
    for proto in PROTOS
    for suffix in (
        ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
        if proto in GRPC_PROTOS
        else ("_pb2.py", "_pb2.pyi")
    )
)


def _plugin(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install mypy-protobuf")
    return found


def generate(out: Path) -> list[Path]:
    """Generate into `out` (laid out like src/); the paths of the generated files."""
    relative = HERE.relative_to(SOURCE_ROOT)
    # google/protobuf/struct.proto comes with grpc_tools.
    well_known = Path(protoc.__file__).resolve().parent / "_proto"
    common = [
        "grpc_tools.protoc",
        f"--proto_path={SOURCE_ROOT}",
        f"--proto_path={well_known}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--python_out={out}",
        f"--mypy_out={out}",
    ]
    grpc = [
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--grpc_python_out={out}",
        f"--mypy_grpc_out={out}",
    ]
    for args in (
        [*common, *grpc, *(str(relative / proto) for proto in GRPC_PROTOS)],
        [*common, *(str(relative / proto) for proto in MESSAGE_PROTOS)],
    ):
        status = protoc.main(args)
        if status != 0:
            raise SystemExit(f"protoc failed with status {status}")
    return [out / relative / name for name in GENERATED]


if __name__ == "__main__":
    for path in generate(SOURCE_ROOT):
        print(f"generated {path.relative_to(SOURCE_ROOT)}")
