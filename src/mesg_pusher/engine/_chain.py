"""The engine's chain (G4, G5: v0.17 on): its blocks, and G5's runner tokens.

Executions and results are transactions: each takes effect, and its call returns, when the next
block commits (`block`); a block lasts `block_seconds`, counted from the chain's start. A runner
is put on the chain once (its first registration is a transaction too); the tokens that stand
for runners live in the engine's memory only, so an engine restart forgets them
(`forget_tokens`) while the chain keeps its runners.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time

from .. import _engine_texts as words
from ..mesg import b58encode
from . import _hashes
from ._model import EngineError


class Chain:
    """Blocks of `block_seconds` (None: no chain, everything at once) and runner tokens."""

    def __init__(self, block_seconds: float | None) -> None:
        self.block_seconds = block_seconds
        self._epoch = time.monotonic()
        self._tokens: dict[str, str] = {}  # credential token -> the runner (its service token)
        self._runners: set[str] = set()  # runners on the chain

    def height(self) -> int:
        """The height now (0 before the first block, and without a chain)."""
        if self.block_seconds is None:
            return 0
        return int((time.monotonic() - self._epoch) / self.block_seconds)

    async def block(self) -> int:
        """Wait until the block that takes a transaction sent now commits (at once without a
        chain); its height."""
        if self.block_seconds is None:
            return 0
        height = math.floor((time.monotonic() - self._epoch) / self.block_seconds) + 1
        await asyncio.sleep(self._epoch + height * self.block_seconds - time.monotonic())
        return height

    def put(self, runner: str) -> bool:
        """Put `runner` on the chain; whether it was new there."""
        new = runner not in self._runners
        self._runners.add(runner)
        return new

    def issue_token(self, runner: str) -> str:
        """A new credential token for `runner`; its earlier tokens stop working."""
        self._drop_tokens(runner)
        token = b58encode(secrets.token_bytes(_hashes.SIZE))
        self._tokens[token] = runner
        return token

    def runner_of(self, token: str) -> str:
        """The runner a credential token stands for, or the engine's refusal."""
        runner = self._tokens.get(token)
        if runner is None:
            raise EngineError(words.TOKEN_UNKNOWN.format())
        return runner

    def delete(self, runner: str) -> None:
        """The runner leaves the chain; its tokens stop working."""
        self._runners.discard(runner)
        self._drop_tokens(runner)

    def forget_tokens(self) -> None:
        """What an engine restart does: the tokens were in its memory only."""
        self._tokens.clear()

    @property
    def tokens(self) -> int:
        """How many credential tokens are valid now."""
        return len(self._tokens)

    def _drop_tokens(self, runner: str) -> None:
        for token, owner in list(self._tokens.items()):
            if owner == runner:
                del self._tokens[token]
