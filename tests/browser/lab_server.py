"""Start and stop a real JupyterLab for the browser tests (used by conftest.py and the tests)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
STARTUP_TIMEOUT_S = 90


@dataclass
class LabServer:
    """One running JupyterLab: where it serves, with which token, from which root."""

    url: str
    token: str
    root: Path
    home: Path
    log: Path

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}{path}?token={self.token}"

    def api(self, path: str) -> tuple[int, object]:
        """GET a server URL with the token; (status, parsed JSON or text)."""
        req = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as err:
            body = err.read().decode()
            status = err.code
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(server: LabServer, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log.read_text()}")
        try:
            status, _ = server.api("api/status")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(
        f"JupyterLab did not answer /api/status in {STARTUP_TIMEOUT_S}s:\n{server.log.read_text()}"
    )


def start_lab(
    base: Path, extra_args: list[str]
) -> tuple[LabServer, subprocess.Popen[bytes], IO[bytes]]:
    root, home, settings, workspaces = (base / n for n in ("root", "home", "settings", "ws"))
    for d in (root, home, settings, workspaces):
        d.mkdir(parents=True, exist_ok=True)
    # The news toast would cover the sidebar and steal clicks.
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
        "WORKBENCH_HOME": str(home),
    }
    env.pop("WORKBENCH_DB_URL", None)
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_unauthenticated_access=False",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *extra_args,
    ]  # fmt: skip
    log = base / "server.log"
    log_file = log.open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, home, log)
    try:
        _wait_until_up(server, proc)
    except BaseException:
        stop_lab(proc, log_file)
        raise
    return server, proc, log_file


def stop_lab(proc: subprocess.Popen[bytes], log_file: IO[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    log_file.close()
