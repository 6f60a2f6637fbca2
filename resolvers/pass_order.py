"""Orders a pass list may be sorted in (The Wallet Crew's ``sortBy``): columns, a template's
name, the first install per wallet, or a text value inside ``meta``. Missing values sort last
in either direction, and the pass id (newest first) breaks ties, so pages never overlap."""

from dataclasses import dataclass

from sqlalchemy import String, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from .db import Database
from .errors import BadInput
from .models import passes, templates, wallet_registrations

FIELDS = ("id", "vendor_id", "template_name", "created_at", "updated_at", "apple_installed_at",
          "google_installed_at", "metadata")
MAX_ORDERS = 5


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool = False
    path: tuple[str, ...] = ()  # for "metadata": keys inside ``meta``


def _meta_text(db: Database, path: tuple[str, ...], where: str) -> ColumnElement[str]:
    if not path or len(path) > 20 or any(not k or len(k) > 200 for k in path):
        raise BadInput(f"{where}.path must be 1 to 20 non-empty keys", field=f"{where}.path")
    if db.is_sqlite:
        at = "$" + "".join(f'."{k.replace(chr(34), "")}"' for k in path)
        return cast(func.json_extract(passes.c.meta, at), String)
    return func.jsonb_extract_path_text(type_coerce(passes.c.meta, JSONB), *path)


def _installed(platform: str) -> ColumnElement[object]:
    return (select(func.min(wallet_registrations.c.created_at))
            .where(wallet_registrations.c.pass_id == passes.c.id,
                   wallet_registrations.c.platform == platform)
            .scalar_subquery())


def clauses(db: Database, orders: list[Order]) -> list[ColumnElement[object]]:
    """ORDER BY terms for ``orders`` (checked), then the pass id, newest first."""
    if len(orders) > MAX_ORDERS:
        raise BadInput(f"orderBy takes at most {MAX_ORDERS} orders", field="orderBy")
    out: list[ColumnElement[object]] = []
    for i, order in enumerate(orders):
        where = f"orderBy[{i}]"
        if order.field != "metadata" and order.path:
            raise BadInput(f"{where}.path is for the METADATA field", field=f"{where}.path")
        if order.field == "metadata":
            value: ColumnElement[object] = _meta_text(db, order.path, where)
        elif order.field == "template_name":
            value = (select(templates.c.name).where(templates.c.id == passes.c.template_id)
                     .scalar_subquery())
        elif order.field == "vendor_id":  # the id a moved pass answers to, else ours
            value = func.coalesce(passes.c.external_id, passes.c.id)
        elif order.field in ("apple_installed_at", "google_installed_at"):
            value = _installed(order.field.split("_", 1)[0])
        elif order.field in FIELDS:
            value = passes.c[order.field]
        else:
            raise BadInput(f"{where}.field must be one of {', '.join(FIELDS)}",
                           field=f"{where}.field")
        out.append((value.desc() if order.descending else value.asc()).nulls_last())
    return [*out, passes.c.id.desc()]
