"""``POST /insights/query``: a small subset of KQL over the tables ``Events``, ``Logs`` and
``Metrics``, in The Wallet Crew's columns.

``Events`` is the tenant's scans (``Scan:Accepted``, ``Scan:Rejected``) and its passes'
history from the outbox (``Pass:Created``, ``Pass:Updated``, ``Pass:Installed``, …), newest
first. The pass events need a key that may read them (passes:read or webhooks:read); without,
the table holds the scans alone. ``Logs`` is the tenant's API requests (``requestLogs``),
``Metrics`` the daily counts of the last 30 days (``insights``). The subset: a table, then any
of ``| where <column> == <value>``, ``| take N`` (or ``limit N``),
``| summarize [name =] count() [by <column>, …]``. Anything else is refused by name (400)
rather than half-run. Leading ``where`` clauses on ``eventType`` and ``properties.passId`` are
pushed into the graph's ``scans`` and ``events`` filters; the rest runs here, over at most
``MAX_EVENTS`` of the newest rows.
"""

import heapq
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from resolvers import events as event_data

from ..errors import RestError
from ..present import iso, raw_id

Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventId", "string"), ("timestamp", "datetime"), ("tenantId", "string"),
    ("eventType", "string"), ("operationId", "string"), ("properties", "dynamic"))
METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("metricId", "string"), ("tenantId", "string"), ("metricType", "string"),
    ("value", "dynamic"), ("properties", "dynamic"), ("timestamp", "datetime"))
TABLES = {"Events": EVENT_COLUMNS, "Logs": EVENT_COLUMNS, "Metrics": METRIC_COLUMNS}
# Metrics: counts per UTC day of the insights series, named as the events they count.
METRICS = (("Pass:Created", "passesCreated"), ("Pass:Installed", "installs"),
           ("Scan:Accepted", "accepted"), ("Scan:Rejected", "rejected"))
EVENT_TYPES = {"ACCEPTED": "Scan:Accepted", "REJECTED": "Scan:Rejected"}
# The pass's history as The Wallet Crew names it: Pass:Created → pass.created, …
PASS_EVENT_TYPES = {event_data.CATALOGUE[t][0]: t for t in event_data.PASS_TYPES}
MAX_EVENTS = 10_000
MAX_TAKE = 10_000
PAGE = 100
SUBSET = ("this endpoint runs Events|Logs|Metrics | where <column> == <value> | take N | "
          "summarize count() by <column>")

_NAME = r"[A-Za-z_]\w*"
_COLUMN = rf"{_NAME}(?:\.{_NAME})*"
_VALUE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|true|false|" + _NAME
_WHERE = re.compile(rf"^where\s+({_COLUMN})\s*==\s*({_VALUE})$", re.S)
_TAKE = re.compile(r"^(?:take|limit)\s+(\d+)$")
_SUMMARIZE = re.compile(
    rf"^summarize\s+(?:({_NAME})\s*=\s*)?count\(\s*\)(?:\s+by\s+({_COLUMN}(?:\s*,\s*{_COLUMN})*))?$")
_DECLARE = re.compile(r"^\s*declare\s+query_parameters\s*\([^)]*\)\s*;", re.S)


@dataclass(frozen=True, slots=True)
class Where:
    column: str
    value: Any


@dataclass(frozen=True, slots=True)
class Take:
    count: int


@dataclass(frozen=True, slots=True)
class Summarize:
    name: str
    by: tuple[str, ...]


Stage = Where | Take | Summarize


def _unsupported(what: str) -> RestError:
    return RestError.bad(f"unsupported KQL: {what}; {SUBSET}", "query")


def _split(text: str) -> list[str]:
    """Split on ``|`` outside string literals."""
    parts, current, quote, escaped = [], [], "", False
    for ch in text:
        if quote:
            current.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if quote:
        raise RestError.bad("query has an unterminated string literal", "query")
    parts.append("".join(current).strip())
    return parts


def _literal(token: str, parameters: dict[str, Any]) -> Any:
    if token[0] in "\"'":
        body = token[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)
    if token in ("true", "false"):
        return token == "true"
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if re.fullmatch(r"-?\d+\.\d+", token):
        return float(token)
    if token not in parameters:
        raise RestError.bad(f"{token} is neither a literal nor one of the parameters "
                            f"({', '.join(sorted(parameters)) or 'none given'})", "query")
    return parameters[token]


