"""The one check of a sweep's options, whatever face built them.

The CLI, ``wb.sweep``, the sweep widget and the REST API each build a
:class:`~workbench.entities.SweepOptions`; :func:`check_options` is where its limits hold,
so that a value one face refuses is refused by every face, with the same words.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re

from workbench.entities import SweepOptions, check_key, check_timeout
from workbench.errors import InvalidInput
from workbench.jobs.executors import DASK_INSTALL, DASK_LOCAL, DASK_SCHEMES, LOCAL

MAX_WORKERS = 64
MAX_RETRIES = 10
EXECUTOR_FORMS = (
    "local (worker processes), dask (a local Dask cluster) or the address of a Dask "
    "scheduler, tcp://HOST:PORT or tls://HOST:PORT"
)
_ADDRESS = re.compile(
    r"(?P<scheme>tcp|tls)://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r":(?P<port>[0-9]{1,5})"
)


def check_executor(name: object) -> str:
    """``local``, ``dask`` (a LocalCluster) or a scheduler address ``tcp://HOST:PORT``."""
    if not isinstance(name, str):
        raise InvalidInput(f"executor {name!r} is not usable: use {EXECUTOR_FORMS}")
    name = name.strip() or LOCAL
    if name == LOCAL:
        return name
    if name != DASK_LOCAL:
        match = _ADDRESS.fullmatch(name)
        if match is None:
            hint = (
                " (it has no port: write tcp://HOST:8786)" if name.startswith(DASK_SCHEMES) else ""
            )
            raise InvalidInput(f"executor {name!r} is not known{hint}: use {EXECUTOR_FORMS}")
        if not 0 < int(match["port"]) < 65536:
            raise InvalidInput(f"executor {name!r} has port {match['port']}: use 1 to 65535")
    if importlib.util.find_spec("distributed") is None:
        raise InvalidInput(f"executor {name} needs Dask's distributed: {DASK_INSTALL}")
    return name


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"{name} {value!r} is not usable: give a whole number from {low} to {high}"
        )
    return value


def check_options(options: SweepOptions, *, default_workers: int | None = None) -> SweepOptions:
    """The options with defaults filled in, or InvalidInput naming the first bad one.

    ``default_workers`` is used when ``workers`` is None on this machine's executors
    (local processes, a local Dask cluster); a remote scheduler keeps None (its threads).
    """
    executor = check_executor(options.executor)
    workers = options.workers
    if workers is None and executor in (LOCAL, DASK_LOCAL):
        workers = default_workers
    if workers is not None:
        workers = _whole("workers", workers, 1, MAX_WORKERS)
    retries = _whole("retries", options.retries, 0, MAX_RETRIES)
    for flag in ("force", "allow_unknown", "cold"):
        if not isinstance(getattr(options, flag), bool):
            raise InvalidInput(f"{flag} must be true or false, not {getattr(options, flag)!r}")
    if options.experiment is not None:
        check_key("experiment", options.experiment)
    if options.kernel is not None:
        check_key("kernel", options.kernel)
    preload = None if options.preload is None else _check_preload(options.preload)
    return dataclasses.replace(
        options,
        executor=executor,
        workers=workers,
        retries=retries,
        timeout=check_timeout(options.timeout),
        preload=preload,
    )


def _check_preload(names: object) -> list[str]:
    """Module names (``pkg.mod``), each optionally ``-name`` to leave it out."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise InvalidInput(f"preload must be a list of module names, not {names!r}")
    out = []
    for name in names:
        bare = name[1:] if isinstance(name, str) and name.startswith("-") else name
        if not isinstance(bare, str) or not all(p.isidentifier() for p in bare.split(".")):
            raise InvalidInput(
                f"preload {name!r} is not a module name: write names like numpy or "
                "sklearn.ensemble (-name leaves one out)"
            )
        out.append(name)
    return out
