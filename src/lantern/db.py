"""Engine, sessions and the declarative base.

One request, command or job is one transaction: repositories flush, the edge commits.
SQLite runs with WAL, ``synchronous=FULL`` and foreign keys; with ``synchronous=NORMAL`` a
power cut can lose the last acknowledged commits, which a police record store must never do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from lantern.errors import StoreError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "2",  # FULL
    "cache_size": "-65536",  # 64 MiB page cache: bulk imports of 1M rows keep their indexes in memory
    "foreign_keys": "1",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type: values are stored as naive UTC text and given back as
    aware UTC. Naive input is refused because its zone cannot be known.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused; use aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # busy_timeout first: WAL switching needs the write lock when another process holds it.
    cursor.execute("PRAGMA busy_timeout = 30000")
    for name, value in SQLITE_PRAGMAS.items():
        cursor.execute(f"PRAGMA {name} = {value}")
    cursor.close()


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get their directory and the durability pragmas."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "connect", _disable_pysqlite_transactions)
        writer = _WriterQueue()
        event.listen(engine, "begin", writer.acquire)
        event.listen(engine, "begin", _emit_begin)
        event.listen(engine, "commit", writer.release)
        event.listen(engine, "rollback", writer.release)
        event.listen(engine.pool, "checkin", writer.release_on_checkin)
        return engine
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _disable_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling breaks SAVEPOINT and makes transactions start late;
    # see the SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL".
    dbapi_connection.isolation_level = None


class _WriterQueue:
    """One SQLite writer at a time inside this process, handed over without polling.

    SQLite's busy handler makes waiting writers sleep and retry (1, 2, 5 ... 100 ms); under 50
    concurrent requests most waited their whole 30 s timeout (3 calls/s, 80% errors, in
    benchmarks/dispatch.py). Waiting on a process-wide lock instead hands the database to the
    next request the moment the previous one commits. Other processes (the CLI) still meet
    SQLite's own lock and busy timeout.
    """

    KEY = "lantern_writer_lock"
    TIMEOUT_S = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, conn: Any) -> None:
        if not self._lock.acquire(timeout=self.TIMEOUT_S):
            raise StoreError(f"the database was busy for {self.TIMEOUT_S:.0f} s; try again")
        conn.info[self.KEY] = True

    def release(self, conn: Any) -> None:
        if conn.info.pop(self.KEY, False):
            self._lock.release()

    def release_on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        # A connection returned to the pool mid-transaction is rolled back by the pool itself,
        # which does not fire the rollback event: let go of the lock here too.
        if record.info.pop(self.KEY, False):
            self._lock.release()


def _emit_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
    # writes fails at once with "database is locked" when another writer got in between
    # (busy_timeout does not apply to lock upgrades), and nearly every request writes an
    # audit entry. SQLite has one writer anyway; WAL keeps readers of other connections free.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_store(engine: Engine) -> dict[str, str]:
    """Verify at start-up that the store is reachable and, on SQLite, durable.

    Raises StoreError naming the setting that is wrong.
    """
    try:
        with engine.connect() as conn:
            return check_connection(conn)
    except StoreError:
        raise
    except Exception as exc:  # the driver's own error types differ per backend
        raise StoreError(f"cannot reach the database: {exc}") from exc


def check_connection(conn: Connection) -> dict[str, str]:
    """Like :func:`check_store` on an open connection (the health check uses its request's)."""
    conn.execute(text("SELECT 1"))
    if conn.dialect.name != "sqlite":
        return {"backend": conn.dialect.name}
    found = {
        "journal_mode": str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()),
        "synchronous": str(conn.exec_driver_sql("PRAGMA synchronous").scalar()),
        "foreign_keys": str(conn.exec_driver_sql("PRAGMA foreign_keys").scalar()),
    }
    wanted = {"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"}
    for name, value in wanted.items():
        if found[name].lower() != value:
            raise StoreError(f"SQLite PRAGMA {name} is {found[name]!r}, expected {value!r}")
    return {"backend": "sqlite", **found}


def make_session_factory(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Session factory; objects stay usable after commit (expire_on_commit=False).

    ``info`` is copied into every session (the runtime passes its clock and keyring).
    """
    return sessionmaker(bind=engine, expire_on_commit=False, info=dict(info or {}))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
