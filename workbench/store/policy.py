"""Store policy: the defaults and time limits every layer agrees on, in one place."""

from __future__ import annotations

import os

DEFAULT_EXPERIMENT = "Default"
HEARTBEAT_SECONDS = 10.0
# A parameter is a setting, not data: its JSON text is capped so that listing runs stays
# small (a 60 MB value once made a page of runs 70 MB). Data goes in artifacts.
MAX_PARAM_BYTES = 64 * 1024


def lost_after() -> float:
    """Seconds without a heartbeat after which a queued or running run is lost."""
    return float(os.environ.get("WORKBENCH_LOST_AFTER", 12 * HEARTBEAT_SECONDS))
