"""SQLite connection settings: foreign keys on, WAL for concurrent readers, immediate write locks."""
from __future__ import annotations

from sqlalchemy import event


def install_sqlite_pragmas(app, db) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        # BEGIN IMMEDIATE: take the write lock at the start, so two writers serialise instead of
        # failing with "database is locked" on upgrade from a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
