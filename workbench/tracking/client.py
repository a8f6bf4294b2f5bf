"""The explicit tracking client: every call names its run. The fluent API sits on top."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from workbench.entities import RunSource, RunStatus
from workbench.tracking import provenance

if TYPE_CHECKING:
    from workbench.store import Store

PACKAGES_ARTIFACT = "environment/packages.txt"


def create_tracked_run(
    store: Store,
    *,
    source: RunSource | str,
    notebook: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    status: RunStatus = RunStatus.RUNNING,
    extra_provenance: dict[str, Any] | None = None,
) -> str:
    """Create a run with its provenance captured now; the packages list becomes an artifact."""
    prov, packages = provenance.collect(notebook, kernel_name)
    prov.update(extra_provenance or {})
    run_id = store.create_run(
        experiment=experiment,
        name=name,
        notebook=prov.get("notebook"),
        notebook_sha256=prov.get("notebook_sha256"),
        source=RunSource(source).value,
        status=status,
        params=params,
        tags=tags,
        provenance=prov,
    )
    store.put_artifact_bytes(run_id, PACKAGES_ARTIFACT, packages)
    return run_id
