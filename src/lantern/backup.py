"""Backup and restore: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

A backup is verified by restoring it into a fresh database and comparing every table's row
count with the source and running the audit chain verification on the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import make_url

from lantern.audit import service as audit_service
from lantern.db import make_engine, make_session_factory
from lantern.errors import DomainError, ValidationFailed


class BackupError(DomainError):
    status_code = 500
    code = "backup_failed"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationFailed("backup needs a file-based SQLite database")
    return Path(database)


def _pg_url(url: str) -> str:
    """libpq form of a SQLAlchemy URL (pg_dump does not know '+psycopg')."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client)")
    return found


def create(database_url: str, target: Path) -> Path:
    """Write a consistent backup of the database to ``target`` while it stays in use."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(database_url).get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(database_url))
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)  # page-by-page copy of a consistent snapshot
        finally:
            source.close()
            destination.close()
        return target
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), _pg_url(database_url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def restore(backup_file: Path, database_url: str) -> None:
    """Restore a backup into an EMPTY database (refuses to overwrite one that has tables)."""
    if not backup_file.is_file():
        raise ValidationFailed(f"backup file {backup_file} does not exist")
    engine = make_engine(database_url)
    try:
        if inspect(engine).get_table_names():
            raise ValidationFailed("the target database is not empty; restore only into a fresh database")
    finally:
        engine.dispose()
    if make_url(database_url).get_backend_name() == "sqlite":
        source = sqlite3.connect(backup_file)
        destination = sqlite3.connect(_sqlite_path(database_url))
        try:
            with destination:
                source.backup(destination)
        finally:
            source.close()
            destination.close()
        return
    result = subprocess.run(  # noqa: S603
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            _pg_url(database_url),
            str(backup_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar() or 0) for name in names}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    lines: list[str]


def verify(source_url: str, restored_url: str) -> VerifyResult:
    """Compare row counts of every table and verify the restored audit chain."""
    source, copy = make_engine(source_url), make_engine(restored_url)
    try:
        expected, found = row_counts(source), row_counts(copy)
        lines, ok = [], True
        for name in sorted(set(expected) | set(found)):
            if expected.get(name) != found.get(name):
                ok = False
                lines.append(f"table {name}: {expected.get(name)} rows in the source, {found.get(name)} restored")
        with make_session_factory(copy)() as session:
            report = audit_service.verify(session)
        if not report.ok:
            ok = False
        lines.extend(report.lines())
        lines.insert(
            0,
            f"{len(expected)} tables compared, {sum(expected.values())} rows" + ("" if ok else " — MISMATCH"),
        )
        return VerifyResult(ok, lines)
    finally:
        source.dispose()
        copy.dispose()
