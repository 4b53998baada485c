"""The app whose webhooks serve verifies, read from the environment as the tasks read it."""

from __future__ import annotations

import pytest

from mesg_pusher.runtime._webhook_apps import WebhookApp, webhook_apps
from mesg_pusher.tasks import ServiceEnvironment

SECRET = "7ad3773142a6692b25b8"
read = ServiceEnvironment.read


def test_the_key_and_secret_variables_give_the_app() -> None:
    apps, problem = webhook_apps(read({"PUSHER_APP_KEY": "k", "PUSHER_APP_SECRET": SECRET}))
    assert (apps, problem) == ((WebhookApp("k", SECRET),), None)
    assert SECRET not in repr(apps)


def test_pusher_url_gives_the_app_and_the_variables_win_over_it() -> None:
    url = f"https://url-key:{SECRET}@api-eu.pusher.com/apps/42"
    assert webhook_apps(read({"PUSHER_URL": url})) == ((WebhookApp("url-key", SECRET),), None)
    mixed = {"PUSHER_URL": url, "PUSHER_APP_KEY": "k"}
    assert webhook_apps(read(mixed)) == ((WebhookApp("k", SECRET),), None)


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({}, "set PUSHER_APP_KEY and PUSHER_APP_SECRET, or PUSHER_URL"),
        ({"PUSHER_APP_KEY": "k"}, "PUSHER_APP_SECRET is not set (nor PUSHER_URL)"),
        ({"PUSHER_APP_SECRET": SECRET}, "PUSHER_APP_KEY is not set (nor PUSHER_URL)"),
        ({"PUSHER_APP_KEY": "k", "PUSHER_APP_SECRET": SECRET, "PUSHER_PORT": "x"}, "PUSHER_PORT"),
        ({"PUSHER_URL": f"ftp://k:{SECRET}@h/apps/1"}, "PUSHER_URL: a Pusher URL looks like"),
    ],
)
def test_without_a_whole_app_none_is_configured_and_the_reason_names_the_variable(
    environ: dict[str, str], problem: str
) -> None:
    apps, reason = webhook_apps(read(environ))
    assert apps == ()
    assert reason is not None
    assert reason.startswith("no Pusher app for webhooks: ")
    assert problem in reason
    assert SECRET not in reason


STAGING = "staging-secret-0c9d8e7f"


def test_pusher_webhook_apps_adds_apps_after_the_main_one() -> None:
    environ = {
        "PUSHER_APP_KEY": "k",
        "PUSHER_APP_SECRET": SECRET,
        # A second token of the main app (a key shared while its secret is rotated), a staging
        # app, and the main app again (counted once).
        "PUSHER_WEBHOOK_APPS": f"k:{STAGING}-rotated, staging:{STAGING},k:{SECRET}",
    }
    apps, problem = webhook_apps(read(environ))
    assert problem is None
    assert apps == (
        WebhookApp("k", SECRET),
        WebhookApp("k", f"{STAGING}-rotated"),
        WebhookApp("staging", STAGING),
    )
    assert STAGING not in repr(apps)


def test_the_further_apps_alone_or_without_a_whole_main_app() -> None:
    only = {"PUSHER_WEBHOOK_APPS": f"staging:{STAGING}"}
    assert webhook_apps(read(only)) == ((WebhookApp("staging", STAGING),), None)
    apps, problem = webhook_apps(read({**only, "PUSHER_APP_KEY": "k"}))
    assert apps == (WebhookApp("staging", STAGING),)
    assert problem == (
        "the main app takes no webhooks: PUSHER_APP_SECRET is not set (nor PUSHER_URL)"
    )


def test_a_broken_variable_leaves_no_app() -> None:
    for environ in (
        {"PUSHER_WEBHOOK_APPS": f"staging:{STAGING}", "PUSHER_PORT": "x"},
        {"PUSHER_APP_KEY": "k", "PUSHER_APP_SECRET": SECRET, "PUSHER_WEBHOOK_APPS": "nokey"},
    ):
        apps, reason = webhook_apps(read(environ))
        assert apps == ()
        assert reason is not None
        assert reason.startswith("no Pusher app for webhooks: PUSHER_")
        assert STAGING not in reason
