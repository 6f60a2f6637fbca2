"""Relay cursor connections with ``totalCount`` (counted only when asked for)."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import MAX_OFFSET, Page, PageArgs, encode_cursor, offset_cursor

__all__ = ["MAX_OFFSET", "Connection", "connection", "offset_cursor", "page_args"]

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    page: strawberry.Private[Page]

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]

    @strawberry.field(description="Rows matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self.page.total_count()


def connection(page: Page, convert: Callable[[Any], T]) -> Connection[T]:
    if page.offset is not None:  # a sorted list: an id says nothing about where a row is
        edges = [Edge(cursor=offset_cursor(page.offset + i + 1), node=convert(r))
                 for i, r in enumerate(page.rows)]
    else:
        edges = [Edge(cursor=encode_cursor(r.id), node=convert(r)) for r in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        page=page,
    )


def page_args(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageArgs:
    return PageArgs(first=first, after=after, last=last, before=before)
