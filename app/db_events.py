"""SQLite connection settings: foreign keys on, WAL for concurrent readers, and a write lock
taken at BEGIN for write transactions only (reads run on their WAL snapshot without blocking)."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from sqlalchemy import event

_write_intent: ContextVar[bool] = ContextVar("lvyue_write_intent", default=True)


@contextmanager
def read_only() -> Iterator[None]:
    """Transactions begun inside this block are plain (deferred) BEGINs on SQLite: they read a
    snapshot and take no write lock. Everything else begins IMMEDIATE, so writers queue at BEGIN
    instead of failing to upgrade a read lock ("database is locked")."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def install_sqlite_pragmas(app, db) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit is atomic and never corrupts; after an OS crash or power loss the
        # last commits may be rolled back. Production runs on PostgreSQL (README).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
