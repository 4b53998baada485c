"""The pure rules behind the local server's Pusher defaults and limits: an app's options after
its secret, injected faults from seeded draws, the daily message quota and the client-event
rate, clocked by the test."""

from __future__ import annotations

import json

import pytest

from mesg_pusher._errors import InputError
from mesg_pusher.local_server import AppOptions, Fault, ServerSettings, parse_app, parse_fault
from mesg_pusher.local_server import _protocol as protocol
from mesg_pusher.local_server._fault_injection import (
    HTTP_500,
    KINDS,
    SLOW_ANSWER,
    SLOW_WEBHOOK,
    WS_DROP,
    FaultDraws,
)
from mesg_pusher.local_server._quotas import ClientEventRate, DailyMessages
from mesg_pusher.pusher import App

# --- --app ID:KEY:SECRET[:OPTION,...] -----------------------------------------------------------


def test_an_app_without_options_has_pushers_defaults_all_off() -> None:
    app, options = parse_app("7:key-seven:s3cret")
    assert app == App("7", "key-seven", "s3cret")
    assert options == AppOptions()
    assert (options.client_events, options.user_auth, options.subscription_count) == (
        False,
        False,
        False,
    )
    assert ServerSettings().options_of("1") == AppOptions()


@pytest.mark.parametrize(
    ("spec", "secret", "options"),
    [
        ("7:k:s3cret:client-events", "s3cret", AppOptions(client_events=True)),
        ("7:k:s3cret:user-auth", "s3cret", AppOptions(user_auth=True)),
        ("7:k:s3cret:subscription-count", "s3cret", AppOptions(subscription_count=True)),
        (
            "7:k:s:3:subscription-count,client-events,user-auth",
            "s:3",
            AppOptions(client_events=True, user_auth=True, subscription_count=True),
        ),
        # A secret holding colons keeps them when what follows is no option list.
        ("7:k:s:8", "s:8", AppOptions()),
        ("7:k:a:B:c", "a:B:c", AppOptions()),
    ],
)
def test_options_follow_the_secret(spec: str, secret: str, options: AppOptions) -> None:
    app, parsed = parse_app(spec)
    assert (app.secret, parsed) == (secret, options)


def test_a_misspelt_option_is_refused_without_quoting_it() -> None:
    # It might be the end of a secret: the message names the rule, not the text.
    with pytest.raises(InputError) as refused:
        parse_app("7:k:top-secret:client-event")
    assert refused.value.input == "--app"
    assert "client-events, subscription-count, user-auth" in refused.value.rule
    assert "client-event," not in str(refused.value)
    assert "top-secret" not in str(refused.value)


def test_option_names_are_listed_back() -> None:
    assert AppOptions(client_events=True, user_auth=True).names == ("client-events", "user-auth")


def test_settings_refuse_options_or_disabled_apps_they_do_not_serve() -> None:
    app = App("7", "k", "s")
    with pytest.raises(InputError, match="app id 8 is not one of the apps served"):
        ServerSettings(apps=(app,), app_options={"8": AppOptions(client_events=True)})
    with pytest.raises(InputError, match=r"^disabled: app id 9"):
        ServerSettings(apps=(app,), disabled=frozenset({"9"}))
    with pytest.raises(InputError, match=r"^quota: must be at least 1"):
        ServerSettings(apps=(app,), quota=0)
    with pytest.raises(InputError, match=r"^signin_timeout:"):
        ServerSettings(apps=(app,), signin_timeout=0)


