"""Workbench's jupyter_server extension: the REST API under ``<base_url>/workbench/api/``.

jupyter_server imports this module through ``workbench._jupyter_server_extension_points``.
The handlers (and jupyter_server itself) are imported only when the extension loads, so
``workbench.server.models`` stays importable without the ``lab`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "workbench.server"}]


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    from workbench.server.extension import load

    load(serverapp)
