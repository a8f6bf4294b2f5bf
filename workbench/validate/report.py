"""The validation report: one entry per check, each pass, warn or fail with the reason.

Stored with the validation run as ``validation/report.json`` and ``validation/report.md``;
the CLI prints :meth:`ValidationReport.text`, the server answers :meth:`to_json`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

REPORT_JSON = "validation/report.json"
REPORT_MD = "validation/report.md"
RESULT_TAG = "workbench.validation"


class CheckStatus(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str  # "notebook", "parameters", "execution", "require: accuracy >= 0.9", ...
    status: CheckStatus
    detail: str  # why, in one or two sentences
    cell: int | None = None  # the cell it is about, as an index of the notebook's cells

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "cell": self.cell,
        }


@dataclass
class ValidationReport:
    notebook: str
    run_id: str | None
    checks: list[Check] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)  # pins of the imported packages
    duration_s: float | None = None
    max_seconds: float | None = None

    @property
    def passed(self) -> bool:
        return all(c.status is not CheckStatus.FAIL for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def add(self, name: str, status: CheckStatus, detail: str, cell: int | None = None) -> None:
        self.checks.append(Check(name, status, detail, cell))

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "run_id": self.run_id,
            "passed": self.passed,
            "checks": [c.to_json() for c in self.checks],
            "params": self.params,
            "metrics": self.metrics,
            "requirements": self.requirements,
            "duration_s": self.duration_s,
            "max_seconds": self.max_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationReport:
        return cls(
            notebook=data["notebook"],
            run_id=data.get("run_id"),
            checks=[
                Check(c["name"], CheckStatus(c["status"]), c["detail"], c.get("cell"))
                for c in data.get("checks", [])
            ],
            params=data.get("params", {}),
            metrics=data.get("metrics", {}),
            requirements=list(data.get("requirements", [])),
            duration_s=data.get("duration_s"),
            max_seconds=data.get("max_seconds"),
        )

    def json_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n").encode()

    def text(self) -> str:
        """For the terminal: one line per check, then the verdict."""
        width = max((len(c.name) for c in self.checks), default=0)
        run = f" (run {self.run_id})" if self.run_id else ""
        lines = [f"validation of {self.notebook}{run}"]
        for c in self.checks:
            lines.append(f"  {c.status.value.upper():4}  {c.name:<{width}}  {_one_line(c.detail)}")
        failed = sum(c.status is CheckStatus.FAIL for c in self.checks)
        warned = sum(c.status is CheckStatus.WARN for c in self.checks)
        verdict = "PASSED" if self.passed else f"FAILED ({failed} check{'s' * (failed != 1)})"
        lines.append(f"{verdict}" + (f", {warned} warning{'s' * (warned != 1)}" if warned else ""))
        return "\n".join(lines)

    def markdown(self) -> str:
        verdict = "passed" if self.passed else "failed"
        out = [
            f"# Validation {verdict}: {_md(self.notebook)}",
            "",
            f"- run: `{self.run_id}`" if self.run_id else "- run: none (the notebook did not run)",
        ]
        if self.duration_s is not None:
            budget = f" of {self.max_seconds:g} s" if self.max_seconds else ""
            out.append(f"- duration: {self.duration_s:.1f} s{budget}")
        out += ["", "| check | result | why |", "|---|---|---|"]
        for c in self.checks:
            out.append(f"| {_md(c.name)} | {c.status.value} | {_md(_one_line(c.detail))} |")
        if self.params:
            out += ["", "## Parameters", ""]
            out += [f"- `{_md(k)}` = `{_md(json.dumps(v))}`" for k, v in self.params.items()]
        if self.metrics:
            out += ["", "## Metrics (last value)", ""]
            out += [f"- `{_md(k)}` = {v:g}" for k, v in sorted(self.metrics.items())]
        if self.requirements:
            out += ["", "## Pinned requirements", ""]
            out += [f"- `{_md(r)}`" for r in self.requirements]
        return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or code span (no pipes, backticks or HTML)."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("`", "'")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )
