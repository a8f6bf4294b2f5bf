"""Loading the server extension: find the store, tell the kernels, register the routes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from workbench.server.context import SETTINGS_KEY, WorkbenchContext
from workbench.server.paths import resolve_root
from workbench.store import find_home
from workbench.store.location import display_url

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp


def load(serverapp: ServerApp) -> WorkbenchContext:
    from workbench.server.routes import route_table

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
