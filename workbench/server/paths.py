"""Path confinement: every path that comes in a request must stay under the server's root.

Used by every endpoint that takes a path (run filters, notebook parameters, validation,
exports). Paths are resolved with their symlinks, so a link inside the root that points
outside it is refused like a ``..`` escape.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from workbench.errors import Forbidden, InvalidInput


def resolve_root(root_dir: str | os.PathLike[str]) -> Path:
    """The server root as an absolute path with its symlinks resolved."""
    return Path(root_dir).expanduser().resolve(strict=False)


def resolve_under_root(root_dir: str | os.PathLike[str], relpath: str) -> Path:
    """Resolve ``relpath`` (relative to ``root_dir``, ``/``-separated like Jupyter's
    contents API) to an absolute path that is guaranteed to lie under the resolved root.

    The target need not exist (runs outlive deleted notebooks). Raises Forbidden for an
    absolute path, a NUL byte, a ``..`` escape or a symlink leading out of the root.
    """
    if not isinstance(relpath, str):
        raise Forbidden(f"path {relpath!r} is not a string: give a path relative to the root")
    if "\x00" in relpath:
        raise Forbidden(
            f"path {relpath!r} contains a NUL byte: give a plain path relative to the server root"
        )
    if (
        PurePosixPath(relpath).is_absolute()
        or PureWindowsPath(relpath).is_absolute()
        or PureWindowsPath(relpath).drive
        or relpath.startswith(("/", "\\"))
    ):
        raise Forbidden(
            f"path {relpath!r} is absolute: give a path relative to the server root, "
            "as shown in JupyterLab's file browser"
        )
    root = resolve_root(root_dir)
    try:
        resolved = (root / relpath).resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop, an unreadable folder
        raise Forbidden(f"path {relpath!r} cannot be resolved ({exc})") from None
    if not resolved.is_relative_to(root):
        raise Forbidden(
            f"path {relpath!r} leads outside the server root (through '..' or a symlink): "
            "only files under the folder JupyterLab was started in can be used"
        )
    return resolved


def is_file_under_root(path: Path) -> bool:
    """``path.is_file()``, with a name the filesystem refuses (too long) a clear 400."""
    try:
        return path.is_file()
    except OSError as exc:
        raise InvalidInput(
            f"path {str(path)[:80]!r}... cannot be used ({exc.strerror or exc}): give the "
            "path of a notebook as shown in JupyterLab's file browser"
        ) from None
