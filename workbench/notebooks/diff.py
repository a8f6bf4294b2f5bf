"""Two notebooks diffed cell by cell: nbdime aligns the cells (its matching of moved,
inserted and edited cells is the field's standard), and each matched pair's source and
outputs come back as aligned lines for a side-by-side view.

nbdime is part of the ``lab`` extra; it is imported when a diff is asked for.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InvalidInput

# What changes in every run and says nothing about the work: ids, counters, timings.
_NOISE = {"id", "execution_count", "metadata"}
# Outputs are summarized as text; a long one is cut to this many characters.
OUTPUT_CHARS = 4000


@dataclass(frozen=True)
class Line:
    op: str  # " " both sides, "-" only the base, "+" only the other
    text: str


@dataclass
class CellDiff:
    status: str  # unchanged, modified, added, removed
    cell_type: str
    base_index: int | None
    remote_index: int | None
    source: list[Line] = field(default_factory=list)
    outputs: list[Line] = field(default_factory=list)
    source_changed: bool = False
    outputs_changed: bool = False


def read_ipynb(data: bytes, what: str) -> Any:
    """A stored executed notebook as an nbformat v4 node (a clear error if it is not one)."""
    import nbformat

    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for broken JSON
        raise InvalidInput(f"the executed notebook of {what} cannot be read ({exc})") from None


def diff_notebooks(base: Any, remote: Any) -> list[CellDiff]:
    """Every cell of both notebooks in reading order, each with its status and its lines."""
    from nbdime import diff_notebooks as nbdime_diff

    cells_ops: list[dict[str, Any]] = []
    for op in nbdime_diff(base, remote):
        if op["op"] == "patch" and op["key"] == "cells":
            cells_ops = op["diff"]
    by_key: dict[int, list[dict[str, Any]]] = {}
    for op in cells_ops:
        by_key.setdefault(op["key"], []).append(op)
    base_cells, remote_cells = base.cells, remote.cells
    out: list[CellDiff] = []
    removed: set[int] = set()
    r = 0
    for k in range(len(base_cells) + 1):
        patched: dict[str, Any] | None = None
        for op in by_key.get(k, []):
            if op["op"] == "addrange":
                for _ in op["valuelist"]:
                    out.append(_one_sided("added", remote_cells[r], None, r))
                    r += 1
            elif op["op"] == "removerange":
                removed.update(range(k, k + op["length"]))
            elif op["op"] == "patch":
                patched = op
        if k == len(base_cells):
            break
        if k in removed:
            out.append(_one_sided("removed", base_cells[k], k, None))
            continue
        out.append(_pair(base_cells[k], remote_cells[r], k, r, patched))
        r += 1
    return out


def _pair(base: Any, remote: Any, bi: int, ri: int, patch: dict[str, Any] | None) -> CellDiff:
    keys = {op["key"] for op in patch["diff"]} if patch else set()
    source_changed = "source" in keys or "cell_type" in keys
    outputs_changed = "outputs" in keys
    changed = bool(keys - _NOISE)
    return CellDiff(
        status="modified" if changed else "unchanged",
        cell_type=remote.cell_type,
        base_index=bi,
        remote_index=ri,
        source=_lines(base.source, remote.source),
        outputs=_lines(_outputs_text(base), _outputs_text(remote)),
        source_changed=source_changed,
        outputs_changed=outputs_changed,
    )


def _one_sided(status: str, cell: Any, bi: int | None, ri: int | None) -> CellDiff:
    op = "+" if status == "added" else "-"
    return CellDiff(
        status=status,
        cell_type=cell.cell_type,
        base_index=bi,
        remote_index=ri,
        source=[Line(op, t) for t in cell.source.splitlines()],
        outputs=[Line(op, t) for t in _outputs_text(cell).splitlines()],
        source_changed=True,
        outputs_changed=bool(cell.get("outputs")),
    )


def _lines(a: str, b: str) -> list[Line]:
    left, right = a.splitlines(), b.splitlines()
    out: list[Line] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(Line(" ", t) for t in left[i1:i2])
        else:
            out.extend(Line("-", t) for t in left[i1:i2])
            out.extend(Line("+", t) for t in right[j1:j2])
    return out


def _outputs_text(cell: Any) -> str:
    """A code cell's outputs as text: streams and text/plain as they are, errors as their
    name and value, anything else (images, HTML) as a one-line note of its MIME type."""
    parts: list[str] = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_joined(output.get("text", "")))
        elif kind == "error":
            parts.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "text/plain" in data:
                parts.append(_joined(data["text/plain"]))
            else:
                parts.append("[" + ", ".join(sorted(data)) + "]")
    text = "\n".join(p.rstrip("\n") for p in parts)
    return text if len(text) <= OUTPUT_CHARS else text[:OUTPUT_CHARS] + "\n[... cut]"


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