# --- --fault KIND[:RATE][:MS] --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("http-500", Fault(HTTP_500, 1.0, 0)),
        ("http-500:0.25", Fault(HTTP_500, 0.25, 0)),
        ("slow-answer", Fault(SLOW_ANSWER, 1.0, 10_000)),
        ("slow-answer:0.5:1500", Fault(SLOW_ANSWER, 0.5, 1500)),
        ("slow-webhook::250", Fault(SLOW_WEBHOOK, 1.0, 250)),
        ("ws-drop:0", Fault(WS_DROP, 0.0, 0)),
    ],
)
def test_fault_specs(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == fault


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("", "expected KIND[:RATE][:MS]"),
        ("http-404", "unknown kind 'http-404' (kinds: http-500, http-503, reset-before-read"),
        ("http-500:1.5", "http-500: RATE is a fraction from 0 to 1"),
        ("http-500:-0.1", "http-500: RATE is a fraction from 0 to 1"),
        ("http-500:half", "RATE is a number from 0 to 1"),
        ("http-500:1:200", "http-500: MS is for slow-answer and slow-webhook"),
        ("slow-answer:1:soon", "MS is a whole number of milliseconds"),
        ("slow-answer:1:3600001", "slow-answer: MS is 0 to 3600000 milliseconds"),
        ("http-500:1:2:3", "expected KIND[:RATE][:MS]"),
    ],
)
def test_bad_fault_specs_name_the_option_and_the_rule(spec: str, rule: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_fault(spec)
    assert refused.value.input == "--fault"
    assert rule in refused.value.rule


def test_every_kind_is_known() -> None:
    assert KINDS == (
        "http-500",
        "http-503",
        "reset-before-read",
        "reset-after-read",
        "slow-answer",
        "drop-webhook",
        "slow-webhook",
        "ws-drop",
    )


def draws(faults: list[Fault], seed: int, kind: str, chances: int) -> list[bool]:
    source = FaultDraws(faults, seed)
    return [source.draw(kind) is not None for _ in range(chances)]


def test_the_same_seed_gives_the_same_faults_and_another_differs() -> None:
    half = [Fault(HTTP_500, 0.5)]
    first = draws(half, 7, HTTP_500, 200)
    assert first == draws(half, 7, HTTP_500, 200)
    assert first != draws(half, 8, HTTP_500, 200)
    assert 60 < sum(first) < 140  # about half of 200 fire


def test_each_kind_draws_from_its_own_stream() -> None:
    alone = draws([Fault(HTTP_500, 0.5)], 3, HTTP_500, 50)
    source = FaultDraws([Fault(HTTP_500, 0.5), Fault(WS_DROP, 0.5)], 3)
    mixed = []
    for _ in range(50):
        source.draw(WS_DROP)  # another kind's chances in between change nothing
        mixed.append(source.draw(HTTP_500) is not None)
    assert mixed == alone


def test_rates_of_zero_and_one_and_kinds_not_given() -> None:
    assert draws([Fault(HTTP_500, 1.0)], 1, HTTP_500, 20) == [True] * 20
    assert draws([Fault(HTTP_500, 0.0)], 1, HTTP_500, 20) == [False] * 20
    assert draws([Fault(HTTP_500, 1.0)], 1, WS_DROP, 5) == [False] * 5
    assert not FaultDraws([], 1)
    with pytest.raises(InputError, match="http-500 is given twice"):
        FaultDraws([Fault(HTTP_500), Fault(HTTP_500, 0.5)], 1)


def test_faults_say_what_they_inject() -> None:
    assert str(Fault(HTTP_500)) == "http-500"
    assert str(Fault(HTTP_500, 0.25)) == "http-500 at rate 0.25"
    assert str(Fault(SLOW_ANSWER, 1.0, 1500)) == "slow-answer, 1500 ms"


# --- the daily quota and the client-event rate ------------------------------------------------


def test_messages_count_per_app_per_utc_day() -> None:
    day = 20_000 * 86_400.0
    messages = DailyMessages(quota=3)
    messages.add("1", 2, day + 10)
    assert not messages.over("1", day + 11)
    messages.add("1", 1, day + 12)
    assert messages.over("1", day + 13)
    assert not messages.over("2", day + 13)  # per app
    assert messages.today("1", day + 86_399) == 3
    assert messages.today("1", day + 86_400) == 0  # midnight UTC starts a new day
    assert not messages.over("1", day + 86_400)
    assert not DailyMessages().over("1", day)  # no quota: never over


def test_ten_client_events_in_any_second_and_not_one_more() -> None:
    rate = ClientEventRate()
    assert [rate.allow(100.0 + i * 0.01) for i in range(10)] == [True] * 10
    assert not rate.allow(100.5)  # the 11th within one second
    assert not rate.allow(100.99)
    assert rate.allow(101.0)  # the first has left the window
    assert not rate.allow(101.0)


# --- frames --------------------------------------------------------------------------------------


def test_subscription_count_frame_as_pusher_sends_it() -> None:
    assert json.loads(protocol.subscription_count("news", 3)) == {
        "event": "pusher_internal:subscription_count",
        "channel": "news",
        "data": '{"subscription_count":3}',
    }
