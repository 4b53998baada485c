"""The fuzz profiles: bounded by default, `MESG_PUSHER_FUZZ=long` for a longer run."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "fuzz", max_examples=250, deadline=None, suppress_health_check=_SLOW_IS_FINE, print_blob=True
)
settings.register_profile(
    "long", max_examples=2400, deadline=None, suppress_health_check=_SLOW_IS_FINE, print_blob=True
)
settings.load_profile("long" if os.environ.get("MESG_PUSHER_FUZZ") == "long" else "fuzz")
