"""Shared pytest setup."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

# jp_fetch, jp_serverapp, jp_root_dir, ... for the server extension tests.
pytest_plugins = ["pytest_jupyter.jupyter_server"]

POSTGRES_ENV = "WORKBENCH_TEST_POSTGRES_URL"


# -- a real jupyter_server with the extension, for the REST tests --------------------------


@pytest.fixture
def wb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store home, set before the server (and so the extension) starts."""
    home = tmp_path / "wbhome"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    # The extension sets this; registering it here makes monkeypatch restore it afterwards.
    monkeypatch.setenv("WORKBENCH_SERVER_ROOT", "set-by-the-extension")
    return home


@pytest.fixture
def store(wb_home: Path) -> Iterator[Any]:
    """The store of the server's home (a test module may define its own ``store``)."""
    from workbench.store import open_store

    store = open_store(home=str(wb_home))
    yield store
    store.close()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handler for a test that presses Ctrl-C (sends itself SIGINT),
    whatever the test run inherited: a run started in the background by a shell without job
    control has SIGINT ignored, and Python keeps it ignored (the press would be lost)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def server_overrides() -> dict[str, Any]:
    """ServerApp settings a test adds (parametrize this fixture to change them)."""
    return {}


@pytest.fixture
def jp_server_config(wb_home: Path, server_overrides: dict[str, Any]) -> Config:
    return Config(
        {
            "ServerApp": {
                # Terminals off: pytest-jupyter adds them otherwise, and their websocket
                # handler trips jupyter_server's auth warning (an error under pytest here).
                "jpserver_extensions": {"workbench": True, "jupyter_server_terminals": False},
                "allow_unauthenticated_access": False,
                **server_overrides,
            }
        }
    )


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A real PostgreSQL server (`make test` starts Debian's on loopback and sets the URL).

    Never skipped: without a server, the tests that need one fail and say how to get it.
    """
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: run the tests with `make test`, which starts "
            "PostgreSQL on loopback (`make postgres`) and sets it"
        )
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on that server for one test, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url)
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def both_backends_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh store on a SQLite file, then on a fresh PostgreSQL database."""
    from workbench.store import Store, locate

    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    store = Store(locate(tmp_path / ".workbench", db_url=url))
    yield store
    store.close()


# -- a PostgreSQL store that stops answering -------------------------------------------------


def _set_connections(postgres_admin_url: str, db_url: str, allowed: bool) -> None:
    """ALTER DATABASE ... ALLOW_CONNECTIONS, and end every session it has when refusing."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_admin_url).set(drivername="postgresql")
    name = make_url(db_url).database
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


@pytest.fixture
def outage(postgres_admin_url: str, postgres_url: str) -> Iterator[tuple[str, Any]]:
    """The test database's URL and a switch: ``switch(False)`` refuses connections (and
    ends the open ones), ``switch(True)`` lets them in again; always let in afterwards."""

    def switch(allowed: bool) -> None:
        _set_connections(postgres_admin_url, postgres_url, allowed)

    try:
        yield postgres_url, switch
    finally:
        switch(True)
