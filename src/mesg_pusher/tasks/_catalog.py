"""Every task the runner knows, by key. A new task is a declaration in its module and one line
here (and its entry in mesg.yml)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ._browser import AUTHENTICATE_USER, AUTHORIZE_CHANNEL
from ._publishing import TRIGGER, TRIGGER_BATCH
from ._queries import CHANNEL, CHANNELS, USERS
from ._task import Implementation
from ._users import SEND_TO_USER, TERMINATE_USER_CONNECTIONS

TASKS: Final[Mapping[str, Implementation]] = MappingProxyType(
    {
        task.key: task
        for task in (
            TRIGGER,
            TRIGGER_BATCH,
            CHANNELS,
            CHANNEL,
            USERS,
            SEND_TO_USER,
            TERMINATE_USER_CONNECTIONS,
            AUTHORIZE_CHANNEL,
            AUTHENTICATE_USER,
        )
    }
)
