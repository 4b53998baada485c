"""The engine's side of serve, every generation: which protocol to speak (``_choice.py``), one
adapter per generation behind the `EngineApi` interface (``_g1.py`` to ``_g5.py``, over the
channel of ``_channel.py``), the engine's messages to and from serve's values
(``_wire.py``, ``_task_messages.py``), and asking the engine which protocol it speaks when the
environment leaves several (``_probe.py``).

``_adapter.py`` is the one way in: the `EngineApi` for a configuration. Nothing here is
imported with the package, so reading the configuration (``_choice.py``) loads no gRPC.
"""
