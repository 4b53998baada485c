"""What an execution's inputs hold that must never be shown: which inputs carry a secret, the
secrets they carry in every form they travel in, and the refusal of any other input that shows
one (it would be published, or quoted in a message).

An execution's secrets are the app secret, the proxy credentials (the password as written in the
URL and decoded, and ``user:password`` in the base64 form the ``Proxy-Authorization`` header
carries; the user name itself when it has no password, as proxy services that take an API key
in its place write it: ``http://APIKEY:@proxy``) and the encryption master key (its base64
text, and the URL-safe form of it). The
service's environment can give each of them too (`ServiceEnvironment`); the task runner adds
those to every execution's. Finding them in a text is `mesg_pusher._secret_search`'s, hiding
them `mesg_pusher._secrets`'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .._errors import InputError
from .._secret_search import MIN_SCRUBBED, SecretFinder, long_strings, secret_finder
from .._secrets import proxy_secrets

#: The input carrying the app's encryption master key (32 bytes, base64).
MASTER_KEY_INPUT: Final = "encryptionMasterKey"
#: Inputs allowed to hold a secret: the app secret itself, the proxy URL its password, and the
#: encryption master key.
SECRET_HOLDERS: Final = frozenset({"secret", "proxy", MASTER_KEY_INPUT})
#: The rule an app secret equal to the app's key breaks: the key is shown (it names the app in
#: every signature, in browsers and in log lines), so the secret would be shown with it.
SAME_AS_KEY: Final = (
    "is the same as the app key, which is public (browsers and log lines show it): an app's "
    "secret differs from its key"
)


def secret_is_key(inputs: Mapping[str, Any]) -> bool:
    """Whether the app secret `inputs` give is their app key."""
    secret = inputs.get("secret")
    return isinstance(secret, str) and bool(secret) and secret == inputs.get("key")


def secrets_of(inputs: Mapping[str, Any]) -> list[str]:
    """The secrets an execution's inputs carry, long enough to be looked for."""
    found = []
    secret = inputs.get("secret")
    if isinstance(secret, str):
        found.append(secret)
    proxy = inputs.get("proxy")
    if isinstance(proxy, str) and "@" in proxy:
        try:
            parts = urlsplit(proxy)
            username, password = parts.username, parts.password
        except ValueError:
            username = password = None
        # The credential as the URL writes it (maybe percent-encoded), and as it is sent.
        credential = password or (username if password == "" else None)
        if credential:
            found.append(credential)
        found.extend(
            proxy_secrets(
                unquote(username) if username is not None else None,
                unquote(password) if password is not None else None,
            )
        )
    master_key = inputs.get(MASTER_KEY_INPUT)
    if isinstance(master_key, str) and master_key:
        # The URL-safe alphabet writes the same bytes with - and _ for + and /.
        found.extend(dict.fromkeys((master_key, master_key.translate(_TO_URL_SAFE))))
    return [value for value in found if len(value) >= MIN_SCRUBBED]


_TO_URL_SAFE: Final = str.maketrans("+/", "-_")


def free_of(secrets: Sequence[str], inputs: Mapping[str, Any]) -> None:
    """Refuse inputs (other than those in `SECRET_HOLDERS`) that show a secret: written out, a
    run of `MIN_SCRUBBED` or more of its characters, or either in base64 or hex. It would be sent to
    Pusher's subscribers or quoted in a message, and a refusal made here comes before anything
    is published. (Escaped forms are not looked for here: decoding them costs several ms per
    KB of ordinary text with ``&`` or ``%`` in it, and an input the workflow wrote does not
    escape a secret by accident; answers, which a hostile server writes, are read in every
    encoding.) Walks nested data without recursion."""
    if not secrets:
        return
    finder = secret_finder(tuple(secrets))
    # The last input first, as the walk below takes values from the end.
    others = [(key, inputs[key]) for key in reversed(list(inputs)) if key not in SECRET_HOLDERS]
    # One look at every string first: inputs that show none, the usual, cost no more.
    texts = long_strings([value for _, value in others])
    if not texts or not finder.shows_plainly("\n".join(texts)):
        return
    for key, value in others:
        texts = long_strings(value)
        if texts and finder.shows_plainly("\n".join(texts)):
            # Where: the string that shows it, or the input itself when none does alone (a
            # secret with white space, reflowed across two strings).
            raise InputError(_where_shown(finder, str(key), value) or str(key), _SHOWS_ONE)


_SHOWS_ONE: Final = (
    "holds the app secret, the proxy password or the encryption master key, or 8 or more "
    "characters in a row of one (written out or in base64), which must never be published or "
    "shown; nothing was sent"
)


def _where_shown(finder: SecretFinder, name: str, value: Any) -> str | None:
    """The place in `value` (the input `name`) of a string that shows a secret, or None."""
    # Where each value sits is kept as a chain (`_Where`), written out only when found:
    # naming every nested value up front was most of the cost of inputs that hold none.
    stack: list[tuple[Any, _Where]] = [(value, name)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if len(item) >= MIN_SCRUBBED and finder.shows_plainly(item):
                return _written(where)
        elif isinstance(item, dict):
            for key, member in item.items():
                stack.append((key, (_A_KEY, where, None)))
                if isinstance(key, str) and not (
                    len(key) >= MIN_SCRUBBED and finder.shows_plainly(key)
                ):
                    stack.append((member, (_MEMBER, where, key)))
                else:
                    stack.append((member, where))
        elif isinstance(item, list | tuple):
            stack.extend((member, (_ITEM, where, index)) for index, member in enumerate(item))
    return None


#: Where a value sits: an input's name, or (how, the container's place, the member's key or
#: index).
_Where = str | tuple[int, "_Where", Any]
_A_KEY, _MEMBER, _ITEM = 0, 1, 2


def _written(where: _Where) -> str:
    """`where` as a message names it: ``data.user`` , ``channels[2]``, ``data (a key)``."""
    suffixes: list[str] = []
    while not isinstance(where, str):
        how, where, part = where
        suffixes.append(
            " (a key)" if how == _A_KEY else f".{part}" if how == _MEMBER else f"[{part}]"
        )
    return where + "".join(reversed(suffixes))
