"""Which app signed a webhook: the signature (`pusher.webhook_signature`, tested with its vector in
tests/pusher/test_signing.py) checked against the configured apps' keys, in constant time, with
every bad header refused."""

from __future__ import annotations

import pytest

from mesg_pusher.pusher import App, webhook_signature
from mesg_pusher.webhooks import WebhookOutcome, WebhookRefused, verify

from .conftest import APP, OTHER, oracle_signature

#: Computed with `openssl dgst -sha256 -hmac 7ad3773142a6692b25b8` over the body below.
VECTOR_BODY = (
    b'{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}'
)
VECTOR = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa"


def test_the_right_key_and_signature_give_the_app() -> None:
    assert verify([OTHER, APP], APP.key, VECTOR, VECTOR_BODY) is APP


def test_a_rotated_secret_under_the_same_key_is_accepted() -> None:
    old = App(app_id="3", key=APP.key, secret="an-older-secret-xyz")
    body = b'{"time_ms":1,"events":[]}'
    assert verify([old, APP], APP.key, webhook_signature(APP.secret, body), body) is APP
    assert verify([old, APP], APP.key, webhook_signature(old.secret, body), body) is old


@pytest.mark.parametrize(
    ("key", "given", "outcome", "detail"),
    [
        (None, VECTOR, WebhookOutcome.UNKNOWN_KEY, "X-Pusher-Key is missing"),
        ("", VECTOR, WebhookOutcome.UNKNOWN_KEY, "X-Pusher-Key is missing"),
        ("not-a-key", VECTOR, WebhookOutcome.UNKNOWN_KEY, ""),
        (OTHER.key, VECTOR, WebhookOutcome.BAD_SIGNATURE, ""),  # a real key, another app's secret
        (APP.key, None, WebhookOutcome.BAD_SIGNATURE, "X-Pusher-Signature is missing"),
        (APP.key, "", WebhookOutcome.BAD_SIGNATURE, "X-Pusher-Signature is missing"),
        (APP.key, VECTOR.upper(), WebhookOutcome.BAD_SIGNATURE, ""),
        (APP.key, VECTOR[:-1], WebhookOutcome.BAD_SIGNATURE, ""),
        (APP.key, VECTOR + "0", WebhookOutcome.BAD_SIGNATURE, ""),
        (APP.key, "é" * 64, WebhookOutcome.BAD_SIGNATURE, ""),
        (APP.key, "\udcff" * 64, WebhookOutcome.BAD_SIGNATURE, ""),  # undecodable header bytes
        (APP.key, oracle_signature(OTHER.secret, VECTOR_BODY), WebhookOutcome.BAD_SIGNATURE, ""),
    ],
)
def test_bad_keys_and_signatures_are_refused(
    key: str | None, given: str | None, outcome: WebhookOutcome, detail: str
) -> None:
    with pytest.raises(WebhookRefused) as refused:
        verify([APP, OTHER], key, given, VECTOR_BODY)
    assert (refused.value.outcome, refused.value.detail) == (outcome, detail)


def test_a_tampered_body_is_refused() -> None:
    tampered = VECTOR_BODY.replace(b"test_channel", b"test_channe1")
    with pytest.raises(WebhookRefused) as refused:
        verify([APP], APP.key, VECTOR, tampered)
    assert refused.value.outcome is WebhookOutcome.BAD_SIGNATURE


def test_no_app_configured() -> None:
    with pytest.raises(WebhookRefused) as refused:
        verify([], APP.key, VECTOR, VECTOR_BODY)
    assert refused.value.outcome is WebhookOutcome.NO_APP


def test_messages_never_show_a_secret_or_the_expected_signature() -> None:
    for key, given in ((APP.key, "0" * 64), ("nope", VECTOR), (APP.key, None)):
        with pytest.raises(WebhookRefused) as refused:
            verify([APP], key, given, VECTOR_BODY)
        text = str(refused.value) + refused.value.response.body.decode()
        assert APP.secret not in text
        assert VECTOR not in text
