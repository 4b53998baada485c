"""The first generation's two definitions: mesg.yml, which every engine of the generation reads,
and the form for engines v0.6 to v0.9 beside it, generated from it and checked against each
release's format."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from mesg_pusher.mesg import DefinitionError, load, packaged_text, with_env
from mesg_pusher.mesg._later import env_entry
from mesg_pusher.runtime import DEPLOYED_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
V06 = ROOT / "mesg-v0.6.yml"
REGENERATE = "mesg-v0.6.yml is stale: run `.venv/bin/mesg-pusher gen-definition > mesg-v0.6.yml`"
MINIMAL = "name: s\ntasks:\n  t:\n    outputs:\n      success:\n        data: {}\n"


def test_the_v06_form_in_the_repository_is_generated_from_mesg_yml() -> None:
    assert V06.read_text("utf-8") == with_env(packaged_text(), DEPLOYED_VARIABLES), REGENERATE


def test_each_form_passes_its_engines_format_and_only_its_own() -> None:
    root = (ROOT / "mesg.yml").read_text("utf-8")
    v06 = V06.read_text("utf-8")
    loaded = load(v06, engine="v0.6")
    assert (
        load(root)
        == load(root, engine="v0.6")
        == replace(loaded, configuration=replace(loaded.configuration, env=()))
    )
    assert loaded.configuration.env == tuple(map(env_entry, DEPLOYED_VARIABLES))
    with pytest.raises(DefinitionError) as refused:
        load(v06)
    assert str(refused.value) == (
        "mesg.yml: configuration.env: unknown key here (env is read by v0.6.0 to v0.26.0) "
        "(v0.1.0 to v0.5.0)"
    )
    assert "env" not in (yaml.safe_load(root).get("configuration") or {})


def test_the_v06_form_declares_every_variable_the_service_reads() -> None:
    configuration = yaml.safe_load(V06.read_text("utf-8"))["configuration"]
    assert configuration["env"] == [env_entry(name) for name in DEPLOYED_VARIABLES]
    # Engines from v0.6 refuse an --env variable the definition does not declare: every one a
    # deployer may give is there, the image's listening addresses with the image's values.
    assert set(configuration["env"]) == {
        "PUSHER_APP_ID=", "PUSHER_APP_KEY=", "PUSHER_APP_SECRET=", "PUSHER_CLUSTER=",
        "PUSHER_HOST=", "PUSHER_PORT=", "PUSHER_ENCRYPTED=", "PUSHER_PROXY=", "PUSHER_TIMEOUT=",
        "PUSHER_KEEPALIVE=", "PUSHER_URL=", "PUSHER_ENCRYPTION_MASTER_KEY_BASE64=",
        "PUSHER_RETRIES=", "PUSHER_MAX_DATA_BYTES=", "PUSHER_MAX_BATCH_EVENTS=",
        "PUSHER_WEBHOOK_APPS=", "MESG_PUSHER_CREDENTIAL_USERNAME=",
        "MESG_PUSHER_CREDENTIAL_PASSPHRASE=", "MESG_PUSHER_MAX_IN_FLIGHT=",
        "MESG_PUSHER_QUEUE_SIZE=", "MESG_PUSHER_MAX_HELD_BYTES=", "MESG_PUSHER_GRACE_PERIOD=",
        "MESG_PUSHER_RECONNECT_MAX_DELAY=", "MESG_PUSHER_SUBMIT_TIMEOUT=",
        "MESG_PUSHER_LOG_FORMAT=", "MESG_PUSHER_LOG_LEVEL=", "MESG_PUSHER_STORE=",
        "MESG_PUSHER_IDEMPOTENCY_WINDOW=", "MESG_PUSHER_WEBHOOK_EVENTS=",
        "MESG_PUSHER_WEBHOOK_CHANNELS=", "MESG_PUSHER_MAX_MEMBER_INFO_BYTES=",
        "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000", "MESG_PUSHER_ADMIN_LISTEN=127.0.0.1:3001",
    }  # fmt: skip
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8").splitlines()
    for value in (
        "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000",
        "MESG_PUSHER_ADMIN_LISTEN=127.0.0.1:3001",
    ):
        assert f"ENV {value}" in dockerfile


def test_an_existing_configuration_keeps_its_keys() -> None:
    text = MINIMAL + 'configuration:\n  ports:\n    - "3000"\n'
    generated = with_env(text, ["A", "B"])
    assert generated.splitlines()[0].startswith("# For MESG engines v0.6 to v0.9.")
    assert yaml.safe_load(generated)["configuration"] == {"ports": ["3000"], "env": ["A=", "B="]}
    assert with_env(MINIMAL.rstrip("\n"), ["A"]).endswith("configuration:\n  env:\n    - A=\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + 'configuration: {ports: ["3000"]}\n', "write configuration as a block"),
        (MINIMAL + "configuration:\n  env:\n    - A=1\n", "configuration.env: unknown key"),
        (MINIMAL + "configuration:\n    ports:\n      - '3000'\n", "indent its keys by two"),
    ],
)
def test_what_cannot_be_extended_is_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        with_env(text, ["A"])


@pytest.mark.parametrize(
    ("configuration", "message"),
    [
        ("{image: 3}", "configuration.image: text is expected"),
        ("{ports: '3000'}", "configuration.ports: a list of text is expected"),
        ("{ports: ['3000', '3000']}", "configuration.ports: each entry once"),
        ("{volumes: [1]}", r"configuration.volumes\[0\]: text is expected"),
        ("{env: [A]}", r"'A' is not KEY=VALUE .* \(v0.9.0 to v0.9.1\)"),
        ("{env: ['1A=x']}", r"'1A=x' is not KEY=VALUE"),
        ("{env: ['A=b=c']}", r"'A=b=c' is not KEY=VALUE .*exactly one ="),
        ("{env: ['A=é']}", r"configuration.env\[0\]: printable ASCII only"),
        ("{env: ['A=1', 'A=1']}", "configuration.env: each entry once"),
        ("{env: }", r"configuration.env: a list of text is expected \(v0.6.0 to v0.8.1\)"),
        ("[]", "configuration: a mapping is expected"),
    ],
)
def test_the_v06_format_checks_configuration(configuration: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load(f"{MINIMAL}configuration: {configuration}\n", engine="v0.6")


def test_args_arrived_in_v05() -> None:
    text = f"{MINIMAL}configuration: {{args: [x]}}\n"
    assert load(text, engine="v0.6").configuration.args == ("x",)
    with pytest.raises(DefinitionError, match=r"\(args is read by v0.5.0 to v0.26.0\) \(v0.1.0 to"):
        load(text)


def test_every_engine_reads_the_keys_it_always_had() -> None:
    text = MINIMAL + "configuration: {command: y, volumes: [a], ports: ['80:8080']}\n"
    assert load(text).configuration.command == "y"
    assert load(text).tasks == load(text, engine="v0.6").tasks
