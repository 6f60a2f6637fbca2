"""Rows read with the raw sqlite3 driver, shaped like SQLAlchemy's (attribute access, aware
datetimes, parsed JSON), so the hot path can skip SQLAlchemy on SQLite without the rest of
the code noticing."""

from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, DateTime, Table


def to_sqlite(value: datetime) -> str:
    """SQLAlchemy's text for a datetime on SQLite. Not ``strftime``: it is slower, and on
    glibc it writes year 121 as ``121-…`` where SQLAlchemy writes ``0121-…`` (text order is
    time order only with four digits)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class RowReader:
    """Converts ``SELECT *``/``RETURNING *`` tuples of one table into named rows."""

    def __init__(self, table: Table) -> None:
        self.columns = [c.name for c in table.columns]
        self.cls = namedtuple(f"{table.name}_row", self.columns)  # type: ignore[misc]
        self.star = ", ".join(self.columns)
        converters = []
        for column in table.columns:
            if isinstance(column.type, DateTime) or isinstance(
                getattr(column.type, "impl", None), DateTime
            ):
                converters.append(_datetime)
            elif isinstance(column.type, JSON):
                converters.append(_json)
            elif isinstance(column.type, Boolean):
                converters.append(bool)
            else:
                converters.append(None)
        self.converters = converters

    def __call__(self, values: tuple[Any, ...] | None) -> Any:
        if values is None:
            return None
        return self.cls(*[
            conv(v) if conv is not None and v is not None else v
            for conv, v in zip(self.converters, values, strict=True)
        ])


def _datetime(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _json(value: str | bytes) -> Any:
    return orjson.loads(value)
