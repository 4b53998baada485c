"""``mesg-pusher service-dir``: the directory a release deploys holds its Dockerfile (the root
one's steps, the release in MESG_PUSHER_ENGINE), its mesg.yml in that release's form, the locked
dependencies and a wheel of the installed package, which installs and runs; and a copy
installed from that wheel writes the same directory."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import mesg_pusher
from mesg_pusher.mesg import (
    DEPLOY,
    RELEASES,
    Package,
    build_wheel,
    definition_for,
    deploy_hint,
    dockerfile,
    packaged_text,
    releases,
)
from mesg_pusher.runtime import DEPLOYED_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
WHEEL = f"mesg_pusher-{mesg_pusher.__version__}-py3-none-any.whl"
FILES = ["Dockerfile", WHEEL, "mesg.yml", "requirements.txt"]
WAIT = 120  # seconds for a command that installs a wheel on a loaded machine


def _cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    pairs = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word, " ".join(rest.split())))
    return pairs


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """service-dir run once per release that matters here."""
    base = tmp_path_factory.mktemp("service-dirs")
    out = {}
    for engine in ("v0.2.0", "v0.6", "v0.16", "v0.26"):
        done = _cli("service-dir", "--engine", engine, str(base / engine))
        assert done.returncode == 0, done.stderr
        out[engine] = base / engine
    return out


@pytest.mark.parametrize("engine", ["v0.2.0", "v0.6", "v0.16", "v0.26"])
def test_each_directory_holds_its_releases_files(engine: str, written: dict[str, Path]) -> None:
    out = written[engine]
    expected_files = [*FILES, "service.json"] if engine == "v0.26" else FILES
    assert sorted(p.name for p in out.iterdir()) == sorted(expected_files)
    dockerfile_text = (out / "Dockerfile").read_text("utf-8")
    assert f"ENV MESG_PUSHER_ENGINE={engine}" in dockerfile_text.splitlines()
    expected = definition_for(releases(engine), packaged_text(), DEPLOYED_VARIABLES)
    assert (out / "mesg.yml").read_text("utf-8") == expected
    lock = (ROOT / "requirements" / "runtime.txt").read_bytes()
    assert (out / "requirements.txt").read_bytes() == lock


def test_the_mesg_yml_of_each_directory_is_in_its_releases_form(written: dict[str, Path]) -> None:
    assert (written["v0.2.0"] / "mesg.yml").read_text("utf-8") == packaged_text()
    assert (written["v0.6"] / "mesg.yml").read_text("utf-8") == (ROOT / "mesg-v0.6.yml").read_text(
        "utf-8"
    )
    later = (written["v0.16"] / "mesg.yml").read_text("utf-8")
    assert "sid: com.mesg.pusher" in later.splitlines()
    assert "price:" not in later
    assert "    price:\n      perCall: '0'\n" in (written["v0.26"] / "mesg.yml").read_text("utf-8")


def test_v0_26_gets_the_compiled_definition_with_its_prices(written: dict[str, Path]) -> None:
    # Every compiler drops a task's price, which v0.26.0 requires: service.json keeps them,
    # in the compiled shape (lists of keyed items) mesg-cli service:create passes on.
    compiled = json.loads((written["v0.26"] / "service.json").read_text("utf-8"))
    later = yaml.safe_load((written["v0.26"] / "mesg.yml").read_text("utf-8"))
    assert compiled["sid"] == "com.mesg.pusher"
    assert [t["key"] for t in compiled["tasks"]] == list(later["tasks"])
    assert [e["key"] for e in compiled["events"]] == list(later["events"])
    for task in compiled["tasks"]:
        assert task["price"] == {"perCall": "0", "perSec": "0", "perKB": "0"}
        declared = later["tasks"][task["key"]]
        assert [p["key"] for p in task.get("inputs", [])] == list(declared.get("inputs", {}))
        assert [p["key"] for p in task["outputs"]] == list(declared["outputs"])
    assert "source" not in compiled  # the CLI's own compile gives it
    assert "service.json" not in os.listdir(written["v0.16"])


def test_the_dockerfile_is_the_roots_with_the_wheel_and_the_release() -> None:
    root = _instructions((ROOT / "Dockerfile").read_text("utf-8"))
    ours = _instructions(dockerfile("v0.16", releases("v0.16"), WHEEL))
    # The root copies the checkout and the lock from requirements/; a directory has its own.
    differs = {
        ("COPY", "requirements/runtime.txt requirements/runtime.txt"): [
            ("COPY", "requirements.txt requirements.txt")
        ],
        ("RUN", "pip install --no-deps -r requirements/runtime.txt && pip check"): [
            ("RUN", "pip install --no-deps -r requirements.txt && pip check")
        ],
        ("COPY", "pyproject.toml README.md LICENSE ./"): [("COPY", f"{WHEEL} ./")],
        ("COPY", "src/ src/"): [],
        ("RUN", "pip install --no-deps . && rm -rf src"): [
            ("RUN", f"pip install --no-deps ./{WHEEL} && pip check && rm ./{WHEEL}")
        ],
        ("ENV", "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000"): [
            ("ENV", "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000"),
            ("ENV", "MESG_PUSHER_ENGINE=v0.16"),
        ],
    }
    expected = [line for pair in root for line in differs.get(pair, [pair])]
    assert ours == expected


@pytest.mark.parametrize(
    ("engine", "variables"),
    [
        ("v0.2", "MESG_TOKEN, MESG_ENDPOINT, MESG_ENDPOINT_TCP"),
        ("v0.10", "MESG_TOKEN, MESG_ENDPOINT"),
        ("v0.18", "MESG_INSTANCE_HASH, MESG_RUNNER_HASH, MESG_ENDPOINT"),
        ("v0.26", "MESG_SERVICE_HASH, MESG_INSTANCE_HASH, MESG_RUNNER_HASH, MESG_ENDPOINT"),
    ],
)
def test_the_dockerfile_says_what_the_engine_gives_the_service(engine: str, variables: str) -> None:
    head = " ".join(dockerfile(engine, releases(engine), WHEEL).split("FROM")[0].split())
    assert variables in head


def _package() -> Package:
    return Package(
        name="mesg-pusher",
        version="9.9.9",
        files={"mesg_pusher/__init__.py": b"x = 1\n", "mesg_pusher/data/a.txt": b"caf\xc3\xa9"},
        metadata=b"Metadata-Version: 2.4\nName: mesg-pusher\nVersion: 9.9.9\n",
        entry_points=b"[console_scripts]\nmesg-pusher = mesg_pusher.cli:main\n",
        licenses={"LICENSE": b"MIT\n"},
    )


def test_a_wheel_records_every_file_with_its_hash_and_is_the_same_each_time() -> None:
    data = build_wheel(_package())
    assert data == build_wheel(_package())
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as wheel:
        names = wheel.namelist()
        record = wheel.read("mesg_pusher-9.9.9.dist-info/RECORD").decode()
        rows = [line.split(",") for line in record.splitlines()]
        assert [row[0] for row in rows] == names
        for path, digest, size in rows[:-1]:
            content = wheel.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(content))
        assert rows[-1] == ["mesg_pusher-9.9.9.dist-info/RECORD", "", ""]
        assert "Tag: py3-none-any" in wheel.read("mesg_pusher-9.9.9.dist-info/WHEEL").decode()
        assert "mesg_pusher-9.9.9.dist-info/licenses/LICENSE" in names


@pytest.mark.integration
def test_the_wheel_installs_runs_and_writes_the_same_directory(
    written: dict[str, Path], tmp_path: Path
) -> None:
    """The wheel, installed away from this checkout, is the package that runs, and a
    service-dir run from it writes the same files: the code comes from the installed files."""
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--disable-pip-version-check", "--target", str(target), str(written["v0.16"] / WHEEL)],
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {"PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import mesg_pusher; print(mesg_pusher.__file__)"],
        capture_output=True, text=True, timeout=WAIT, check=False, cwd=away,
        env={**os.environ, **env},
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(target), where.stderr
    done = _cli("service-dir", "--engine", "v0.16", str(away / "out"), cwd=away, env=env)
    assert done.returncode == 0, done.stderr
    for name in FILES:
        assert (away / "out" / name).read_bytes() == (written["v0.16"] / name).read_bytes(), name
    version = _cli("--version", cwd=away, env=env)
    assert version.stdout.strip() == f"mesg-pusher {mesg_pusher.__version__}"


def test_the_command_says_what_it_wrote_and_how_to_deploy_it(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    done = _cli("service-dir", "--engine", "0.16", str(out))
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == (
        f"wrote {out} for MESG engine v0.16 (v0.16.0): Dockerfile, mesg.yml, requirements.txt, "
        f"{WHEEL}; its mesg.yml is the form of v0.10 and later"
    )
    assert second == (
        f'deploy it with: mesg-cli service:create "$(mesg-cli service:compile {out})", then '
        "mesg-cli service:start <hash> --env PUSHER_APP_ID=... (mesg-cli 1.1 to 2.0.1)"
    )
    assert "ENV MESG_PUSHER_ENGINE=v0.16\n" in (out / "Dockerfile").read_text("utf-8")


def test_v0_26_is_deployed_from_its_compiled_definition() -> None:
    hint = deploy_hint(releases("v0.26"), "OUT")
    assert hint.startswith(
        'mesg-cli service:create "$(jq --argjson c "$(mesg-cli service:compile OUT)" '
        "'.source = $c.source' OUT/service.json)\", then mesg-cli service:start <hash> --env "
    )
    assert deploy_hint(releases("v0.25"), "OUT").startswith("mesg-cli service:dev OUT ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "v0.99"], "argument --engine: 'v0.99' is not a MESG engine release"),
        (["--engine", "v0.16", "--price", "1,2,3"], "a task price is read by v0.26.0 only"),
        (["--engine", "v0.26", "--price", "1,2"], "is not PERCALL,PERSEC,PERKB"),
        (["--engine", "v0.26", "--price", "1,-2,3"], "is not PERCALL,PERSEC,PERKB"),
    ],
)
def test_a_wrong_release_or_price_is_a_usage_error(
    args: list[str], message: str, tmp_path: Path
) -> None:
    done = _cli("service-dir", *args, str(tmp_path / "out"))
    assert (done.returncode, done.stdout) == (2, "")
    assert message in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_directory_that_holds_something_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = _cli("service-dir", "--engine", "v0.2", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"mesg-pusher service-dir: error: {tmp_path} exists and is not an empty directory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_the_readme_table_names_each_generations_tools_and_variables() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Running under a MESG engine\n", 1)[1].split("\n## ", 1)[0]
    for each in RELEASES:
        for variable in each.environment:
            assert f"`{variable}`" in section, (each.tag, variable)
    for command in (
        "mesg-core service deploy .",
        "mesg-core service deploy OUT --env",
        "mesg-cli service:deploy OUT",
        'mesg-cli service:create "$(mesg-cli service:compile OUT)"',
        "mesg-cli service:start <hash> --env",
        "mesg-cli service:dev OUT",
        "service-dir --engine VERSION OUT",
    ):
        assert command in section, command
    for hint in DEPLOY.values():
        tool = hint.rsplit("(", 1)[-1].rstrip(")") if hint.endswith(")") else "mesg-core"
        assert tool.split(" ")[0] in section, hint
