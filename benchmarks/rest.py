"""The runs REST API over 10,000 runs, timed from a client on loopback; prints figures.

    python benchmarks/rest.py [--runs 10000] [--repeats 20]

A real jupyter_server with the Workbench extension serves a store seeded with --runs runs
(10 params and 5 metrics each, as benchmarks/tracking.py seeds them). A client on loopback
times, over --repeats calls each (after one warm-up call that builds the query parser):

- a filtered, sorted page of 100: GET runs?where=...&order_by=...&limit=100;
- the same page as columns: GET runs?...&columns=name,params.p3,metrics.m1,metrics.m2.max;
- the first, unfiltered page of 50 (what the sidebar asks);
- one run: GET runs/{id}.

Figures are medians and 90th percentiles of the wall time of the HTTP call as the client
sees it. Nothing is asserted; the issue's bar is a filtered, sorted page in <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tracking import SEED_RUNS  # the same seed as the tracking benchmark

WHERE = "metrics.m1 > 0.5 and metrics.m3 < 0.5"
ORDER = "metrics.m2 desc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str) -> tuple[float, object]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        body = resp.read()
    return time.perf_counter() - t, json.loads(body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wb-rest-bench-"))
    home = work / ".workbench"
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    env.pop("WORKBENCH_DB_URL", None)
    print(f"seeding {args.runs:,} runs ...", flush=True)
    subprocess.run([sys.executable, "-c", SEED_RUNS.format(n=args.runs)], env=env, check=True)

    port, token = free_port(), secrets.token_hex(16)
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
         "--no-browser", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/workbench/api/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(base + "runs?limit=1", token)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    log_path = work / "server.log"
                    raise SystemExit(f"the server did not start: see {log_path}") from None
                time.sleep(0.3)

        def q(**params: str) -> str:
            return base + "runs?" + urllib.parse.urlencode(params)

        _, first = get(q(limit="1"), token)
        run_id = first["runs"][0]["run_id"]  # type: ignore[index]
        cases = [
            ("filtered, sorted page of 100", q(where=WHERE, order_by=ORDER, limit="100")),
            (
                "same page as columns",
                q(
                    where=WHERE,
                    order_by=ORDER,
                    limit="100",
                    columns="name,params.p3,metrics.m1,metrics.m2.max",
                ),
            ),
            ("first page of 50, unfiltered", q(limit="50")),
            ("one run (GET runs/{id})", base + f"runs/{run_id}"),
        ]
        print(f"\n== REST over {args.runs:,} runs ({args.repeats} calls each, after a warm-up) ==")
        for label, url in cases:
            get(url, token)  # warm-up: the query parser, the connection pool
            times = [get(url, token)[0] for _ in range(args.repeats)]
            p90 = sorted(times)[int(0.9 * (len(times) - 1))]
            print(
                f"{label:<34} median {statistics.median(times) * 1000:7.1f} ms"
                f"   p90 {p90 * 1000:7.1f} ms"
            )
        _, page = get(cases[0][1], token)
        print(f"  (the filter matches {page['total']:,} runs; the bar: <= 100 ms)")  # type: ignore[index]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
