"""The fourth generation's adapter: the Execution and Event APIs of engines v0.17 to v0.20, where
executions are transactions on the engine's chain run by runners (the `EngineApi` of
``_engine_api.py``). What changed from the third (``_g3.py``):

- the stream is filtered by the runner (MESG_RUNNER_HASH), events are the instance's
  (MESG_INSTANCE_HASH); there is no MESG_TOKEN any more;
- a result is a transaction: ``Execution/Update`` answers once the block that commits it is
  made (1 s blocks to v0.18.0, 5 s from v0.18.1), which its attempt's time covers;
- v0.17.0 alone wants the metadata ``credential_username`` and ``credential_passphrase`` on
  ``Execution/Update``: sent when MESG_PUSHER_CREDENTIAL_USERNAME and ..._PASSPHRASE give them.
"""

from __future__ import annotations

from google.protobuf.message import Message

from ...mesg.protocol import CREDENTIAL_PASSPHRASE, CREDENTIAL_USERNAME
from . import _wire
from ._channel import Metadata
from ._g3 import ExecutionApi


class RunnerExecutionApi(ExecutionApi):
    """The Execution and Event APIs of a chain with runners."""

    generation = 4

    def stream_request(self) -> Message:
        return _wire.runner_stream_request(self.variant, self._config.runner_hash)

    @property
    def instance(self) -> str:
        return self._config.instance_hash

    def update_metadata(self) -> Metadata:
        config = self._config
        given = (
            (CREDENTIAL_USERNAME, config.credential_username),
            (CREDENTIAL_PASSPHRASE, config.credential_passphrase),
        )
        return tuple((key, value) for key, value in given if value)
