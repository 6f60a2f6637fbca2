"""One convention for time: aware UTC everywhere (SQLModel's UTCDateTime columns store it)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(value: datetime | None) -> datetime | None:
    """Aware UTC; a naive datetime from a client is taken to be UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_db(value: datetime | None) -> datetime | None:
    """Rows come back aware already; kept as the one place to adapt presentation."""
    return value
