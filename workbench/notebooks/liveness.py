"""A running job's heartbeat, beaten by the process that runs it, whatever the notebook does.

A notebook that makes no ``wb`` call (a long training cell, a sleep) would otherwise look
dead to every other process after ``lost_after()`` seconds and be marked lost while its
kernel works. The runner knows better: while it waits on the kernel, this thread writes the
run's heartbeat every ``min(HEARTBEAT_SECONDS, lost_after() / 4)`` seconds.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from workbench.errors import StoreError

if TYPE_CHECKING:
    from workbench.store import Store

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, store: Store, run_id: str, every: float | None = None) -> None:
        from workbench.store.policy import HEARTBEAT_SECONDS, lost_after

        self.store, self.run_id = store, run_id
        self.every = every if every is not None else min(HEARTBEAT_SECONDS, lost_after() / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"workbench-heartbeat-{run_id[:8]}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.store.heartbeat(self.run_id)
            except StoreError as exc:  # an outage: the next beat may get through
                log.warning("Workbench: heartbeat of run %s not written (%s)", self.run_id, exc)
