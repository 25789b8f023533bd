"""A consistent copy of the SQLite database while the app keeps running.

SQLite's online backup copies every page inside one read transaction, so the copy is the
database as it was at one moment, with nothing half-written, while writers carry on in
the WAL. PostgreSQL has its own tools for this (pg_dump; see README, Back-up).
"""

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, MetaData, func, select


class BackupRefused(Exception):
    pass


def backup_sqlite(engine: Engine, target: Path) -> dict[str, int]:
    """Copy the database to `target` (which must not exist); returns each table's rows."""
    if engine.dialect.name != "sqlite":
        raise BackupRefused(
            "This database is PostgreSQL: take a copy with pg_dump (see README, Back-up)."
        )
    if target.exists():
        raise BackupRefused(f"{target} already exists; choose a new file name.")
    source = engine.raw_connection()
    copy = sqlite3.connect(target)
    try:
        source.driver_connection.backup(copy)  # all pages in one step: one consistent moment
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRefused(f"The copy in {target} failed its integrity check.")
    finally:
        copy.close()
        source.close()
    return row_counts(sqlite3_url(target))


def sqlite3_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def row_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return {
                name: connection.scalar(select(func.count()).select_from(table))
                for name, table in sorted(tables.tables.items())
            }
    finally:
        engine.dispose()
