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
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from workbench.errors import StoreError, StoreReadOnly, StoreUnavailable
from workbench.store.location import StoreLocation, display_url

if TYPE_CHECKING:
    import sqlite3

    from alembic.config import Config
    from sqlalchemy.pool import ConnectionPoolEntry

# Bump together with a new file in migrations/versions (a test checks they agree).
HEAD_REVISION = "0005"
BUSY_TIMEOUT_S = 30.0
WRITE_OPTION = "workbench_write"
MIGRATIONS = Path(__file__).parent / "migrations"
_WAL_PRAGMA = "PRAGMA journal_mode=WAL"


def make_engine(location: StoreLocation) -> Engine:
    if location.is_sqlite:
        path = sqlite_path(location)
        read_only = None if path is None else _read_only_sqlite(Path(path))
        if read_only is not None:
            # A store in a folder this process may not write. With no WAL files beside it
            # (read-only media, a frozen copy) it is opened immutable: SQLite could not
            # create them. With them (a team folder others write), read-only but not
            # immutable, so their writes are seen. A write is refused as StoreReadOnly.
            engine = create_engine(
                f"sqlite:///file:{path}?{read_only}&uri=true",
                connect_args={"check_same_thread": False},
            )
            _translate_errors(engine, location)
            return engine
        try:
            location.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreReadOnly(
                f"cannot create the Workbench store folder {location.home}: "
                f"{exc.strerror or exc}. Choose a writable folder with WORKBENCH_HOME."
            ) from None
        engine = create_engine(
            location.db_url,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        _configure_sqlite(engine, location)
    else:
        engine = create_engine(location.db_url, pool_pre_ping=True)
    _translate_errors(engine, location)
    return engine


def _read_only_sqlite(db: Path) -> str | None:
    """The URI options to open an existing database whose folder cannot be written, or
    None when it can be opened normally."""
    if not db.is_file() or os.access(db.parent, os.W_OK):
        return None
    if db.with_name(db.name + "-shm").exists() or db.with_name(db.name + "-wal").exists():
        return None if os.access(db, os.W_OK) else "mode=ro"
    return "mode=ro&immutable=1"


# Errors of the database itself, not of a query: answered as "store unavailable" (worth a
# retry: 503 with Retry-After on the server, one line and exit 1 on the CLI) or "read-only".
_READ_ONLY = ("readonly database", "read-only", "read only")
_UNAVAILABLE_SQLITE = ("unable to open database file", "disk i/o error")


def _translate_errors(engine: Engine, location: StoreLocation) -> None:
    name = display_url(location.db_url)

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: ExceptionContext) -> None:
        exc = ctx.sqlalchemy_exception
        if not isinstance(exc, (OperationalError, InterfaceError)):
            return
        detail = " ".join(str(getattr(exc, "orig", exc)).split())
        lowered = detail.lower()
        if any(word in lowered for word in _READ_ONLY):
            raise StoreReadOnly(
                f"the Workbench store at {name} is read-only ({detail}): reading works, "
                "writing needs write access to its file and folder"
            ) from exc
        if location.is_sqlite and not any(w in lowered for w in _UNAVAILABLE_SQLITE):
            return  # a busy or broken query, not an outage
        if not location.is_sqlite and not (ctx.is_disconnect or ctx.connection is None):
            return  # a deadlock, a timeout, a serialization failure: the query's, not the store's
        raise StoreUnavailable(
            f"the Workbench store at {name} is unavailable ({detail[:300]}); "
            "try again when the database is back"
        ) from exc


def _configure_sqlite(engine: Engine, location: StoreLocation) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        mode = (cur.execute(_WAL_PRAGMA).fetchone() or [""])[0]
        if str(mode).lower() != "wal":
            # Concurrent jobs rely on WAL (readers never block the writer). Some network
            # filesystems cannot give it; say so instead of running slow and locking.
            cur.close()
            raise StoreError(
                f"the SQLite store {sqlite_path(location)} cannot use WAL mode (SQLite "
                f"answered journal_mode={mode!r}): its filesystem does not support it. Put "
                "the store on a local disk (WORKBENCH_HOME) or use PostgreSQL "
                "(WORKBENCH_DB_URL)."
            )
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


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, location: StoreLocation) -> None:
    """Bring the database to the head revision; cheap when it is already there."""
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return
    if current is not None and engine.url.query.get("mode") == "ro":
        raise StoreReadOnly(
            f"the Workbench store at {display_url(location.db_url)} is read-only and at "
            f"schema revision {current}, older than this Workbench's {HEAD_REVISION}: open it "
            "once with write access to upgrade it"
        )
    try:
        with _migration_lock(engine, location):
            if current_revision(engine) == HEAD_REVISION:
                return
            from alembic import command

            command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StoreError(
            f"cannot prepare the Workbench store at {display_url(location.db_url)}: {exc.orig}. "
            "Check that the path is writable or that WORKBENCH_DB_URL is right."
        ) from exc


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock at BEGIN (SQLite)."""
    return engine.connect().execution_options(**{WRITE_OPTION: True})


def sqlite_path(location: StoreLocation) -> str | None:
    if not location.is_sqlite:
        return None
    return os.fspath(location.db_url.split("///", 1)[-1])
