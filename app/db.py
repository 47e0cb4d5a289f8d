"""Declarative base with a constraint naming convention, the Flask-SQLAlchemy handle,
the unit-of-work boundary helper and the row-lock helper."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, insert, inspect, select
from sqlalchemy.orm import DeclarativeBase, Session, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC; always returns aware UTC (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The transaction boundary: commit once on success, roll back on any error.
    Only boundaries (web request wrapper, scheduler job, CLI command) use this."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def lock_row(session: Session, model, pk):
    """SELECT … FOR UPDATE on PostgreSQL (no-op on SQLite, where the writer lock serialises)."""
    return session.execute(select(model).where(model.id == pk).with_for_update()).scalar_one_or_none()


def insert_rows(session: Session, objects: list) -> None:
    """Insert new (transient) mapped objects with one executemany per table, in the caller's
    transaction, without the ORM's per-object bookkeeping. For append-only rows nothing reads back
    in the same transaction (audit entries, task log, outbox): the objects never join the session
    and get no id. A column an object was not given takes the column's scalar default (or NULL)."""
    by_table: dict = {}
    for obj in objects:
        by_table.setdefault(type(obj), []).append(obj)
    for model, objs in by_table.items():
        columns = [a for a in inspect(model).column_attrs if len(a.columns) == 1]
        given = [a for a in columns if any(a.key in o.__dict__ for o in objs)]
        rows = [{a.columns[0].name: o.__dict__[a.key] if a.key in o.__dict__ else _scalar_default(a) for a in given}
                for o in objs]
        session.execute(insert(model.__table__), rows)


def _scalar_default(attr):
    default = attr.columns[0].default
    return default.arg if default is not None and default.is_scalar else None
