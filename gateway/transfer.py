"""``passgate import`` and ``passgate export``: a tenant's passes in and out, through the graph.

Import reads a vendor's export record by record with that dialect's field specs
(``rest_compat.imports``) and sends them 1,000 at a time to ``createPasses`` with
``skipExisting``: one transaction per batch, so a batch is all or nothing, and a pass already
imported (same code or vendor id) is skipped, so the import can be run again. A record the
specs or the graph refuse is reported with its reason and left out; the rest of its batch is
sent again. Export pages through the passes with keyset cursors and writes the native
dialect's objects, one page in memory at a time.
"""

import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from strawberry import Schema

from resolvers.auth import KeyAuthenticator, Principal
from resolvers.db import Database
from resolvers.errors import DomainError
from resolvers.models import tenants
from resolvers.outbound import Outbound
from rest_compat import export, imports, native
from rest_compat.errors import RestError
from rest_compat.operations import load_operations
from rest_compat.present import raw_id
from schema.context import AppState, Context

from .settings import Settings

BATCH = 1000
CREATE_PASSES = """
mutation Import($input: CreatePassesInput!) {
  createPasses(input: $input) { count skipped { index } }
}
"""
TEMPLATES = """
query ImportTemplates($after: String) {
  templates(first: 100, after: $after) {
    nodes { id name } pageInfo { hasNextPage endCursor }
  }
}
"""
CUSTOMERS = """
query ImportCustomers($after: String) {
  customers(first: 100, after: $after) {
    nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""
_ITEM = re.compile(r"^passes\[(\d+)\]")


@dataclass
class Report:
    imported: int = 0
    skipped: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    unlinked: int = 0  # template or customer references this tenant does not have

    def refuse(self, number: int, values: dict[str, Any] | None, reason: str,
               field_name: str | None = None) -> None:
        code, external_id = imports.identity(values or {})
        self.refusals.append({"record": number, "code": code, "externalId": external_id,
                              "field": field_name, "reason": reason})

    def summary(self) -> dict[str, Any]:
        return {"imported": self.imported, "skipped": self.skipped,
                "refused": len(self.refusals), "refusals": self.refusals,
                "unlinkedReferences": self.unlinked}


class Graph:
    """Runs operations for one tenant, as its admin, through the schema the server uses."""

    def __init__(self, db: Database, settings: Settings, principal: Principal,
                 schema: Schema) -> None:
        self.schema = schema
        # An import sends nothing out (its events are delivered by the server's worker).
        self.state = AppState(db=db, authenticator=KeyAuthenticator(db),
                              secret_key=settings.secret,
                              public_base_url=settings.public_base_url,
                              outbound=Outbound(allow_private=settings.webhook_allow_private))
        self.principal = principal

    async def execute(self, document: str, variables: dict[str, Any]) -> Any:
        return await self.schema.execute(
            document, variable_values=variables,
            context_value=Context(app=self.state, principal_or_none=self.principal))

    async def data(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = await self.execute(document, variables)
        if result.errors:
            raise DomainError(result.errors[0].message)
        return result.data or {}

    async def all_nodes(self, document: str, name: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            conn = (await self.data(document, {"after": after}))[name]
            out += conn["nodes"]
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            after = conn["pageInfo"]["endCursor"]


async def tenant_principal(db: Database, ref: str) -> Principal:
    """The tenant (by id or name) as an all-scopes principal: the CLI acts as its admin."""
    column = tenants.c.id if ref.startswith("ten_") else tenants.c.name
    async with db.read() as conn:
        row = (await conn.execute(select(tenants).where(column == ref))).first()
    if row is None:
        raise DomainError(f"no tenant with id or name {ref!r}")
    return Principal(tenant_id=row.id, tenant_name=row.name, plan=row.plan, key_id="cli",
                     key_name="passgate CLI", key_prefix="", scopes=frozenset({"admin"}),
                     dialect="native", limits={})


class References:
    """Template and customer references of another instance or tenant are kept only when
    this tenant has them; The Wallet Crew's passType names a template by its name."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.templates: dict[str, str] | None = None  # raw id -> name
        self.customers: set[str] | None = None

    async def fix(self, values: dict[str, Any]) -> int:
        """Drop what this tenant lacks; the number of references dropped."""
        dropped = 0
        if "templateId" in values or "passType" in values:
            if self.templates is None:
                nodes = await self.graph.all_nodes(TEMPLATES, "templates")
                self.templates = {raw_id(n["id"]) or "": n["name"] for n in nodes}
            name = values.pop("passType", None)
            if name is not None:
                found = next((i for i, n in self.templates.items() if n == name), None)
                if found is not None:
                    values["templateId"] = found
                else:
                    dropped += 1
            if values.get("templateId") and values["templateId"] not in self.templates:
                values.pop("templateId")
                dropped += 1
        if values.get("customerId"):
            if self.customers is None:
                nodes = await self.graph.all_nodes(CUSTOMERS, "customers")
                self.customers = {raw_id(n["id"]) or "" for n in nodes}
            if values["customerId"] not in self.customers:
                values.pop("customerId")
                dropped += 1
        return dropped


