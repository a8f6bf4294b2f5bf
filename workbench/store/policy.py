"""Store policy: the defaults and time limits every layer agrees on, in one place."""

from __future__ import annotations

import os

DEFAULT_EXPERIMENT = "Default"
HEARTBEAT_SECONDS = 10.0


def lost_after() -> float:
    """Seconds without a heartbeat after which a queued or running run is lost."""
    return float(os.environ.get("WORKBENCH_LOST_AFTER", 12 * HEARTBEAT_SECONDS))
