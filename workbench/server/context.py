"""What the handlers share: the server root, the store, and the way to run blocking work."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from jupyter_core.utils import _loop

from workbench.errors import StoreError, WorkbenchError
from workbench.store import Store, locate, open_store
from workbench.store.location import display_url

T = TypeVar("T")

SETTINGS_KEY = "workbench"


class WorkbenchContext:
    """What the handlers share: the server root and the store, opened on first use.

    Store calls are synchronous (SQLAlchemy); ``call`` runs them in a worker thread so
    the event loop never waits on the database.
    """

    def __init__(self, root_dir: Path, home: Path) -> None:
        self.root_dir = root_dir
        self.home = home
        self.db_url = locate(home).db_url
        self._store: Store | None = None
        self._lock = threading.Lock()

    def store(self) -> Store:
        """The store, opened (and migrated) once; a failed open is retried next time."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = open_store(home=str(self.home))
                except WorkbenchError:
                    raise
                except Exception as exc:
                    raise StoreError(
                        f"cannot open the Workbench store at {display_url(self.db_url)}: "
                        f"{exc}. Check WORKBENCH_HOME / WORKBENCH_DB_URL and restart JupyterLab."
                    ) from exc
            return self._store

    async def call(self, fn: Callable[[Store], T]) -> T:
        """``fn(store)`` in a worker thread, in an empty contextvars context: the one way
        handlers run blocking work (store calls, kernels, wheel builds) off the event loop.

        ``asyncio.to_thread`` would copy the caller's contextvars, and jupyter_core keeps
        the loop it runs coroutines on in one: papermill would then find the server's
        running loop and fail with "This event loop is already running". In a fresh
        context it makes its own, closed here when the work is done.
        """
        return await self.run(lambda: fn(self.store()))

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` off the event loop in an empty contextvars context, as :meth:`call` does,
        for work that needs no store (a store outage does not stop it)."""
        context = contextvars.Context()

        def isolated() -> T:
            try:
                return fn()
            finally:
                loop = _loop.get()  # a loop papermill/nbclient made in this context
                if loop is not None and not loop.is_closed():
                    loop.close()
                asyncio.set_event_loop(None)

        return await asyncio.get_running_loop().run_in_executor(None, lambda: context.run(isolated))
