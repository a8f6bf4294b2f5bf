"""Loading the server extension: find the store, tell the kernels, register the routes."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from workbench.errors import StoreError, WorkbenchError
from workbench.server.paths import resolve_root
from workbench.store import Store, find_home, locate, open_store

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

T = TypeVar("T")

SETTINGS_KEY = "workbench"


def display_url(db_url: str) -> str:
    """The database URL with any password masked, fit for a log line."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show its scheme only
        return db_url.split(":", 1)[0] + ":..."


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
        """Run ``fn(store)`` in a worker thread."""
        return await asyncio.to_thread(lambda: fn(self.store()))


def load(serverapp: ServerApp) -> WorkbenchContext:
    from workbench.server.handlers import route_table

    root = resolve_root(serverapp.root_dir)
    # find_home honours a WORKBENCH_HOME already set; otherwise it walks up from the root.
    home = find_home(start=root)
    # Kernels started by this server inherit these: one store per JupyterLab, and the
    # tracking code can turn JPY_SESSION_NAME (relative) into the notebook's real path.
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ["WORKBENCH_SERVER_ROOT"] = str(root)

    context = WorkbenchContext(root_dir=root, home=home)
    web_app = serverapp.web_app
    web_app.settings[SETTINGS_KEY] = context
    web_app.add_handlers(".*$", route_table(web_app.settings["base_url"]))
    serverapp.log.info("Workbench store: %s", display_url(context.db_url))
    return context
