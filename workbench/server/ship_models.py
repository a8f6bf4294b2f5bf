"""Pydantic models of the ship REST API (validate, exports). labextension/src/shipApi.ts
mirrors them field for field.

Paths in requests are relative to the server root; the handlers confine them
(``resolve_under_root``). What needs the notebook (parameter types, conditions) is checked
by the gate itself, with the same rules and messages as the CLI.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.entities import Export
from workbench.server.models import _relative, iso
from workbench.validate.report import ValidationReport

Target = Literal["package", "kfp", "airflow", "github", "docker"]
MAX_SECONDS = 24 * 3600.0


class ValidateNotebook(BaseModel):
    """``POST validate``: run the gate on one notebook."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)  # relative to the server root, "/"-separated
    params: dict[str, Any] = Field(default_factory=dict)
    require: list[str] = Field(default_factory=list)  # "accuracy>=0.9", ...
    max_seconds: float | None = Field(default=None, gt=0, le=MAX_SECONDS)
    # where ``require`` was typed, as the report labels those conditions
    require_from: Literal["request", "dialog"] = "request"


REQUIRE_ORIGINS = {"request": "given in the request", "dialog": "typed in the dialog"}


class CheckModel(BaseModel):
    name: str
    status: Literal["pass", "warn", "fail"]
    detail: str
    cell: int | None = None  # the notebook cell it is about (0 is the first)


class ValidationReportModel(BaseModel):
    notebook: str  # relative to the server root when under it, else as recorded
    run_id: str | None
    passed: bool
    checks: list[CheckModel]
    params: dict[str, Any]
    metrics: dict[str, float]
    requirements: list[str]
    duration_s: float | None
    max_seconds: float | None


class CreateExport(BaseModel):
    """``POST exports``: export a run (``run_id``) or a notebook (``path``, validated first);
    with neither, ``name`` and ``version`` name an earlier export to write again."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = Field(default=None, min_length=1, max_length=64)
    path: str | None = Field(default=None, min_length=1)
    out: str = Field(min_length=1)  # folder relative to the server root
    targets: list[Target] | None = None  # default: all (a rollback: those exported then)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    version: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    params: dict[str, Any] = Field(default_factory=dict)
    require: list[str] = Field(default_factory=list)
    max_seconds: float | None = Field(default=None, gt=0, le=MAX_SECONDS)

    @model_validator(mode="after")
    def _one_source(self) -> CreateExport:
        if self.run_id is not None and self.path is not None:
            raise ValueError("give run_id or path, not both")
        if self.run_id is None and self.path is None and not (self.name and self.version):
            raise ValueError("give run_id or path, or name and version of an earlier export")
        return self


class ExportModel(BaseModel):
    export_id: str
    name: str
    version: str
    run_id: str
    validation_passed: bool
    targets: list[str]
    path: str  # relative to the server root when under it, else absolute
    created_at: str


class CreateExportResponse(BaseModel):
    export: ExportModel
    files: list[str]  # relative to export.path
    report: ValidationReportModel | None = None  # when the export validated on the way


class PreviewExport(BaseModel):
    """``POST exports/preview``: the files an export would write, nothing written."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = Field(default=None, min_length=1, max_length=64)
    path: str | None = Field(default=None, min_length=1)
    out: str = Field(min_length=1)
    targets: list[Target] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=64)
    version: str | None = Field(default=None, min_length=1, max_length=64)


class ExportPreview(BaseModel):
    name: str  # the export's name (the notebook's, when none was given)
    version: str  # the version it would get (the next one, when none was given)
    files: list[str]  # relative to out, sorted; wheels/ holds the built wheels
    replaced: list[str]  # those that exist in out already and would be replaced
    problem: str | None  # why it cannot be exported as asked (a version taken, ...)


class ListExportsQuery(BaseModel):
    name: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class ListExportsResponse(BaseModel):
    exports: list[ExportModel]


def report_model(report: ValidationReport, root: str) -> ValidationReportModel:
    data = report.to_json()
    data["notebook"] = _relative(report.notebook, root) or report.notebook
    return ValidationReportModel(**data)


def export_model(export: Export, root: str) -> ExportModel:
    return ExportModel(
        export_id=export.export_id,
        name=export.name,
        version=export.version,
        run_id=export.run_id,
        validation_passed=export.validation_passed,
        targets=export.targets,
        path=_relative(export.path, root) or export.path,
        created_at=iso(export.created_at) or "",
    )
