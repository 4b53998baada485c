"""Settings from the environment: each variable, PUSHER_URL read as a URL, the order
of precedence, and errors that name the variable without quoting a secret."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mesg_pusher import InputError
from mesg_pusher.pusher import EnvironmentDefaults, variables_for

SECRET = "7ad3773142a6692b25b8"
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


def defaults(**environ: str) -> EnvironmentDefaults:
    return EnvironmentDefaults.from_environment(environ)


def test_each_variable_gives_its_input_typed_as_the_input() -> None:
    found = defaults(
        PUSHER_APP_ID="3",
        PUSHER_APP_KEY="278d425bdf160c739803",
        PUSHER_APP_SECRET=SECRET,
        PUSHER_CLUSTER="eu",
        PUSHER_PORT="6001",
        PUSHER_ENCRYPTED="true",
        PUSHER_PROXY="http://user:pw@proxy:3128",
        PUSHER_TIMEOUT="1500",
        PUSHER_KEEPALIVE="False",
        PUSHER_ENCRYPTION_MASTER_KEY_BASE64=MASTER_KEY,
    )
    assert found.apply({}) == {
        "app_id": "3",
        "key": "278d425bdf160c739803",
        "secret": SECRET,
        "cluster": "eu",
        "port": 6001,
        "tls": True,
        "proxy": "http://user:pw@proxy:3128",
        "timeout_ms": 1500,
        "keep_alive": False,
        "encryption_master_key": MASTER_KEY,
    }
    assert defaults(PUSHER_TIMEOUT="2.5", PUSHER_ENCRYPTED="0").apply({}) == {
        "timeout_ms": 2.5,
        "tls": False,
    }
    assert defaults(PUSHER_HOST="127.0.0.1").apply({}) == {"host": "127.0.0.1"}


def test_empty_variables_count_as_not_set() -> None:
    assert not defaults(PUSHER_APP_ID="", PUSHER_URL="")
    assert defaults().apply({"a": 1}) == {"a": 1}


def test_without_defaults_the_inputs_come_back_unchanged() -> None:
    inputs = {"app_id": "1"}
    assert defaults().apply(inputs) is inputs


def test_pusher_url_gives_the_app_and_the_endpoint() -> None:
    found = defaults(PUSHER_URL=f"https://278d425bdf160c739803:{SECRET}@api-eu.pusher.com/apps/3")
    assert found.apply({}) == {
        "app_id": "3",
        "key": "278d425bdf160c739803",
        "secret": SECRET,
        "host": "api-eu.pusher.com",
        "tls": True,
    }
    found = defaults(PUSHER_URL="http://k:s@127.0.0.1:6001/apps/1/")
    assert found.apply({}) == {
        "app_id": "1",
        "key": "k",
        "secret": "s",
        "host": "127.0.0.1",
        "port": 6001,
        "tls": False,
    }


def test_pusher_url_is_read_as_a_url() -> None:
    """The Python SDK's pattern takes ``[::1]:6001`` apart wrongly; a URL parser does not."""
    found = defaults(PUSHER_URL="http://k:s@[::1]:6001/apps/1").apply({})
    assert (found["host"], found["port"]) == ("[::1]", 6001)
    found = defaults(PUSHER_URL="http://k:s@[2001:db8::7]/apps/1").apply({})
    assert found["host"] == "[2001:db8::7]"
    assert "port" not in found
    # A key or secret with reserved characters is written percent-encoded.
    found = defaults(PUSHER_URL="https://k:p%40ss%3Aw%2Frd@host/apps/1").apply({})
    assert found["secret"] == "p@ss:w/rd"


def test_an_execution_input_wins_then_a_variable_then_pusher_url() -> None:
    found = defaults(
        PUSHER_URL="http://url-key:url-secret@url-host:7000/apps/9",
        PUSHER_APP_KEY="variable-key",
        PUSHER_TIMEOUT="100",
    )
    merged = found.apply({"secret": "execution-secret", "timeout_ms": 5})
    assert merged == {
        "app_id": "9",
        "key": "variable-key",
        "secret": "execution-secret",
        "host": "url-host",
        "port": 7000,
        "tls": False,
        "timeout_ms": 5,
    }


def test_host_and_cluster_are_one_choice() -> None:
    """An execution's cluster is not overridden by the environment's host (host wins over
    cluster when both are given), and PUSHER_CLUSTER is not overridden by PUSHER_URL's host."""
    found = defaults(PUSHER_HOST="127.0.0.1", PUSHER_CLUSTER="us2")
    assert found.apply({"cluster": "eu"}) == {"cluster": "eu"}
    assert found.apply({"host": "h"}) == {"host": "h"}
    assert found.apply({}) == {"host": "127.0.0.1", "cluster": "us2"}
    found = defaults(PUSHER_URL="https://k:s@url-host:7000/apps/1", PUSHER_CLUSTER="eu")
    merged = found.apply({})
    assert merged["cluster"] == "eu"
    assert "host" not in merged


def test_the_port_and_scheme_of_pusher_url_come_only_with_its_host() -> None:
    found = defaults(PUSHER_URL="https://k:s@url-host:7000/apps/1")
    merged = found.apply({"host": "other"})
    assert merged == {"host": "other", "app_id": "1", "key": "k", "secret": "s"}
    # A separate variable is not tied to a host.
    found = defaults(PUSHER_URL="https://k:s@url-host:7000/apps/1", PUSHER_PORT="8000")
    assert found.apply({"host": "other"})["port"] == 8000


