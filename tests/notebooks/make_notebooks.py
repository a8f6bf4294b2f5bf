"""Writes the small test notebooks in this folder: `python tests/notebooks/make_notebooks.py`.

Kept as code so each notebook's purpose is readable in one place; the .ipynb files are
committed so tests do not depend on this script.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def params_cell(source: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


NOTEBOOKS = {
    # parameters, metrics logged from the kernel, and the run context the kernel sees
    "tracked.ipynb": [
        new_markdown_cell("Logs metrics to the job's run from inside the kernel."),
        params_cell("lr = 0.1\nepochs = 2"),
        new_code_cell(
            "import os, sys\n"
            "import workbench as wb\n"
            "for i in range(epochs):\n"
            "    wb.log_metric('loss', lr / (i + 1), step=i)\n"
            "wb.log_metrics({'accuracy': 0.9})"
        ),
        new_code_cell(
            "print(type(lr).__name__, type(epochs).__name__)\n"
            "print('executable', sys.executable)\n"
            "print('threads', os.environ.get('OMP_NUM_THREADS'))"
        ),
    ],
    # cell 2 raises ValueError (cell 3 never runs)
    "raises.ipynb": [
        new_markdown_cell("Fails in its third cell."),
        new_code_cell("x = 1"),
        new_code_cell("raise ValueError('bad value for x')"),
        new_code_cell("print('never')"),
    ],
    # cell 1 sleeps far longer than the tests' timeout
    "sleeps.ipynb": [
        new_code_cell("import time"),
        new_code_cell("time.sleep(30)"),
        new_code_cell("print('never')"),
    ],
    # cell 1 kills the kernel process
    "dies.ipynb": [
        new_code_cell("import os"),
        new_code_cell("os._exit(1)"),
        new_code_cell("print('never')"),
    ],
    # sweeps: tiny and fast; the mode picks the fault, x == 4 raises (2 of a 6 x 2 grid)
    "sweep_job.ipynb": [
        params_cell(
            "x: int = 1  # the input\n"
            'opt: str = "adam"  # optimizer name\n'
            'mode: str = "ok"  # ok, raise, die, kill_worker\n'
            "seconds: float = 0.0  # how long the job sleeps"
        ),
        new_code_cell(
            "import os, signal, time\n"
            "import workbench as wb\n"
            "if x == 4 or mode == 'raise':\n"
            "    raise ValueError(f'x={x} is not allowed')\n"
            "if mode == 'die':\n"
            "    os._exit(1)  # the kernel dies\n"
            "if mode == 'kill_worker':\n"
            "    os.kill(os.getppid(), signal.SIGKILL)  # the job's worker process dies\n"
            "    time.sleep(30)"
        ),
        new_code_cell(
            "time.sleep(seconds)\n"
            "wb.log_metric('score', x * (2.0 if opt == 'sgd' else 1.0))\n"
            "wb.log_metric('loss', 1.0 / (x + 1))"
        ),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
