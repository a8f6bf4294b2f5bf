"""``wb.widgets.sweep(notebook)``: a sweep form built from the notebook's parameter schema.

Per parameter: a fixed value, a list (a grid axis) or a random distribution, as text in the
grammar of ``workbench sweep`` (``0.01, 0.1`` or ``loguniform(1e-4,1e-1)``); plus workers,
draws, timeout, retries and experiment. Launch hands it all to
:func:`workbench.jobs.api.launch_sweep` (the sweep engine checks, expands and runs it in the
background, exactly as for ``wb.sweep`` and the CLI); a thread then follows the sweep with
``SweepHandle.wait`` and shows the progress and the engine's leaderboard.
"""

from __future__ import annotations

import html
import os
import threading
from pathlib import Path
from typing import Any

import ipywidgets as w

from workbench.entities import Sweep, SweepOptions
from workbench.errors import InvalidInput, WorkbenchError
from workbench.jobs.options import MAX_RETRIES, MAX_WORKERS
from workbench.jobs.spec import SweepSpec
from workbench.notebooks.schema import NOT_LITERAL, ParamSpec, notebook_schema
from workbench.store import Store
from workbench.widgets._common import fresh_store, html_table, message

MODES = ("fixed", "list", "random")
PLACEHOLDERS = {
    "fixed": "value",
    "list": "values, comma separated: 0.01, 0.1, 1",
    "random": "uniform(a,b) loguniform(a,b) int(a,b) normal(mu,sigma) choice(x,y)",
}
POLL_SECONDS = 1.0


