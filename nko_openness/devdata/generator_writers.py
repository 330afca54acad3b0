"""Bulk writers for the generator: Core ``insert()`` executemany, and COPY on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from operator import itemgetter, methodcaller

from sqlalchemy import JSON, Connection

from nko_openness.models.base import UTCDateTime

BATCH = 5000  # rows per executemany call
COPY_MIN_ROWS = 2000  # below this, plain executemany is as fast as COPY


class Writer:
    """Executemany of a Core ``insert()``, batch by batch."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def write(self, table, rows: list[dict]) -> None:
        for start in range(0, len(rows), BATCH):
            self.conn.execute(table.insert(), rows[start:start + BATCH])


class SqliteWriter(Writer):
    """Executemany of a Core ``insert()``, compiled once per table and column set.

    The rows are converted by the columns' own SQLAlchemy bind processors, so they are stored
    exactly as the ORM would store them, but without building parameters row by row through
    the ORM or the statement cache: on SQLite that per-row work cost more than the insert.
    """

    def __init__(self, conn: Connection):
        super().__init__(conn)
        self._compiled: dict = {}

    def _statement(self, table, columns: tuple[str, ...]):
        key = (table.name, columns)
        if key not in self._compiled:
            dialect = self.conn.dialect
            compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
            order = compiled.positiontup  # pysqlite's "?" placeholders are positional
            converters = [(i, _fast(table.c[c].type, dialect)) for i, c in enumerate(order)]
            self._compiled[key] = (str(compiled), itemgetter(*order),
                                   [(i, f) for i, f in converters if f is not None])
        return self._compiled[key]

    def write(self, table, rows: list[dict]) -> None:
        begin(self.conn)
        sql, values_of, converters = self._statement(table, tuple(rows[0]))
        cursor = self.conn.connection.dbapi_connection.cursor()
        try:
            for start in range(0, len(rows), BATCH):
                batch = []
                for row in rows[start:start + BATCH]:
                    values = list(values_of(row))
                    for i, convert in converters:
                        if values[i] is not None:
                            values[i] = convert(values[i])
                    batch.append(values)
                cursor.executemany(sql, batch)
        finally:
            cursor.close()


def _fast(type_, dialect):
    """The column's bind processor, or an equivalent C-speed one for our UTC datetimes."""
    processor = type_._cached_bind_processor(dialect)
    if processor is not None and isinstance(type_, UTCDateTime):
        sample = datetime(2024, 2, 29, 13, 5, 9, 7, tzinfo=UTC)
        fast = methodcaller("strftime", "%Y-%m-%d %H:%M:%S.%f")
        if fast(sample) == processor(sample):  # the format SQLAlchemy's SQLite DATETIME uses
            return fast
    return processor


class CopyWriter(Writer):
    """PostgreSQL: ``COPY … FROM STDIN`` through psycopg for anything but small batches."""

    def write(self, table, rows: list[dict]) -> None:
        if len(rows) < COPY_MIN_ROWS:
            return super().write(table, rows)
        begin(self.conn)
        columns = list(rows[0])
        json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
        raw = self.conn.connection.dbapi_connection
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c], ensure_ascii=False)
                                if c in json_columns else row[c] for c in columns])


def begin(conn: Connection) -> None:
    # Writes through the DBAPI cursor bypass SQLAlchemy's autobegin; without a transaction
    # of its own, conn.commit() would do nothing and the whole load become one transaction.
    if not conn.in_transaction():
        conn.begin()


WRITERS = {"postgresql": CopyWriter, "sqlite": SqliteWriter}
