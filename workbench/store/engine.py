"""Engines and migrations.

SQLite is the embedded default: WAL so readers never block the writer, a busy timeout so
concurrent writers wait instead of failing, foreign keys on, and every write transaction
opened with ``BEGIN IMMEDIATE`` so two writers never deadlock upgrading a read lock.
PostgreSQL URLs get a plain engine; nothing in the queries is SQLite-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from workbench.errors import StoreError
from workbench.store.location import StoreLocation

# Bump together with a new file in migrations/versions (a test checks they agree).
HEAD_REVISION = "0004"
BUSY_TIMEOUT_S = 30.0
WRITE_OPTION = "workbench_write"
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(location: StoreLocation) -> Engine:
    if location.is_sqlite:
        location.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            location.db_url,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(location.db_url, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextlib.contextmanager
def _migration_lock(engine: Engine, location: StoreLocation) -> Iterator[None]:
    """Serialize migrations between processes that open a new store at the same moment."""
    if location.is_sqlite:
        location.home.mkdir(parents=True, exist_ok=True)
        with open(location.home / ".migrate.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(7236423)"))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(7236423)"))
                conn.commit()
    else:
        yield


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, location: StoreLocation) -> None:
    """Bring the database to the head revision; cheap when it is already there."""
    if current_revision(engine) == HEAD_REVISION:
        return
    try:
        with _migration_lock(engine, location):
            if current_revision(engine) == HEAD_REVISION:
                return
            from alembic import command

            command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StoreError(
            f"cannot prepare the Workbench store at {location.db_url}: {exc.orig}. "
            "Check that the path is writable or that WORKBENCH_DB_URL is right."
        ) from exc


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock at BEGIN (SQLite)."""
    return engine.connect().execution_options(**{WRITE_OPTION: True})


def sqlite_path(location: StoreLocation) -> str | None:
    if not location.is_sqlite:
        return None
    return os.fspath(location.db_url.split("///", 1)[-1])
