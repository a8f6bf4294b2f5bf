"""REST handlers for a run's artifacts.

- ``GET runs/{id}/artifacts/preview?name=``: text, CSV, JSON or an image, up to a size cap.
- ``GET runs/{id}/artifacts/download?name=``: the bytes, as an attachment.

An artifact is found by its name among the run's own artifacts; its file is the store's
content-addressed blob for the digest recorded there, so a name never becomes a path and a
request can reach no other file. Downloads are ``application/octet-stream`` with
``nosniff`` and ``Content-Disposition: attachment``: the browser saves them, never renders
them in JupyterLab's origin.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.entities import Artifact
from workbench.errors import NotFound
from workbench.server.base import RUN_ID, WorkbenchHandler
from workbench.server.run_models import ArtifactPreview, ArtifactPreviewQuery
from workbench.store import Store
from workbench.text import size_text

# Text, CSV and JSON previews read at most this much; images larger than the image cap are
# not inlined (a data: URL of megabytes would stall the page).
PREVIEW_BYTES = 256 * 1024
IMAGE_BYTES = 4 * 1024 * 1024
CSV_ROWS = 200
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
_CHUNK = 1 << 20


def find_artifact(store: Store, run_id: str, name: str) -> tuple[Artifact, Path]:
    """The run's artifact called ``name`` and its blob file (NotFound otherwise)."""
    run = store.get_run(run_id, history=False)
    for artifact in run.artifacts:
        if artifact.name == name:
            path = store.blobs.path(artifact.digest)  # checks the digest is hex
            if not path.resolve().is_relative_to(store.blobs.root.resolve()):
                raise NotFound(f"artifact {name!r} is not in the store")
            if not path.is_file():
                raise NotFound(f"artifact {name!r} of run {run_id[:8]} is missing from the store")
            return artifact, path
    names = ", ".join(repr(a.name) for a in run.artifacts[:10]) or "none"
    raise NotFound(f"run {run_id[:8]} has no artifact {name!r}; its artifacts: {names}")


def preview(artifact: Artifact, path: Path) -> ArtifactPreview:
    suffix = PurePosixPath(artifact.name).suffix.lower()
    base: dict[str, Any] = {"name": artifact.name, "size": artifact.size}
    if suffix in IMAGES:
        if artifact.size > IMAGE_BYTES:
            return ArtifactPreview(
                **base,
                kind="too_large",
                message=f"{size_text(artifact.size)} is too large to preview: download it",
            )
        mime = "image/svg+xml" if suffix == ".svg" else mimetypes.types_map.get(suffix, "")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return ArtifactPreview(**base, kind="image", data_url=f"data:{mime};base64,{data}")
    with path.open("rb") as f:
        head = f.read(PREVIEW_BYTES + 1)
    truncated = len(head) > PREVIEW_BYTES
    head = head[:PREVIEW_BYTES]
    text = _text(head, truncated)
    if text is None:
        return ArtifactPreview(
            **base, kind="binary", message="binary content has no preview: download it"
        )
    if suffix in (".csv", ".tsv"):
        reader = csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        rows: list[list[str]] = []
        for row in reader:
            if len(rows) == CSV_ROWS:
                truncated = True
                break
            rows.append(row)
        return ArtifactPreview(**base, kind="csv", rows=rows, truncated=truncated)
    if suffix == ".json" and not truncated:
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        else:
            return ArtifactPreview(**base, kind="json", text=pretty)
    return ArtifactPreview(**base, kind="text", text=text, truncated=truncated)


def _text(data: bytes, truncated: bool) -> str | None:
    """UTF-8 text without NUL bytes, else None; a character cut by the cap is dropped."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8")
        return None


class ArtifactPreviewHandler(WorkbenchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        query = self.parse_query(ArtifactPreviewQuery)

        def work(store: Store) -> str:
            artifact, path = find_artifact(store, run_id, query.name)
            return preview(artifact, path).model_dump_json()

        self.finish(await self.workbench.call(work))


class ArtifactDownloadHandler(WorkbenchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        query = self.parse_query(ArtifactPreviewQuery)
        artifact, path = await self.workbench.call(
            lambda store: find_artifact(store, run_id, query.name)
        )
        filename = PurePosixPath(artifact.name.replace("\\", "/")).name or "artifact"
        ascii_name = "".join(
            "_" if c == '"' or ord(c) < 0x20 or ord(c) == 0x7F else c
            for c in filename.encode("ascii", "replace").decode()
        )
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header(
            "Content-Disposition",
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        )
        self.set_header("Content-Length", str(path.stat().st_size))
        loop = asyncio.get_running_loop()
        with path.open("rb") as f:
            while chunk := await loop.run_in_executor(None, f.read, _CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish()


ROUTES: list[tuple[str, type[WorkbenchHandler]]] = [
    (f"runs/{RUN_ID}/artifacts/preview", ArtifactPreviewHandler),
    (f"runs/{RUN_ID}/artifacts/download", ArtifactDownloadHandler),
]