class ParamRow:
    """The inputs of one parameter: its mode and its text."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.default = "" if spec.default is NOT_LITERAL else spec.default_repr
        self.mode = w.Dropdown(options=MODES, value="fixed", layout=w.Layout(width="90px"))
        self.text = w.Text(
            value=self.default, placeholder=PLACEHOLDERS["fixed"], layout=w.Layout(width="320px")
        )
        self.text.add_class(f"wb-SweepForm-value-{spec.name}")
        self.mode.observe(self._mode_changed, "value")
        label = w.HTML(
            f"<code>{html.escape(spec.name)}</code>: {html.escape(spec.type)}",
            layout=w.Layout(width="170px"),
        )
        muted = "color:var(--jp-ui-font-color2)"
        hint = w.HTML(f'<span style="{muted}">{html.escape(spec.help)}</span>')
        self.box = w.HBox(
            [label, self.mode, self.text, hint], layout=w.Layout(align_items="center")
        )

    def set(self, mode: str, text: str) -> None:
        if mode not in MODES:
            raise InvalidInput(f"mode {mode!r} for {self.spec.name!r}: use one of {MODES}")
        self.mode.value = mode
        self.text.value = text

    def _mode_changed(self, change: dict[str, Any]) -> None:
        self.text.placeholder = PLACEHOLDERS[change["new"]]
        if change["new"] == "fixed" and not self.text.value.strip():
            self.text.value = self.default
        elif change["old"] == "fixed" and self.text.value == self.default:
            self.text.value = ""


class SweepForm(w.VBox):
    """Fill in, press Launch; ``.launch()`` does the same from code and returns the sweep."""

    def __init__(
        self,
        notebook: str | os.PathLike[str],
        store: Store | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        from workbench.notebooks.kernel import available_cores

        self.notebook = Path(notebook).resolve()
        self.schema = notebook_schema(self.notebook)
        self._store = store
        self.poll = poll
        self.handle: Any = None  # SweepHandle once launched
        self.sweep: Sweep | None = None
        self._thread: threading.Thread | None = None
        self.rows = {spec.name: ParamRow(spec) for spec in self.schema}

        narrow = w.Layout(width="200px")
        self.workers = w.BoundedIntText(
            value=min(available_cores(), MAX_WORKERS),
            min=1,
            max=MAX_WORKERS,
            description="workers",
            layout=narrow,
        )
        self.n = w.BoundedIntText(
            value=8,
            min=1,
            max=10_000,
            description="draws",
            tooltip="random draws (for random parameters)",
            layout=narrow,
        )
        self.timeout = w.BoundedFloatText(
            value=0,
            min=0,
            max=1e7,
            description="timeout s",
            tooltip="per job; 0 means none",
            layout=narrow,
        )
        self.retries = w.BoundedIntText(
            value=0, min=0, max=MAX_RETRIES, description="retries", layout=narrow
        )
        self.experiment = w.Text(
            placeholder="Default", description="experiment", layout=w.Layout(width="260px")
        )
        self.force = w.Checkbox(
            value=False, description="run jobs that already succeeded again", indent=False
        )
        self.launch_button = w.Button(
            description="Launch sweep", icon="play", button_style="primary"
        )
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True)
        self.launch_button.add_class("wb-SweepForm-launch")
        self.launch_button.on_click(lambda _: self._clicked_launch())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.feedback = w.VBox()
        self.progress = w.IntProgress(
            value=0, min=0, max=1, description="jobs", layout=w.Layout(visibility="hidden")
        )
        self.counts = w.HTML()
        self.leaderboard = w.HTML()
        self.leaderboard.add_class("wb-SweepForm-leaderboard")

        title = w.HTML(f"<b>Sweep of {html.escape(self.notebook.name)}</b>")
        params: list[w.Widget] = [r.box for r in self.rows.values()] or [
            message("The parameters cell has no parameters: the sweep runs one job.")
        ]
        super().__init__(
            [
                title,
                *params,
                w.HBox([self.workers, self.n, self.timeout, self.retries]),
                w.HBox([self.experiment, self.force], layout=w.Layout(align_items="center")),
                w.HBox([self.launch_button, self.cancel_button]),
                self.feedback,
                w.HBox([self.progress, self.counts]),
                self.leaderboard,
            ]
        )
        self.add_class("wb-SweepForm")

    # -- the spec ------------------------------------------------------------------------

    def set(self, name: str, mode: str, text: str) -> None:
        """Fill one parameter: ``form.set("lr", "list", "0.01, 0.1")``."""
        if name not in self.rows:
            raise InvalidInput(
                f"{self.notebook.name} has no parameter {name!r}; it has: "
                + (", ".join(self.rows) or "none")
            )
        self.rows[name].set(mode, text)

    def request(self) -> tuple[SweepSpec, SweepOptions]:
        """The sweep spec and options the form describes (checked by the engine)."""
        from workbench.jobs.distributions import split_values
        from workbench.jobs.plan import spec_from_api

        grid: dict[str, list[Any]] = {}
        random: dict[str, str] = {}
        params: dict[str, Any] = {}
        for name, row in self.rows.items():
            text, mode = row.text.value.strip(), row.mode.value
            if mode == "fixed":
                if text and text != row.default:
                    params[name] = _one_value(name, text)
            elif not text:
                raise InvalidInput(
                    f"parameter {name!r} is set to {mode} but has no "
                    f"{'values' if mode == 'list' else 'distribution'}: "
                    f"write {PLACEHOLDERS[mode]}"
                )
            elif mode == "list":
                try:
                    grid[name] = split_values(text)
                except ValueError as exc:
                    raise InvalidInput(f"cannot read the values of {name!r}: {exc}") from None
            else:
                random[name] = text
        spec = spec_from_api(
            grid=grid or None,
            random=random or None,
            n=self.n.value if random else None,
            params=params or None,
        )
        options = SweepOptions(
            workers=self.workers.value,
            timeout=self.timeout.value or None,
            retries=self.retries.value,
            experiment=self.experiment.value.strip() or None,
            force=self.force.value,
        )
        return spec, options

    # -- launching and following ---------------------------------------------------------

    def launch(self) -> Sweep:
        """Launch the sweep the form describes (InvalidInput, and nothing started, if the
        engine refuses it) and follow it in the background."""
        from workbench.jobs.api import SweepHandle, launch_sweep

        if self._thread is not None and self._thread.is_alive():
            raise InvalidInput("this form's sweep is still running: cancel it or wait")
        store = self._store or fresh_store()
        sweep = launch_sweep(str(self.notebook), *self.request(), store=store)
        self.sweep = sweep
        self.handle = SweepHandle(sweep.sweep_id, store)
        if not sweep.total:
            self.feedback.children = [
                message(
                    f"Sweep {sweep.sweep_id[:8]}: nothing to run, every job already succeeded "
                    "or is running in another sweep (tick 'run jobs that already succeeded "
                    "again' to rerun them)."
                )
            ]
            return sweep
        self.feedback.children = [
            message(f"Sweep {sweep.sweep_id[:8]} launched: {sweep.total} jobs.", "ok")
        ]
        self.progress.layout.visibility = "visible"
        self.cancel_button.disabled = False
        self._show(sweep)
        self._thread = threading.Thread(
            target=self._follow, name="workbench-sweep-form", daemon=True
        )
        self._thread.start()
        return sweep

    def wait(self, timeout: float | None = None) -> Sweep | None:
        """Block until the followed sweep ends (the form's last view of it)."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"sweep still running after {timeout} s")
        return self.sweep

    def cancel(self) -> Sweep | None:
        if self.handle is None:
            return None
        sweep = self.handle.cancel()
        self.feedback.children = [message(f"Cancelling sweep {sweep.sweep_id[:8]}...")]
        return sweep

    def _clicked_launch(self) -> None:
        try:
            self.launch()
        except WorkbenchError as exc:
            self.feedback.children = [message(exc.message, "error")]

    def _follow(self) -> None:
        while True:
            try:
                sweep = self.handle.wait(timeout=self.poll, poll=min(0.5, self.poll))
            except TimeoutError:
                sweep = None
            except Exception as exc:  # shown, not lost in a thread
                self.feedback.children = [message(f"could not follow the sweep: {exc}", "error")]
                return
            current = sweep or self.handle.status()
            self._show(current)
            if sweep is not None:
                self.cancel_button.disabled = True
                self.feedback.children = [
                    message(
                        f"Sweep {sweep.sweep_id[:8]} {sweep.status.value}.",
                        "ok" if sweep.status.value == "succeeded" else "error",
                    )
                ]
                return

    def _show(self, sweep: Sweep) -> None:
        from workbench.jobs.progress import counts_text, leaderboard

        self.sweep = sweep
        self.progress.max = max(1, sweep.total)
        self.progress.value = sweep.done
        self.counts.value = html.escape(counts_text(sweep))
        board = leaderboard(self.handle.store, sweep.sweep_id)
        muted = "color:var(--jp-ui-font-color2)"
        note = f'<div style="{muted}">{html.escape(board.note)}</div>' if board.note else ""
        self.leaderboard.value = html_table(board.headers, board.rows, "wb-SweepForm-board") + note


def _one_value(name: str, text: str) -> str:
    """A fixed value as text: one item of the list grammar (quotes removed); the schema
    converts it to the parameter's type when the sweep is planned."""
    from workbench.jobs.distributions import split_values

    try:
        items = split_values(text)
    except ValueError:
        return text
    return items[0] if len(items) == 1 else text


def sweep(notebook: str | os.PathLike[str]) -> SweepForm:
    """A form over ``notebook``'s parameters that launches a sweep and shows its progress
    and leaderboard."""
    return SweepForm(notebook)
