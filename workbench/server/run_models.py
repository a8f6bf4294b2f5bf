"""Pydantic models of the run page, run edits, artifacts, figures, fields and diffs.
labextension/src/runApi.ts mirrors them field for field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workbench.server.models import RunDetail, RunSummary

# A run's Markdown note is kept as this tag: it shows in every face that lists tags, is
# searchable with the query language (tags.`workbench.note`) and needs no schema change.
NOTE_TAG = "workbench.note"
MAX_NOTE_CHARS = 20_000
MAX_RUN_IDS = 200  # runs in one figure or one compare


class MetricSummaryModel(BaseModel):
    last: float | None
    min: float | None
    max: float | None
    count: int
    step: int


class RunPage(RunDetail):
    """``GET runs/{id}``: the run with summaries, histories downsampled to at most
    ``max_points`` points per metric, its sweep, note and whether it is deleted."""

    metric_summary: dict[str, MetricSummaryModel]
    max_points: int
    sweep_id: str | None
    note: str
    deleted: bool


class RunPageQuery(BaseModel):
    max_points: int = Field(default=2000, ge=10, le=20_000)


class EditRun(BaseModel):
    """``PATCH runs/{id}``: only the fields given change. ``name: null`` clears the name;
    a tag set to null is removed; ``note`` is the Markdown note ("" removes it)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=250)
    tags: dict[str, str | None] | None = None
    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)

    @field_validator("tags")
    @classmethod
    def _no_note_tag(cls, tags: dict[str, str | None] | None) -> dict[str, str | None] | None:
        if tags and NOTE_TAG in tags:
            raise ValueError(f"the note is edited with the note field, not the {NOTE_TAG} tag")
        return tags


class RunDeleted(BaseModel):
    run_id: str
    deleted: bool


class ArtifactPreviewQuery(BaseModel):
    name: str = Field(min_length=1, max_length=250)


class ArtifactPreview(BaseModel):
    """A preview of one artifact: ``kind`` says which field holds it."""

    name: str
    size: int
    kind: Literal["text", "csv", "json", "image", "binary", "too_large"]
    text: str | None = None  # text, and JSON pretty-printed
    rows: list[list[str]] | None = None  # csv: the first rows
    data_url: str | None = None  # image: a data: URL for an <img>
    truncated: bool = False
    message: str | None = None  # binary, too_large: what to do instead


class FieldsResponse(BaseModel):
    """``GET fields``: what the query bar completes."""

    base: list[str]
    params: list[str]
    metrics: list[str]
    tags: list[str]
    summaries: list[str]  # metrics.NAME.<summary>
    experiments: list[str]


class FigureQuery(BaseModel):
    """``GET figures/{kind}``: the runs (comma-separated ids) and the figure's choices."""

    run_ids: list[str]  # given as "id1,id2,..."
    metric: str | None = Field(default=None, max_length=250)
    param: str | None = Field(default=None, max_length=250)  # param: x axis
    x: str | None = Field(default=None, max_length=250)  # history: step|time; contour: a param
    y: str | None = Field(default=None, max_length=250)  # contour: a param
    smoothing: float = Field(default=0.0, ge=0.0, lt=1.0)
    log_y: bool = False
    theme: Literal["light", "dark"] = "light"

    @field_validator("run_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids = [v.strip() for v in value.split(",") if v.strip()]
        if not ids:
            raise ValueError("give at least one run id")
        if len(ids) > MAX_RUN_IDS:
            raise ValueError(f"at most {MAX_RUN_IDS} runs at once, not {len(ids)}")
        return list(dict.fromkeys(ids))


class DiffQuery(BaseModel):
    base: str = Field(min_length=1, max_length=64)
    remote: str = Field(min_length=1, max_length=64)


class LineModel(BaseModel):
    op: Literal[" ", "-", "+"]
    text: str


class CellDiffModel(BaseModel):
    status: Literal["unchanged", "modified", "added", "removed"]
    cell_type: str
    base_index: int | None
    remote_index: int | None
    source: list[LineModel]
    outputs: list[LineModel]
    source_changed: bool
    outputs_changed: bool


class RunDiff(BaseModel):
    """``GET diff?base=&remote=``: two runs side by side and their notebooks cell by cell."""

    base: RunSummary
    remote: RunSummary
    base_provenance: dict[str, Any]
    remote_provenance: dict[str, Any]
    cells: list[CellDiffModel] | None  # None: a run has no executed notebook (see message)
    message: str | None = None
