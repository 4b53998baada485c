"""Configuration: options over environment over defaults; endpoints as the engine gives them."""

from __future__ import annotations

import re

import pytest

from mesg_pusher.cli import main
from mesg_pusher.runtime import ConfigError, ServeConfig, grpc_target, resolve
from mesg_pusher.runtime._config import SETTINGS

NO_OPTIONS: dict[str, str | None] = {}


def test_the_engine_environment_alone_is_enough() -> None:
    config = resolve(NO_OPTIONS, {"MESG_TOKEN": "abc", "MESG_ENDPOINT_TCP": "mesg-core:50052"})
    assert (config.token, config.endpoint, config.target) == (
        "abc",
        "mesg-core:50052",
        "mesg-core:50052",
    )
    assert config == ServeConfig(endpoint="mesg-core:50052", token="abc")


def test_mesg_endpoint_is_read_when_the_tcp_one_is_unset() -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT": "unix:///mesg/server.sock"}
    assert resolve(NO_OPTIONS, environ).target == "unix:///mesg/server.sock"
    environ["MESG_ENDPOINT_TCP"] = "mesg-core:50052"
    assert resolve(NO_OPTIONS, environ).target == "mesg-core:50052"


def test_options_win_over_environment() -> None:
    environ = {
        "MESG_TOKEN": "t",
        "MESG_ENDPOINT_TCP": "a:1",
        "MESG_PUSHER_MAX_IN_FLIGHT": "7",
        "MESG_PUSHER_GRACE_PERIOD": "2.5",
        "MESG_PUSHER_LOG_FORMAT": "JSON",
    }
    config = resolve({"max_in_flight": "9", "endpoint": "b:2"}, environ)
    assert (config.max_in_flight, config.endpoint, config.grace_period) == (9, "b:2", 2.5)
    assert config.log_format == "json"


ENGINE = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ({}, {"MESG_TOKEN": "t"}, "no engine address: set MESG_ENDPOINT_TCP"),
        ({}, {"MESG_ENDPOINT_TCP": "a:1"}, "no service token: set MESG_TOKEN"),
        ({}, {"MESG_ENDPOINT_TCP": "a:1", "MESG_TOKEN": "  "}, "no service token"),
        ({"max_in_flight": "many"}, ENGINE, "--max-in-flight: 'many' is not a whole number"),
        (
            {},
            {**ENGINE, "MESG_PUSHER_GRACE_PERIOD": "soon"},
            "MESG_PUSHER_GRACE_PERIOD: 'soon' is not a number of seconds",
        ),
        ({"grace_period": "nan"}, ENGINE, "--grace-period: 'nan' is not a number of seconds"),
        ({"max_in_flight": "0"}, ENGINE, r"^--max-in-flight: from 1 to 10000 \(got '0'\)$"),
        ({"max_in_flight": "99999999999999999999"}, ENGINE, "^--max-in-flight: from 1 to 10000 "),
        # Set in the environment: the variable is named, with its value.
        (
            NO_OPTIONS,
            {**ENGINE, "MESG_PUSHER_MAX_IN_FLIGHT": "0"},
            r"^MESG_PUSHER_MAX_IN_FLIGHT: from 1 to 10000 \(got '0'\)$",
        ),
        (
            NO_OPTIONS,
            {**ENGINE, "MESG_PUSHER_LOG_FORMAT": "xml"},
            r"^MESG_PUSHER_LOG_FORMAT: one of text, json \(got 'xml'\)$",
        ),
        ({"queue_size": "-1"}, ENGINE, r"^--queue-size: from 0 to 1000000 \(got '-1'\)$"),
        ({"queue_size": "1000001"}, ENGINE, "^--queue-size: from 0 to 1000000 "),
        ({"submit_timeout": "0"}, ENGINE, "submit-timeout: from 0.01 to 86400 seconds"),
        # gRPC would time every attempt out at once: results would never be submitted.
        ({"submit_timeout": "1e10"}, ENGINE, "submit-timeout: from 0.01 to 86400 seconds"),
        ({"reconnect_max_delay": "0.01"}, ENGINE, "reconnect-max-delay: from 0.1 to 86400 sec"),
        # gRPC's reconnection settings are 32-bit milliseconds: OverflowError.
        ({"reconnect_max_delay": "3000000"}, ENGINE, "reconnect-max-delay: from 0.1 to 86400"),
        ({"grace_period": "-1"}, ENGINE, "grace-period: from 0 to 86400 seconds"),
        ({"grace_period": "1e308"}, ENGINE, "grace-period: from 0 to 86400 seconds"),
        ({"log_format": "xml"}, ENGINE, "log-format: one of text, json"),
        ({"log_level": "loud"}, ENGINE, "log-level: one of debug"),
        ({"endpoint": "http://x:1"}, ENGINE, "scheme http:// is not supported"),
        ({"endpoint": "::1"}, ENGINE, r"an IPv6 address goes in brackets, e.g. \[::1\]"),
    ],
)
def test_bad_settings_name_their_source(
    options: dict[str, str | None], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(options, environ)


@pytest.mark.parametrize(
    ("endpoint", "target"),
    [
        ("mesg-core:50052", "mesg-core:50052"),
        ("mesg-core", "mesg-core:50052"),
        (" 127.0.0.1:9 ", "127.0.0.1:9"),
        ("tcp://mesg-core:50052/", "mesg-core:50052"),
        ("unix:///mesg/server.sock", "unix:///mesg/server.sock"),
        ("unix://relative.sock", "unix:relative.sock"),
        ("unix:relative.sock", "unix:relative.sock"),
        ("[::1]:50052", "[::1]:50052"),
        ("[::1]", "[::1]:50052"),
        ("tcp://[fe80::1%eth0]:7", "[fe80::1%eth0]:7"),
        ("dns:///mesg-core:50052", "dns:///mesg-core:50052"),
    ],
)
def test_grpc_target(endpoint: str, target: str) -> None:
    assert grpc_target(endpoint) == target


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "host:port",
        ":50052",
        "host:0",
        "host:65536",
        "host:\uff15",  # a digit to str.isdigit, not to gRPC
        "[::1",
        "[::1]x",
        "[::1]:",
        "[mesg-core]:50052",
        # Unbracketed IPv6: gRPC would dial port 443 for "::1"; "fe80::1:50052" is ambiguous.
        "::1",
        "fe80::1:50052",
        "tcp://::1",
        # Nothing to dial: serve would retry for ever ("empty address list").
        "unix://",
        "unix:",
        "dns:///",
        "tcp://",
        "tcp:///",
        "a b:1",
        "a b",
        "host\n:1",
        "ho@st:1",
    ],
)
def test_grpc_target_refuses(endpoint: str) -> None:
    with pytest.raises(ConfigError):
        grpc_target(endpoint)