def parse(text: str, parameters: dict[str, Any]) -> tuple[str, list[Stage]]:
    """The table and its stages; a 400 naming the first thing outside the subset."""
    text = _DECLARE.sub("", text, count=1).strip()
    if not text:
        raise RestError.bad("query is empty", "query")
    head, *rest = _split(text)
    if not re.fullmatch(_NAME, head):
        raise _unsupported(f"{head!r} (a query starts with a table name)")
    stages: list[Stage] = []
    for part in rest:
        word = part.split(None, 1)[0] if part else ""
        if word == "where":
            found = _WHERE.match(part)
            if found is None:
                raise _unsupported(f"`{part}` (where takes one <column> == <value>; "
                                   "chain several where for and)")
            stages.append(Where(found[1], _literal(found[2], parameters)))
        elif word in ("take", "limit"):
            found = _TAKE.match(part)
            if found is None or int(found[1]) > MAX_TAKE:
                raise _unsupported(f"`{part}` (take N, N from 0 to {MAX_TAKE})")
            stages.append(Take(int(found[1])))
        elif word == "summarize":
            found = _SUMMARIZE.match(part)
            if found is None:
                raise _unsupported(f"`{part}` (summarize offers count() by columns)")
            by = tuple(c.strip() for c in found[2].split(",")) if found[2] else ()
            stages.append(Summarize(found[1] or "count_", by))
        else:
            raise _unsupported(f"the operator `{word or '(empty)'}`")
    return head, stages


