"""Shared pytest setup."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# jp_fetch, jp_serverapp, jp_root_dir, ... for the server extension tests.
pytest_plugins = ["pytest_jupyter.jupyter_server"]

POSTGRES_ENV = "WORKBENCH_TEST_POSTGRES_URL"


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
