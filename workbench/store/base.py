"""What the parts of Store (reads, sweeps, jobs, exports, retention) share: the attributes
Store sets and the methods one part calls on another, declared once so each part type-checks
on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from workbench.store.blobs import BlobStore
from workbench.store.location import StoreLocation

if TYPE_CHECKING:
    from workbench.entities import Run


class StoreBase:
    location: StoreLocation
    engine: Engine
    blobs: BlobStore

    if TYPE_CHECKING:
        # Implemented by RunReads; declared here only for the checker (Store's MRO finds
        # the real one).

        def get_run(self, run_id: str, *, history: bool = True) -> Run: ...