def test_empty_execution_inputs_count_as_not_given() -> None:
    found = defaults(PUSHER_HOST="127.0.0.1", PUSHER_APP_SECRET=SECRET)
    assert found.apply({"host": "", "secret": None}) == {"host": "127.0.0.1", "secret": SECRET}
    assert found.apply({"tls": False})["tls"] is False


def test_the_inputs_are_never_changed() -> None:
    inputs: dict[str, Any] = {"app_id": "1"}
    defaults(PUSHER_APP_KEY="k").apply(inputs)
    assert inputs == {"app_id": "1"}


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("PUSHER_APP_ID", "a/b", "an app id uses only letters"),
        ("PUSHER_APP_KEY", "k y", "an app key uses only letters"),
        ("PUSHER_APP_SECRET", "\udcff" * 20, "an app secret must be valid Unicode"),
        ("PUSHER_CLUSTER", "e.u", "a cluster name uses only"),
        ("PUSHER_HOST", "http://h", "a host name without scheme"),
        ("PUSHER_PORT", "80a", "a port is a whole number from 1 to 65535"),
        ("PUSHER_PORT", "0", "a port is a whole number from 1 to 65535"),
        ("PUSHER_PORT", "65536", "a port is a whole number from 1 to 65535"),
        ("PUSHER_ENCRYPTED", "yes please", "is true or false"),
        ("PUSHER_KEEPALIVE", "on", "is true or false"),
        ("PUSHER_TIMEOUT", "-1", "a timeout is a number of milliseconds"),
        ("PUSHER_TIMEOUT", "0", "above 0"),
        ("PUSHER_TIMEOUT", "1e999", "a timeout is a number of milliseconds"),
        ("PUSHER_PROXY", "ftp://proxy", "a proxy URL starts with http://"),
        ("PUSHER_PROXY", "http://u:secretpass@proxy:99999", "not a valid proxy URL"),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "c2VjcmV0a2V5", "decodes to 9 bytes"),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "not base64!", "not valid base64"),
    ],
)
def test_a_bad_variable_names_the_variable(variable: str, value: str, rule: str) -> None:
    with pytest.raises(InputError) as caught:
        defaults(**{variable: value})
    assert caught.value.input == variable
    assert rule in caught.value.rule
    assert value not in str(caught.value) or value.isdigit()


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://k:s@h/apps/1", "it starts with http:// or https://"),
        ("https://h/apps/1", "it has no KEY:SECRET@ before the host"),
        ("https://k@h/apps/1", "it has no KEY:SECRET@"),
        ("https://k:@h/apps/1", "it has no KEY:SECRET@"),
        ("https://k:s@/apps/1", "it has no host"),
        ("https://k:s@h/apps/", "its path is /apps/APP_ID"),
        ("https://k:s@h/apps/1/events", "its path is /apps/APP_ID"),
        ("https://k:s@h/apps/1?x=1", "its path is /apps/APP_ID"),
        ("https://k:s@h", "its path is /apps/APP_ID"),
        ("https://k:s@h:0/apps/1", "a port is a whole number from 1 to 65535"),
        ("https://k:s@h:port/apps/1", "cannot be read as a URL"),
        ("https://k:s@[::1/apps/1", "cannot be read as a URL"),
        ("https://k:s@h-/apps/1", "a host name without scheme"),
        ("https://k:s@h/apps/a%2Fb", "an app id uses only"),
        ("https://k%20y:s@h/apps/1", "an app key uses only"),
    ],
)
def test_a_bad_pusher_url_is_explained_without_quoting_it(url: str, rule: str) -> None:
    with pytest.raises(InputError) as caught:
        defaults(PUSHER_URL=url)
    assert caught.value.input == "PUSHER_URL"
    assert rule in caught.value.rule
    assert url not in str(caught.value)


def test_no_message_quotes_the_secret_of_a_broken_url() -> None:
    """urlsplit's own message would quote the text it took for a port: here, the secret."""
    with pytest.raises(InputError) as caught:
        defaults(PUSHER_URL="https://key:topsecretvalue/x@host/apps/1")
    assert "topsecretvalue" not in str(caught.value)
    assert "cannot be read as a URL" in caught.value.rule


def test_repr_shows_which_inputs_have_a_default_but_no_value() -> None:
    found = defaults(PUSHER_APP_SECRET=SECRET, PUSHER_URL=f"https://k:{SECRET}@h/apps/1")
    assert SECRET not in repr(found)
    assert "secret" in repr(found)


def test_the_variables_that_give_a_setting_are_named() -> None:
    assert variables_for("secret") == "PUSHER_APP_SECRET or PUSHER_URL"
    assert variables_for("encryption_master_key") == "PUSHER_ENCRYPTION_MASTER_KEY_BASE64"


def test_a_caller_may_keep_the_settings_under_its_own_names() -> None:
    found = defaults(PUSHER_APP_ID="3", PUSHER_KEEPALIVE="true", PUSHER_CLUSTER="eu")
    names = {"app_id": "appId", "keep_alive": "keepAlive"}
    assert found.apply({"keepAlive": False}, names) == {
        "appId": "3",
        "keepAlive": False,
        "cluster": "eu",
    }