def test_every_setting_is_a_config_field_with_an_environment_variable() -> None:
    fields = set(ServeConfig.__dataclass_fields__)
    for setting in SETTINGS:
        assert setting.field in fields
        # The engine's own variables have no option (the engine sets them).
        assert setting.option in ("--" + setting.field.replace("_", "-"), "")
        assert setting.env


def test_the_byte_budget_is_a_setting_with_a_range() -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}
    assert resolve(NO_OPTIONS, environ).max_held_bytes == 64 * 1024 * 1024
    environ["MESG_PUSHER_MAX_HELD_BYTES"] = "1048576"
    assert resolve(NO_OPTIONS, environ).max_held_bytes == 1 << 20
    assert resolve({"max_held_bytes": "0"}, environ).max_held_bytes == 0
    with pytest.raises(ConfigError, match=r"^--max-held-bytes: from 0 to 1099511627776 bytes "):
        resolve({"max_held_bytes": "-1"}, environ)
    with pytest.raises(ConfigError, match="MESG_PUSHER_MAX_HELD_BYTES: '1e6' is not a whole"):
        resolve(NO_OPTIONS, {**environ, "MESG_PUSHER_MAX_HELD_BYTES": "1e6"})


def test_the_webhook_listener_listens_on_loopback_by_default_and_can_be_moved_or_off() -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}
    # Loopback and a free port: many services on one machine, nothing exposed unasked.
    assert resolve(NO_OPTIONS, environ).webhook_address == ("127.0.0.1", 0)
    environ["MESG_PUSHER_WEBHOOK_LISTEN"] = "0.0.0.0:3000"  # what the container sets
    assert resolve(NO_OPTIONS, environ).webhook_address == ("0.0.0.0", 3000)
    assert resolve({"webhook_listen": "[::]:8080"}, environ).webhook_address == ("::", 8080)
    assert resolve({"webhook_listen": " localhost:1 "}, environ).webhook_address == (
        "localhost",
        1,
    )
    assert resolve({"webhook_listen": "OFF"}, environ).webhook_address is None