def _get(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _check_columns(stages: list[Stage], table: str) -> list[tuple[str, str]]:
    """Columns as each stage sees them; an unknown column is a 400 naming the known ones."""
    columns = list(TABLES[table])
    for stage in stages:
        names = {n for n, _ in columns}
        used = [stage.column] if isinstance(stage, Where) else (
            list(stage.by) if isinstance(stage, Summarize) else [])
        for column in used:
            base = column.split(".", 1)[0]
            dynamic = dict(columns).get(base) == "dynamic"
            if base not in names or ("." in column and not dynamic):
                raise RestError.bad(f"unknown column {column!r}; columns here: "
                                    f"{', '.join(sorted(names))}", "query")
        if isinstance(stage, Summarize):
            kinds = dict(columns)
            columns = [(c.replace(".", "_"), kinds[c] if "." not in c else "dynamic")
                       for c in stage.by] + [(stage.name, "long")]
    return columns


@dataclass(slots=True)
class Pushdown:
    """What the leading where clauses ask of each source: the scans filter, the events
    filter, whether each source can match at all, and how many rows are enough when a take
    follows them."""

    scans: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    want_scans: bool = True
    want_events: bool = True
    enough: int | None = None


def _pushdown(stages: list[Stage]) -> Pushdown:
    push = Pushdown()
    for stage in stages:
        if not isinstance(stage, Where):
            push.enough = stage.count if isinstance(stage, Take) else None
            break
        if stage.column == "eventType":
            results = [r for r, name in EVENT_TYPES.items() if name == stage.value]
            if results and push.scans.get("result", results[0]) == results[0]:
                push.scans["result"] = results[0]
            else:
                push.want_scans = False
            dotted = PASS_EVENT_TYPES.get(stage.value) if isinstance(stage.value, str) else None
            if dotted and push.events.get("types", [dotted]) == [dotted]:
                push.events["types"] = [dotted]
            else:
                push.want_events = False
        elif (stage.column == "properties.passId" and isinstance(stage.value, str)
              and stage.value.startswith("pass_")):
            if push.scans.get("passId", stage.value) != stage.value:
                push.want_scans = push.want_events = False
            push.scans["passId"] = push.events["passId"] = stage.value
    return push


def _event(scan: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    p = scan["pass"]
    return {
        "eventId": raw_id(scan["id"]),
        "timestamp": iso(scan["scannedAt"]),
        "tenantId": tenant_id,
        "eventType": EVENT_TYPES[scan["result"]],
        "operationId": scan["scanId"],
        "properties": {
            "passId": raw_id(p["id"]) if p else None,
            "passType": p["template"]["name"] if p and p["template"] else None,
            "code": scan["code"],
            "result": scan["result"].lower(),
            "reason": scan["reason"].lower() if scan["reason"] else None,
            "deviceId": scan["deviceId"],
            "location": scan["location"],
            "operatorKeyId": scan["operatorKeyId"],
            "usagesAfter": scan["usagesAfter"],
        },
    }


def _pass_event(event: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """A pass's event from the outbox, in the row shape of a scan's."""
    p, data = event["pass"], event["data"]
    properties = {
        "passId": data["id"],
        "passType": p["template"]["name"] if p and p["template"] else None,
        "state": data["state"],
        "status": data["status"],
    }
    if "installation" in data:
        properties["device"] = data["installation"].get("platform")
        properties["activeRegistrationCount"] = data["installation"].get(
            "active_registrations")
    return {
        "eventId": event["id"],
        "timestamp": iso(event["occurredAt"]),
        "tenantId": tenant_id,
        "eventType": event_data.CATALOGUE[event["type"]][0],
        "operationId": None,
        "properties": properties,
    }


async def _pages(run: Run, operation: str, field_name: str, variables: dict[str, Any]
                 ) -> AsyncIterator[dict[str, Any]]:
    """The nodes of one connection, newest first, a page at a time."""
    after: str | None = None
    for _ in range(MAX_EVENTS // PAGE):
        conn = (await run(operation, {**variables, "first": PAGE, "after": after}))[field_name]
        for node in conn["nodes"]:
            yield node
        if not conn["pageInfo"]["hasNextPage"]:
            return
        after = conn["pageInfo"]["endCursor"]


async def _scan_rows(run: Run, tenant_id: str, flt: dict[str, Any]
                     ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async for scan in _pages(run, "WalletcrewScanEvents", "scans", {"filter": flt or None}):
        yield scan["scannedAt"], _event(scan, tenant_id)


async def _pass_rows(run: Run, tenant_id: str, flt: dict[str, Any]
                     ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    flt = {"types": list(event_data.PASS_TYPES), **flt}
    async for event in _pages(run, "WalletcrewPassEvents", "events", {"filter": flt}):
        yield event["occurredAt"], _pass_event(event, tenant_id)


async def _log_rows(run: Run, tenant_id: str
                    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    async for log in _pages(run, "WalletcrewRequestLogs", "requestLogs", {}):
        yield log["at"], {
            "eventId": log["id"],
            "timestamp": iso(log["at"]),
            "tenantId": tenant_id,
            "eventType": "Request",
            "operationId": log["requestId"],
            "properties": {
                "method": log["method"], "path": log["path"], "operation": log["operation"],
                "status": log["status"], "durationMs": log["durationMs"],
                "apiKeyId": log["keyId"],
            },
        }


async def _metric_rows(run: Run, tenant_id: str
                       ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The last 30 days' counts, a row per day and metric (empty days as 0), newest first."""
    series = (await run("WalletcrewMetrics", {}))["insights"]["series"]
    for bucket in reversed(series):
        start = bucket["start"]
        end = (datetime.fromisoformat(start) + timedelta(days=1)).isoformat()
        for metric, name in METRICS:
            yield start, {
                "metricId": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                           f"passgate:{tenant_id}:{metric}:{start}")),
                "tenantId": tenant_id,
                "metricType": metric,
                "value": bucket[name],
                "properties": {"period": "P1D", "end": iso(end)},
                "timestamp": iso(start),
            }


async def _newest_first(*sources: AsyncIterator[tuple[str, dict[str, Any]]]
                        ) -> AsyncIterator[dict[str, Any]]:
    """Rows of several sources, each newest first, merged newest first (at most
    ``MAX_EVENTS``)."""
    heads: list[tuple[float, int, dict[str, Any]]] = []

    async def pull(i: int) -> None:
        try:
            at, row = await anext(sources[i])
        except StopAsyncIteration:
            return
        heapq.heappush(heads, (-datetime.fromisoformat(at).timestamp(), i, row))

    for i in range(len(sources)):
        await pull(i)
    for _ in range(MAX_EVENTS):
        if not heads:
            return
        _, i, row = heapq.heappop(heads)
        yield row
        await pull(i)


def _matches(row: dict[str, Any], where: Where) -> bool:
    value = _get(row, where.column)
    return value == where.value and isinstance(value, bool) == isinstance(where.value, bool)


async def query(run: Run, tenant_id: str, text: str, parameters: dict[str, Any],
                pass_events: bool = True) -> dict[str, Any]:
    """``{"columns": [{name, type}], "rows": [[…]]}`` for a query in the subset;
    ``pass_events``: whether the key may read the passes' history."""
    table, stages = parse(text, parameters)
    if table not in TABLES:
        raise RestError.bad(f"unknown table {table!r}; tables: {', '.join(TABLES)}", "query")
    columns = _check_columns(stages, table)
    sources: list[AsyncIterator[tuple[str, dict[str, Any]]]] = []
    if table == "Events":
        push = _pushdown(stages)
        if push.events.get("types") and not pass_events:
            raise RestError(403, "FORBIDDEN", "the Pass:* events need a key with the "
                                              "passes:read scope")
        if push.want_scans:
            sources.append(_scan_rows(run, tenant_id, push.scans))
        if push.want_events and pass_events:
            sources.append(_pass_rows(run, tenant_id, push.events))
    else:
        push = Pushdown(enough=_pushdown(stages).enough)
        sources.append(_log_rows(run, tenant_id) if table == "Logs"
                       else _metric_rows(run, tenant_id))
    rows: list[dict[str, Any]] = []
    if sources and push.enough != 0:
        enough = push.enough
        leading: list[Where] = []
        for stage in stages:
            if not isinstance(stage, Where):
                break
            leading.append(stage)
        async for event in _newest_first(*sources):
            if all(_matches(event, w) for w in leading):
                rows.append(event)
                if enough is not None and len(rows) >= enough:
                    break
    for stage in stages:
        if isinstance(stage, Where):
            rows = [r for r in rows if _matches(r, stage)]
        elif isinstance(stage, Take):
            rows = rows[:stage.count]
        else:
            rows = _summarize(rows, stage)
    names = [n for n, _ in columns]
    return {"columns": [{"name": n, "type": t} for n, t in columns],
            "rows": [[r.get(n) for n in names] for r in rows]}


def _summarize(rows: list[dict[str, Any]], stage: Summarize) -> list[dict[str, Any]]:
    groups: dict[bytes, dict[str, Any]] = {}
    for row in rows:
        values = {c.replace(".", "_"): _get(row, c) for c in stage.by}
        key = orjson.dumps(list(values.values()))
        group = groups.setdefault(key, {**values, stage.name: 0})
        group[stage.name] += 1
    return list(groups.values())
