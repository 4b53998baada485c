"""``mesg-pusher service-dir --engine VERSION OUT``: the directory one MESG engine release
deploys (its Dockerfile, its mesg.yml, a wheel of this installed package and the locked
dependencies), and the ``--engine`` and ``--price`` arguments it shares with
``gen-definition``.

The code comes from the installed package's own files (a checkout's ``src/`` or an installed
wheel's ``site-packages``), so the command works wherever mesg-pusher is installed.
"""

from __future__ import annotations

import argparse
from importlib import metadata, resources
from pathlib import Path
from typing import Final

from ._command_line import EXIT_OK, UsageError, fail, say, usage_error
from ._version import __version__
from .mesg import (
    FORM_NAMES,
    REQUIREMENTS,
    DefinitionError,
    Package,
    Price,
    Release,
    definition_for,
    deploy_hint,
    form_of,
    normalized,
    packaged_text,
    releases,
    service_files,
    spans,
)
from .runtime import DEPLOYED_VARIABLES

DISTRIBUTION: Final = "mesg-pusher"
PACKAGE: Final = "mesg_pusher"


def engine_releases(text: str) -> tuple[Release, ...]:
    """An argparse type: the releases a VERSION names (``v0.16``, ``v0.18.2``)."""
    try:
        return releases(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def engine_name(text: str) -> str:
    """An argparse type: a VERSION as written, with its leading ``v`` (``0.16`` -> ``v0.16``)."""
    try:
        return normalized(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def price(text: str) -> Price:
    """An argparse type: ``PERCALL,PERSEC,PERKB``, three whole numbers, 0 or more."""
    parts = text.split(",")
    if len(parts) != 3 or not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not PERCALL,PERSEC,PERKB (three whole numbers, like 0,0,0)"
        )
    per_call, per_sec, per_kb = (int(p) for p in parts)
    return Price(per_call, per_sec, per_kb)


def add_price_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--price",
        type=price,
        metavar="PERCALL,PERSEC,PERKB",
        help=(
            "v0.26 only: what an execution of each task costs, per call, per second and per KB "
            "(whole numbers; default 0,0,0: the service charges nothing)"
        ),
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "service-dir",
        help="write the directory a MESG engine release deploys",
        description=(
            "Write OUT, a service directory for MESG engine VERSION: its Dockerfile (the root "
            "one's, setting MESG_PUSHER_ENGINE=VERSION), mesg.yml in the form that release "
            "reads, requirements.txt (the locked runtime dependencies) and a wheel of this "
            "installed mesg-pusher. OUT must not exist or be empty. It prints how to deploy it."
        ),
    )
    parser.add_argument(
        "--engine",
        required=True,
        type=engine_name,
        metavar="VERSION",
        help="the release, like v0.2.0 or v0.16, or a series like v0.18 (v0.1.0 to v0.26.0)",
    )
    add_price_argument(parser)
    parser.add_argument("out", metavar="OUT", help="the directory to write")
    parser.set_defaults(run=_service_dir)


def _service_dir(args: argparse.Namespace) -> int:
    try:
        engine: str = args.engine
        chosen = releases(engine)
        definition = definition_for(chosen, packaged_text(), DEPLOYED_VARIABLES, price=args.price)
        out = _empty_directory(args.out)
        package = installed_package()
        requirements = resources.files("mesg_pusher.mesg").joinpath(REQUIREMENTS).read_bytes()
        files = service_files(engine, chosen, definition, package, requirements)
    except (UsageError, ValueError) as error:
        return usage_error("service-dir", str(error))
    except DefinitionError as error:
        return fail("service-dir", str(error))
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (out / name).write_bytes(data)
    except OSError as error:
        return usage_error("service-dir", f"cannot write {out}: {error.strerror or error}")
    say(
        f"wrote {out} for MESG engine {engine} ({spans(chosen)}): {', '.join(files)}; its "
        f"mesg.yml is {FORM_NAMES[form_of(chosen[0])]}"
    )
    say(f"deploy it with: {deploy_hint(chosen, str(out))}")
    return EXIT_OK


def _empty_directory(name: str) -> Path:
    out = Path(name)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty directory")
    return out


def installed_package() -> Package:
    """This installed package as a wheel holds it, read from its own files and metadata."""
    root = Path(__file__).parent  # this module's package: the one installed
    files = {
        f"{PACKAGE}/{path.relative_to(root).as_posix()}": path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise UsageError(f"{DISTRIBUTION} is not installed: no metadata to build it") from None
    if distribution.version != __version__:
        raise UsageError(
            f"the installed metadata says {DISTRIBUTION} {distribution.version}, the package is "
            f"{__version__}: install it again"
        )
    licenses = {
        name: text.encode()
        for name in ("LICENSE",)
        if (text := distribution.read_text(f"licenses/{name}")) is not None
    }
    return Package(
        name=DISTRIBUTION,
        version=__version__,
        files=files,
        metadata=(distribution.read_text("METADATA") or "").encode(),
        entry_points=(distribution.read_text("entry_points.txt") or "").encode(),
        licenses=licenses,
    )
