"""Time windows for per-day or per-hour series (scan insights, QR analytics).

One place checks a requested window — granularity, calendar edges, order, bucket count — so
every series refuses the same bad input with the same words, and buckets line up the same.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from . import checks
from .db import Database
from .errors import BadInput
from .timeutil import utcnow

GRANULARITIES = ("day", "hour")
STEP = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
MAX_BUCKETS = {"day": 400, "hour": 744}
DEFAULT_RANGE = timedelta(days=30)


def floor(moment: datetime, granularity: str) -> datetime:
    """The start (UTC) of the day or hour ``moment`` falls in."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if granularity == "day" else moment


def parse_key(key: str) -> datetime:
    """A bucket key as the databases produce it (``2026-01-02`` or ``2026-01-02 13``)."""
    day = datetime.strptime(key[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    return day + timedelta(hours=int(key[11:13])) if len(key) >= 13 else day


def bucket_key(db: Database, column: Any, granularity: str) -> ColumnElement[str]:
    """A time column cut to its UTC day or hour, as text (``2026-01-02`` / ``2026-01-02 13``),
    grouped in SQL. SQLite stores datetimes as ISO text in UTC, so a prefix is the bucket;
    PostgreSQL formats the timestamptz in UTC. Literals, not bound parameters: PostgreSQL
    matches the SELECT expression with the GROUP BY one only when both are the same text."""
    if db.is_sqlite:
        width = literal_column("10" if granularity == "day" else "13")
        return func.substr(column, literal_column("1"), width)
    fmt = literal_column("'YYYY-MM-DD'" if granularity == "day" else "'YYYY-MM-DD HH24'")
    return func.to_char(func.timezone(literal_column("'UTC'"), column), fmt)


@dataclass(frozen=True, slots=True)
class Window:
    """``[since, until)`` cut into ``count`` buckets of ``step`` from ``start``."""

    since: datetime
    until: datetime
    granularity: str
    start: datetime
    step: timedelta
    count: int

    def buckets(self) -> list[datetime]:
        return [self.start + i * self.step for i in range(self.count)]


def window(since: datetime | None, until: datetime | None, granularity: str) -> Window:
    """The checked window: default the last 30 days up to now; ``from``/``to`` named in
    errors as the API names them."""
    granularity = checks.choice(granularity, "granularity", GRANULARITIES)
    until = checks.moment(until, "to") or utcnow()
    since = checks.moment(since, "from")
    if since is None:
        try:
            since = until - DEFAULT_RANGE
        except OverflowError:
            raise BadInput(f"to is too close to the year 0001 for a {DEFAULT_RANGE.days}-day "
                           "range", field="to") from None
    if until <= since:
        raise BadInput("to must be later than from", field="to")
    start, step = floor(since, granularity), STEP[granularity]
    count = math.ceil((until - start) / step)
    if count > MAX_BUCKETS[granularity]:
        raise BadInput(f"from and to span {count} {granularity}s; at most "
                       f"{MAX_BUCKETS[granularity]} are allowed", field="from")
    return Window(since, until, granularity, start, step, count)