@pytest.mark.parametrize(
    "value", ["", "3000", ":3000", "host:", "host:65536", "host:x", "::1:3000", "[x]:1", "a b:1"]
)
def test_a_webhook_address_it_cannot_use_is_refused(value: str) -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1", "MESG_PUSHER_WEBHOOK_LISTEN": "x"}
    shown = re.escape(repr(value))
    with pytest.raises(
        ConfigError,
        match=rf"^--webhook-listen: HOST:PORT \(port 0 to 65535\), .* or off \(got {shown}\)$",
    ):
        resolve({"webhook_listen": value}, environ)


def test_serve_refuses_an_app_key_equal_to_its_secret_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    same = "same-key-and-secret-0123"
    for name, value in {
        "MESG_TOKEN": "token",
        "MESG_ENDPOINT_TCP": "127.0.0.1:1",
        "MESG_PUSHER_WEBHOOK_LISTEN": "off",
        "PUSHER_APP_KEY": same,
        "PUSHER_APP_SECRET": same,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "mesg-pusher serve: error: PUSHER_APP_SECRET: is the same as the app key"
    )
    assert same not in error


def test_the_admin_address_is_its_own_loopback_free_port_by_default_and_can_be_off() -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}
    config = resolve(NO_OPTIONS, environ)
    assert config.admin_address == ("127.0.0.1", 0)
    environ["MESG_PUSHER_ADMIN_LISTEN"] = "127.0.0.1:3001"  # what the container sets
    assert resolve(NO_OPTIONS, environ).admin_address == ("127.0.0.1", 3001)
    assert resolve({"admin_listen": "off"}, environ).admin_address is None
    with pytest.raises(
        ConfigError,
        match=r"^MESG_PUSHER_ADMIN_LISTEN: HOST:PORT \(port 0 to 65535\), .* or off \(got '9'\)$",
    ):
        resolve(NO_OPTIONS, {**environ, "MESG_PUSHER_ADMIN_LISTEN": "9"})


def test_the_webhook_filters_are_comma_lists_checked_against_mesg_yml() -> None:
    environ = {
        "MESG_TOKEN": "t",
        "MESG_ENDPOINT_TCP": "a:1",
        "MESG_PUSHER_WEBHOOK_EVENTS": " member_added,client_event,, member_added ",
        "MESG_PUSHER_WEBHOOK_CHANNELS": "presence-, private-orders-",
    }
    config = resolve(NO_OPTIONS, environ)
    assert config.webhook_events == ("member_added", "client_event")
    assert config.webhook_channels == ("presence-", "private-orders-")
    assert resolve(NO_OPTIONS, {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}).webhook_events == ()
    with pytest.raises(
        ConfigError,
        match=r"^MESG_PUSHER_WEBHOOK_EVENTS: event keys among cache_miss, channel_occupied, "
        r".*; not 'member_add' \(got 'member_add'\)$",
    ):
        resolve(NO_OPTIONS, {**environ, "MESG_PUSHER_WEBHOOK_EVENTS": "member_add"})
    with pytest.raises(
        ConfigError, match=r"^--webhook-events: ',' is not a comma list of event keys$"
    ):
        resolve({"webhook_events": ","}, environ)
    with pytest.raises(
        ConfigError,
        match=r"^--webhook-channels: channel name prefixes: channel name \"a b\" has the "
        r"forbidden character",
    ):
        resolve({"webhook_channels": "presence-,a b"}, environ)


def test_the_member_memory_is_a_setting_with_a_range() -> None:
    environ = {"MESG_TOKEN": "t", "MESG_ENDPOINT_TCP": "a:1"}
    assert resolve(NO_OPTIONS, environ).max_member_info_bytes == 16 * 1024 * 1024
    environ["MESG_PUSHER_MAX_MEMBER_INFO_BYTES"] = "0"
    assert resolve(NO_OPTIONS, environ).max_member_info_bytes == 0
    with pytest.raises(ConfigError, match=r"^--max-member-info-bytes: from 0 to "):
        resolve({"max_member_info_bytes": "-5"}, environ)


def test_serve_refuses_a_broken_pusher_webhook_apps_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "MESG_TOKEN": "token",
        "MESG_ENDPOINT_TCP": "127.0.0.1:1",
        "PUSHER_WEBHOOK_APPS": "good:secret-one-123,only-a-secret-0987",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error == (
        "mesg-pusher serve: error: PUSHER_WEBHOOK_APPS: entry 2 is not KEY:SECRET (a comma "
        "list of KEY:SECRET)\n"
    )
