"""``mesg-pusher validate``: the file it reads (mesg.yml in the current directory unless told),
which releases it checks (those of the file's form, or ``--engine``'s), its messages (key path,
rule, releases; warnings for what a compiler drops) and its exit statuses (0, 1, 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mesg_pusher.mesg import definition_for, packaged_text, releases
from mesg_pusher.pusher import ENVIRONMENT_VARIABLES

TASKS = (
    "tasks authenticateUser, authorizeChannel, channel, channels, sendToUser, "
    "terminateUserConnections, trigger, triggerBatch, users"
)
G1 = "name: s\ntasks:\n  t:\n    outputs:\n      success:\n        data: {}\n"


def validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "validate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_mesg_yml_in_the_current_directory_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "mesg.yml").write_text(G1.replace("name: s", "name: here"))
    done = validate(cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "mesg.yml is valid for v0.1.0 to v0.9.1, the first generation's form: service here, "
        "tasks t\n"
    )


def test_without_one_it_says_how_to_name_a_file(tmp_path: Path) -> None:
    done = validate(cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "mesg-pusher validate: error: no mesg.yml in the current directory: give FILE, or "
        "--packaged for the one this package ships\n"
    )


def test_the_packaged_definition_is_checked_when_asked_and_named(tmp_path: Path) -> None:
    done = validate("--packaged", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("the packaged mesg.yml (")
    assert done.stdout.endswith(
        "mesg.yml) is valid for v0.1.0 to v0.9.1, the first generation's form: service "
        f"mesg-pusher, {TASKS}\n"
    )
    both = validate("--packaged", "mesg.yml", cwd=tmp_path)
    assert (both.returncode, both.stderr) == (
        2,
        "mesg-pusher validate: error: give one file: FILE, --file or --packaged\n",
    )


@pytest.mark.parametrize(
    ("engine", "form", "checked"),
    [
        ("v0.6", "first-env", "v0.6.0 to v0.9.1, the first generation's form with "
         "configuration.env"),
        ("v0.16", "later", "v0.10.0 to v0.25.1, the form of v0.10 and later"),
        ("v0.26", "priced", "v0.26.0, v0.26's form, with task prices"),
    ],
)  # fmt: skip
def test_each_generated_form_is_checked_for_every_release_it_is_for(
    engine: str, form: str, checked: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{form}.yml"
    path.write_text(definition_for(releases(engine), packaged_text(), ENVIRONMENT_VARIABLES))
    done = validate(str(path), cwd=tmp_path)
    # The one warning: v0.26's prices are dropped by the compiler (said once, not per task).
    dropped = (
        f"{path}: warning: tasks.trigger.price: dropped by the compiler, like every task's "
        "price: v0.26.0 takes them from the service.json that `mesg-pusher service-dir "
        "--engine v0.26` writes (v0.26.0)\n"
    )
    assert (done.returncode, done.stderr) == (0, dropped if form == "priced" else "")
    assert done.stdout == f"{path} is valid for {checked}: service mesg-pusher, {TASKS}\n"


def test_each_problem_is_one_line_with_its_path_rule_and_releases(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(G1.replace("  t:", "  t2:") + "description: café\n")
    done = validate(str(path), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"{path}: tasks.t2: a key matches ^[a-zA-Z_-]+$ (v0.1.0 to v0.2.0)",
        f"{path}: description: printable ASCII only, not 'é' (v0.9.0 to v0.9.1)",
        f"{path} is invalid for v0.1.0 to v0.2.0, v0.9.0 to v0.9.1; valid for v0.3.0 to v0.8.1",
    ]
    one = validate("--engine", "v0.3", str(path), cwd=tmp_path)
    assert (one.returncode, one.stdout) == (0, f"{path} is valid for v0.3.0: service s, tasks t2\n")


def test_what_a_compiler_drops_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "later.yml"
    path.write_text("name: s\ntasks:\n  t:\n    secrets: {}\n    outputs: {}\n")
    done = validate("--engine", "v0.16", str(path), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr == (
        f"{path}: warning: tasks.t.secrets: dropped by the compiler: unknown key: a task takes "
        "description, inputs, name, outputs (v0.16.0)\n"
    )
    assert done.stdout == f"{path} is valid for v0.16.0: service s, tasks t\n"
    strict = validate("--engine", "v0.10", str(path), cwd=tmp_path)
    assert strict.returncode == 1
    assert f"{path}: tasks.t.secrets: unknown key: a task takes " in strict.stderr


def test_a_file_in_another_releases_form_is_told_where_that_form_comes_from(
    tmp_path: Path,
) -> None:
    (tmp_path / "mesg.yml").write_text(packaged_text())
    done = validate("--engine", "v0.26", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-2:] == [
        "mesg.yml is invalid for v0.26.0",
        "mesg.yml is in the first generation's form, not the one v0.26.0 read: `mesg-pusher "
        "service-dir --engine VERSION OUT` writes a directory in each release's form "
        "(`mesg-pusher gen-definition --engine VERSION`: its mesg.yml)",
    ]
    # A file in the release's own form with a mistake in it gets no such line.
    (tmp_path / "mesg.yml").write_text(G1.replace("  t:", "  t2:"))
    same = validate("--engine", "v0.2", cwd=tmp_path)
    assert same.stderr.splitlines()[-1] == "mesg.yml is invalid for v0.2.0"


def test_a_file_that_is_not_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mesg.yml"
    path.write_text("name: x\ntasks: [\n")
    done = validate(cwd=tmp_path)
    assert (done.returncode, done.stderr.count("\n")) == (1, 1)
    assert done.stderr.startswith("mesg.yml is invalid: mesg.yml is not valid YAML: ")


@pytest.mark.parametrize("engine", ["v0.27", "v1", "auto"])
def test_an_unknown_release_is_a_usage_error(engine: str, tmp_path: Path) -> None:
    done = validate("--engine", engine, "--packaged", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert f"argument --engine: '{engine}' is not a MESG engine release: give one from" in (
        done.stderr
    )
