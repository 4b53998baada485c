"""The commands ``demo --stay`` prints: each one line that a shell runs as it is, whatever its
endpoint, id or protocol hold (``tests/test_demo.py`` runs them against a demo)."""

from __future__ import annotations

import shlex

from mesg_pusher.demo._commands import stay_commands
from mesg_pusher.pusher import App

APP = App("1", "local-key", "local-secret")


def test_the_engine_commands_name_the_engine_and_the_service() -> None:
    (_, execute), (_, listen), (_, direct) = stay_commands("127.0.0.1:5000", "tok", APP, 6001)
    assert execute == (
        "mesg-pusher engine execute --endpoint 127.0.0.1:5000 --service tok trigger "
        '-d channel=demo-orders -d name=hello -d \'data={"from":"a terminal"}\''
    )
    assert listen == "mesg-pusher engine listen --endpoint 127.0.0.1:5000 --service tok"
    assert direct == (
        "PUSHER_URL=http://local-key:local-secret@127.0.0.1:6001/apps/1 mesg-pusher execute "
        'trigger -d channel=demo-orders -d name=hello -d \'data={"from":"a terminal"}\''
    )


def test_a_later_protocol_and_any_id_are_quoted_for_the_shell() -> None:
    odd = "id with 'quotes' $HOME"
    commands = stay_commands("[::1]:5000", odd, APP, 6001, protocol="v0.21.0")
    for _, command in commands[:2]:
        words = shlex.split(command)
        assert words[words.index("--service") + 1] == odd
        assert words[words.index("--protocol") + 1] == "v0.21.0"
        assert words[words.index("--endpoint") + 1] == "[::1]:5000"


def test_credentials_and_a_key_are_given_as_the_engine_commands_read_them() -> None:
    commands = stay_commands(
        "127.0.0.1:5000", "tok", APP, 6001, protocol="v0.17.0", credentials=("me", "pa ss")
    )
    for _, command in commands[:2]:
        assert command.startswith(
            "MESG_PUSHER_CREDENTIAL_USERNAME=me MESG_PUSHER_CREDENTIAL_PASSPHRASE='pa ss' "
            "mesg-pusher engine "
        )
    assert commands[2][1].startswith("PUSHER_URL=")  # not for the execution without the engine
    commands = stay_commands(
        "127.0.0.1:5000", "tok", APP, 6001, protocol="v0.26.0", identity_file="/tmp/a b/key"
    )
    for _, command in commands[:2]:
        words = shlex.split(command)
        assert words[words.index("--identity") + 1] == "/tmp/a b/key"
