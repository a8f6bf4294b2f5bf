"""Where the store lives: like git finds .git, Workbench finds .workbench/.

Rules, first match wins:
1. ``WORKBENCH_HOME`` names the home folder.
2. A ``.workbench/`` folder in the working directory or any parent.
3. ``.workbench/`` created in the working directory.

``WORKBENCH_DB_URL`` overrides the database alone; artifacts stay in the home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_DIRNAME = ".workbench"
DB_FILENAME = "workbench.db"


@dataclass(frozen=True)
class StoreLocation:
    home: Path
    db_url: str

    @property
    def artifact_root(self) -> Path:
        return self.home / "artifacts"

    def sweep_log(self, sweep_id: str) -> Path:
        """Where a sweep's runner and workers write their output (the folder is made)."""
        folder = self.home / "sweeps"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{sweep_id}.log"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")


def display_url(db_url: str) -> str:
    """The database URL with any password masked, fit for a message or a log line."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show its scheme only
        return db_url.split(":", 1)[0] + ":..."


def find_home(start: Path | None = None) -> Path:
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / HOME_DIRNAME
        if candidate.is_dir():
            return candidate
    return here / HOME_DIRNAME


def locate(home: str | os.PathLike[str] | None = None, db_url: str | None = None) -> StoreLocation:
    home_path = Path(home).expanduser().resolve() if home else find_home()
    url = db_url or os.environ.get("WORKBENCH_DB_URL") or f"sqlite:///{home_path / DB_FILENAME}"
    return StoreLocation(home=home_path, db_url=url)
