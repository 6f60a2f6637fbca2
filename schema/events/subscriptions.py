"""Live subscriptions (graphql-transport-ws at /graphql): scans and pass events as they
happen, tenant-scoped and scope-checked. Fed by ``resolvers/live.py``'s hub."""

from collections.abc import AsyncGenerator, Callable
from types import SimpleNamespace
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import events as event_data
from resolvers.errors import Conflict
from resolvers.live import LiveEvent, Subscriber

from ..ids import raw_id
from ..scans.types import Scan
from .types import Event

# A subscriber this far behind is cut off (the hub's queue bound).
TOO_SLOW = 4008


async def _follow(info: Info, tenant_id: str, wants: Callable[[LiveEvent], bool]
                  ) -> AsyncGenerator[LiveEvent, None]:
    hub = info.context.app.live
    if hub is None:
        raise Conflict("live events are not available in this process")
    async with hub.subscribe(tenant_id, wants) as sub:
        while True:
            event = await sub.queue.get()
            if event is None:
                await _cut_off(info, sub)
                return
            # A long-lived connection must not answer from a previous event's loader cache.
            info.context.__dict__.pop("loaders", None)
            yield event


async def _cut_off(info: Info, sub: Subscriber) -> None:
    ws = info.context.response
    if ws is not None and hasattr(ws, "close"):
        await ws.close(code=TOO_SLOW, message=b"subscriber too slow: events were waiting "
                                              b"unread; reconnect, and catch up with events()")


def _scan_row(scan: dict[str, Any]) -> Any:
    return SimpleNamespace(**{**scan, "scanned_at": event_data._dt(scan["scanned_at"])})


@strawberry.type
class EventSubscriptions:
    @strawberry.subscription(description="Validation attempts as they happen (scans:read); "
                                         "filters combine.")
    async def scan_events(
        self, info: Info, pass_id: strawberry.ID | None = None,
        template_id: strawberry.ID | None = None, device_id: str | None = None,
    ) -> AsyncGenerator[Scan, None]:
        principal = info.context.require("scans:read")
        pid = raw_id(pass_id, "Pass", "passId") if pass_id else None
        tid = raw_id(template_id, "Template", "templateId") if template_id else None

        def wants(e: LiveEvent) -> bool:
            if e.type != "pass.scanned":
                return False
            scan, pass_ = e.data["scan"], e.data.get("pass") or {}
            return ((pid is None or scan.get("pass_id") == pid)
                    and (tid is None or pass_.get("template_id") == tid)
                    and (device_id is None or scan.get("device_id") == device_id))

        async for event in _follow(info, principal.tenant_id, wants):
            yield Scan.from_row(_scan_row(event.data["scan"]))

    @strawberry.subscription(description="Pass events as they happen (passes:read): "
                                         "pass.created, pass.updated, pass.scanned, …")
    async def pass_events(
        self, info: Info, pass_id: strawberry.ID | None = None,
        template_id: strawberry.ID | None = None, types: list[str] | None = None,
    ) -> AsyncGenerator[Event, None]:
        principal = info.context.require("passes:read")
        pid = raw_id(pass_id, "Pass", "passId") if pass_id else None
        tid = raw_id(template_id, "Template", "templateId") if template_id else None

        def wants(e: LiveEvent) -> bool:
            if not e.type.startswith("pass.") or (types and not event_data.matches(types,
                                                                                    e.type)):
                return False
            pass_ = e.data.get("pass") or {}
            return ((pid is None or e.ordering_key == pid)
                    and (tid is None or pass_.get("template_id") == tid))

        async for event in _follow(info, principal.tenant_id, wants):
            yield Event.from_row(event)
