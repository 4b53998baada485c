"""A directory one engine release deploys: its Dockerfile, its mesg.yml and the service's code.

The code is a wheel of the installed package, made from the installed files themselves (a
`Package`: the package's files and its distribution metadata), so it can be written from a
checkout or from an installed wheel alike; the runtime dependencies are the locked ones the
package carries (``runtime-requirements.txt`` beside this module, the repository's
``requirements/runtime.txt``). The Dockerfile is the root one's, installing that wheel, with
``MESG_PUSHER_ENGINE`` set to the release. For v0.26.0 it also holds ``service.json``, the
compiled definition with the task prices the CLI's own compiler leaves out (see `_compiled`).
Pure: `service_files` gives the files' bytes, the command writes them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ._compiled import compiled_service
from ._forms import form_of
from ._releases import Release, spans

#: The lock the image installs, carried in the package beside this module.
REQUIREMENTS: Final = "runtime-requirements.txt"
WHEEL_TAG: Final = "py3-none-any"
#: The zip entries' time: a fixed one, so the same package makes the same wheel.
_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
#: How a directory is deployed on each generation, ``{dir}`` for its path: the engine's own
#: CLI up to v0.9.1, then mesg-cli 1.0 (v0.10), mesg-cli 1.1-2.0.1 (v0.11-v0.16), @mesg/cli
#: 0.1-0.3 (v0.17-v0.20) and 0.4 (v0.21 on), whose ``mesg-cli`` compiles mesg.yml first.
DEPLOY: Final[Mapping[int, str]] = {
    1: "mesg-core service deploy {dir}",
    2: "mesg-cli service:deploy {dir} --env PUSHER_APP_ID=... (mesg-cli 1.0)",
    3: 'mesg-cli service:create "$(mesg-cli service:compile {dir})", then '
    "mesg-cli service:start <hash> --env PUSHER_APP_ID=... (mesg-cli 1.1 to 2.0.1)",
    4: 'mesg-cli service:create "$(mesg-cli service:compile {dir})", then '
    "mesg-cli service:start <hash> --env PUSHER_APP_ID=... (@mesg/cli 0.1 to 0.3)",
    5: "mesg-cli service:dev {dir} --env PUSHER_APP_ID=... (@mesg/cli 0.4)",
}
#: v0.26.0 refuses a task without a price, which every compiler drops: the service is created
#: from ``service.json`` (the prices in), given the ``source`` of the CLI's own compile.
PRICED_DEPLOY: Final = (
    'mesg-cli service:create "$(jq --argjson c "$(mesg-cli service:compile {dir})" '
    "'.source = $c.source' {dir}/service.json)\", then mesg-cli service:start <hash> --env "
    "PUSHER_APP_ID=... (@mesg/cli 0.4; its compiler drops the task prices v0.26.0 requires, "
    "which service.json keeps)"
)
#: The compiled definition's file, in a directory for v0.26.0.
COMPILED: Final = "service.json"


@dataclass(frozen=True, slots=True)
class Package:
    """An installed distribution as a wheel holds it: its import package's files by their
    path in the wheel (``mesg_pusher/cli.py``) and its metadata."""

    name: str
    version: str
    files: Mapping[str, bytes]
    metadata: bytes
    entry_points: bytes = b""
    #: License files by name (``LICENSE``), kept under the dist-info's ``licenses/``.
    licenses: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def wheel_name(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-{WHEEL_TAG}.whl"

    @property
    def dist_info(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.dist-info"


def build_wheel(package: Package) -> bytes:
    """A wheel of `package` (the same bytes for the same package)."""
    entries = dict(sorted(package.files.items()))
    info = package.dist_info
    entries[f"{info}/METADATA"] = package.metadata
    entries[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: mesg-pusher service-dir\n"
        f"Root-Is-Purelib: true\nTag: {WHEEL_TAG}\n"
    ).encode()
    if package.entry_points:
        entries[f"{info}/entry_points.txt"] = package.entry_points
    for name, text in sorted(package.licenses.items()):
        entries[f"{info}/licenses/{name}"] = text
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in entries.items())
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in entries.items():
            entry = zipfile.ZipInfo(path, _EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return out.getvalue()


def _digest(data: bytes) -> str:
    encoded = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={encoded.decode()}"


#: Where the image's serve listens: webhooks on the port the definition publishes, /health and
#: /metrics on the container's loopback (the root Dockerfile sets the same).
IMAGE_LISTEN: Final = (
    "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000",
    "MESG_PUSHER_ADMIN_LISTEN=127.0.0.1:3001",
)


def dockerfile(engine: str, releases: Sequence[Release], wheel: str) -> str:
    """The Dockerfile of a directory for `engine` (as written, like ``v0.16``), the root
    Dockerfile's steps with the service installed from `wheel`."""
    variables = dict.fromkeys(name for r in releases for name in r.environment)
    return f"""\
# The service's image for MESG engine {engine} ({spans(releases)}), written by
# `mesg-pusher service-dir`. The engine builds it from this directory and runs it with
# {", ".join(variables)} set; `mesg-pusher serve` reads them, and
# MESG_PUSHER_ENGINE tells it which release it runs under.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /service

# The locked runtime dependencies, exactly (no resolution), in their own layer.
COPY requirements.txt requirements.txt
RUN pip install --no-deps -r requirements.txt && pip check

# The service itself, a wheel of the mesg-pusher that wrote this directory.
COPY {wheel} ./
RUN pip install --no-deps ./{wheel} && pip check && rm ./{wheel}

# No root inside the container: the service needs no privilege.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mesg
USER 10001

# Pusher's webhooks (POST /webhooks), on the port mesg.yml declares under configuration.ports
# (outside the container serve listens on loopback only). GET /health and GET /metrics stay on the
# container's own loopback, where its HEALTHCHECK asks: healthy while the task stream is open.
ENV {IMAGE_LISTEN[0]}
ENV MESG_PUSHER_ENGINE={engine}
ENV {IMAGE_LISTEN[1]}
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["mesg-pusher", "health"]

# SIGTERM (docker stop) makes it finish the executions under way within the grace period.
CMD ["mesg-pusher", "serve"]
"""


def service_files(
    engine: str,
    releases: Sequence[Release],
    definition: str,
    package: Package,
    requirements: bytes,
) -> dict[str, bytes]:
    """The files of the directory `releases` deploy (`engine` as written), by name."""
    files = {
        "Dockerfile": dockerfile(engine, releases, package.wheel_name).encode(),
        "mesg.yml": definition.encode(),
        "requirements.txt": requirements,
        package.wheel_name: build_wheel(package),
    }
    if form_of(releases[0]) == "priced":
        files[COMPILED] = compiled_service(definition).encode()
    return files


def deploy_hint(releases: Sequence[Release], directory: str) -> str:
    """How `directory` is deployed on `releases` (from v0.6 with the service's variables)."""
    if form_of(releases[0]) == "priced":
        return PRICED_DEPLOY.format(dir=directory)
    hint = DEPLOY[releases[0].generation].format(dir=directory)
    if releases[0].generation == 1 and releases[0].minor >= 6:
        hint += " --env PUSHER_APP_ID=... (and the other PUSHER_* variables)"
    return hint