Progress = Callable[[int, Report], None]


async def run_import(graph: Graph, fmt: str, stream: IO[bytes],
                     progress: Progress | None = None) -> Report:
    report = Report()
    refs = References(graph)
    seen: dict[tuple[str, str], int] = {}  # (kind, value) -> first record number
    batch: list[tuple[int, dict[str, Any]]] = []
    read = 0
    stopped = False
    for record in imports.read_records(stream, fmt):
        read += 1
        try:
            values = imports.to_input(fmt, record)
        except RestError as exc:
            report.refuse(record.number, record.data if isinstance(record.data, dict)
                          else None, exc.message, exc.field)
            continue
        code, external_id = imports.identity(values)
        repeat = next((seen[k] for k in (("code", code), ("externalId", external_id))
                       if k[1] is not None and k in seen), None)
        if repeat is not None:
            report.refuse(record.number, values, f"the same code or vendor id as record "
                          f"{repeat} of this file")
            continue
        for key in (("code", code), ("externalId", external_id)):
            if key[1] is not None:
                seen[key] = record.number  # type: ignore[index]
        report.unlinked += await refs.fix(values)
        batch.append((record.number, values))
        if len(batch) >= BATCH:
            stopped = not await _send(graph, batch, report)
            batch = []
            if progress:
                progress(read, report)
            if stopped:
                break
    if batch and not stopped:
        await _send(graph, batch, report)
    if progress:
        progress(read, report)
    return report


async def _send(graph: Graph, batch: list[tuple[int, dict[str, Any]]], report: Report) -> bool:
    """One batch in one transaction. A record the graph refuses (its error names
    ``passes[i]``) is reported and the rest sent again; a refusal of the whole batch (a plan
    limit) refuses every record of it and stops the import (False)."""
    while batch:
        result = await graph.execute(CREATE_PASSES, {"input": {
            "passes": [values for _, values in batch], "skipExisting": True}})
        if not result.errors:
            payload = result.data["createPasses"]
            report.imported += payload["count"]
            report.skipped += len(payload["skipped"])
            return True
        error = result.errors[0]
        ext = error.extensions or {}
        found = _ITEM.match(ext.get("field") or "")
        if found is None:
            found = re.search(r"passes\[(\d+)\]", error.message) if "code" not in ext else None
        if found is not None and int(found[1]) < len(batch) and ext.get("code") in (
                "BAD_USER_INPUT", "CONFLICT", None):
            number, values = batch.pop(int(found[1]))
            message = re.sub(r"^passes\[\d+\]:?\s*", "", error.message)
            report.refuse(number, values, message, (ext.get("field") or "").partition(".")[2]
                          or None)
            continue
        for number, values in batch:
            report.refuse(number, values, error.message)
        return False
    return True


def terminal_progress(total_hint: str = "") -> Progress:
    """Progress on stderr when it is a terminal: records read, imported, skipped, refused."""
    started = time.monotonic()

    def show(read: int, report: Report) -> None:
        if not sys.stderr.isatty():
            return
        rate = report.imported / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(f"\r{read} read{total_hint}: {report.imported} imported, "
                         f"{report.skipped} skipped, {len(report.refusals)} refused "
                         f"({rate:,.0f} passes/s)   ")
        sys.stderr.flush()

    return show


async def run_export(graph: Graph, fmt: str, out: IO[bytes]) -> int:
    """Every pass of the tenant (deleted ones included) as native objects; the count."""
    count = 0
    folder = Path(native.__file__).parent
    document = load_operations(folder, graph.schema._schema)[export.OPERATION]

    async def run(operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await graph.data(document, variables)

    lines: AsyncIterator[bytes] = export.export_lines(run, fmt, {"includeDeleted": True})
    async for chunk in lines:
        out.write(chunk)
        count += chunk.count(b"\n")
    out.flush()
    return count - (1 if fmt == "csv" and count else 0)
