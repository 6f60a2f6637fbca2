"""Deliver "this pass changed" to the devices that installed it, after the change committed.

A ``WalletChange`` names what changed (passes, or a template's passes at one version). The
gateway feeds changes to a background worker once the request's transaction has committed
(``gateway/wallet_push.py``); the worker calls ``deliver``. When the event outbox carries
pass and template events, its consumer builds the same ``WalletChange`` from them.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select

from ..db import Database
from ..models import passes, templates, wallet_registrations, wallet_settings
from ..timeutil import utcnow
from . import google, template_images
from .apns import ApnsClient, PushResult
from .google import WalletApi
from .settings import (
    InstanceDefaults,
    WalletNotConfigured,
    apple_signer,
    effective,
    get_settings,
    google_signer,
)


@dataclass(frozen=True, slots=True)
class WalletChange:
    tenant_id: str
    pass_ids: tuple[str, ...] = ()
    template_id: str | None = None
    version: datetime | None = None  # the template change's wallet version of its passes
    message: dict[str, Any] | None = None  # a message sent with this change (title, message)


@dataclass(slots=True)
class PushReport:
    sent: int = 0
    gone: int = 0
    failed: list[PushResult] = field(default_factory=list)


async def _targets(db: Database, change: WalletChange, defaults: InstanceDefaults | None
                   ) -> list[tuple[str, Any]]:
    """(push token, effective settings) of each device to push: registered for the pass
    type the tenant signs with now (its own, or the instance's)."""
    r = wallet_registrations.c
    stmt = (select(r.push_token.label("reg_push_token"), r.pass_type_id.label("reg_type"),
                   wallet_settings)
            .outerjoin(wallet_settings, wallet_settings.c.tenant_id == r.tenant_id)
            .where(r.tenant_id == change.tenant_id, r.platform == "apple"))
    if change.template_id is not None:
        stmt = stmt.join(passes, passes.c.id == r.pass_id).where(
            passes.c.template_id == change.template_id)
        if change.version is not None:
            stmt = stmt.where(passes.c.wallet_updated_at == change.version)
    else:
        stmt = stmt.where(r.pass_id.in_(change.pass_ids))
    async with db.read() as conn:
        found = (await conn.execute(stmt)).all()
    targets = []
    for row in found:
        values = {c.name: row._mapping[c] for c in wallet_settings.c}
        own = SimpleNamespace(**values) if values["tenant_id"] is not None else None
        settings = effective(own, defaults, change.tenant_id)
        if settings is not None and settings.apple_pass_type_id == row.reg_type:
            targets.append((row.reg_push_token, settings))
    return targets


async def deliver(db: Database, server_secret: bytes, client: ApnsClient,
                  change: WalletChange, defaults: InstanceDefaults | None = None
                  ) -> PushReport:
    """Push to every device registered for the changed passes; a token APNs calls gone
    (410) loses its registrations."""
    report = PushReport()
    targets = await _targets(db, change, defaults)
    if not targets:
        return report
    by_identity: dict[Any, list[str]] = defaultdict(list)
    settings_of: dict[Any, Any] = {}
    for push_token, settings in targets:
        identity = (change.tenant_id, settings.updated_at, settings.apple_key_ciphertext)
        settings_of[identity] = settings
        if push_token not in by_identity[identity]:
            by_identity[identity].append(push_token)
    for identity, tokens in by_identity.items():
        try:
            signer = apple_signer(settings_of[identity], server_secret)
        except WalletNotConfigured:
            continue
        for result in await client.push(identity, signer, tokens):
            if result.status == 200:
                report.sent += 1
            elif result.gone:
                report.gone += 1
                await _forget(db, change.tenant_id, signer.pass_type_id, result.push_token)
            else:
                report.failed.append(result)
    return report


async def _forget(db: Database, tenant_id: str, pass_type_id: str, push_token: str) -> None:
    r = wallet_registrations.c
    async with db.write() as conn:
        await conn.execute(delete(wallet_registrations).where(
            r.tenant_id == tenant_id, r.pass_type_id == pass_type_id,
            r.push_token == push_token))


async def deliver_google(db: Database, server_secret: bytes, api: WalletApi,
                         change: WalletChange, *, base_url: str,
                         defaults: InstanceDefaults | None = None) -> PushReport:
    """Patch the Google Wallet object of each changed pass (state, barcode, fields, logo),
    and the class of a changed template (its name and logo). A 404 means nobody saved that
    pass (or any of the template's) to Google Wallet yet: nothing to update."""
    report = PushReport()
    settings = effective(await get_settings(db, change.tenant_id), defaults, change.tenant_id)
    if settings is None or not settings.google_issuer_id:
        return report
    signer = google_signer(settings, server_secret)
    tpl = templates.alias("tpl")
    stmt = (select(passes, *[c.label(f"tpl_{c.name}") for c in tpl.c])
            .outerjoin(tpl, tpl.c.id == passes.c.template_id)
            .where(passes.c.tenant_id == change.tenant_id))
    if change.template_id is not None:
        stmt = stmt.where(passes.c.template_id == change.template_id)
        if change.version is not None:
            stmt = stmt.where(passes.c.wallet_updated_at == change.version)
    else:
        stmt = stmt.where(passes.c.id.in_(change.pass_ids))
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    now = utcnow()
    class_patched = change.template_id is None
    for found in rows:
        m = found._mapping
        row = SimpleNamespace(**{c.name: m[c.name] for c in passes.c})
        template = (SimpleNamespace(**{c.name: m[f"tpl_{c.name}"] for c in tpl.c})
                    if m["tpl_id"] is not None else None)
        logo_url = base_url + await template_images.logo_path(db, template)
        if not class_patched:
            class_patched = True
            klass = google.wallet_class(signer, row, template, logo_url=logo_url,
                                        issuer_name=settings.apple_organization or "passgate",
                                        callback_url=base_url + google.CALLBACK_PATH)
            result = await api.patch(signer, f"{google.vertical_of(template)}Class", klass)
            if not result.ok and result.status != 404:
                report.failed.append(PushResult(klass["id"], result.status, result.detail))
        obj = google.wallet_object(signer, row, template, now=now, logo_url=logo_url)
        kind = f"{google.vertical_of(template)}Object"
        result = await api.patch(signer, kind, obj)
        if result.ok and change.message is not None:
            result = await api.add_message(signer, kind, obj["id"], change.message)
        if result.ok:
            report.sent += 1
        elif result.status != 404:
            report.failed.append(PushResult(obj["id"], result.status, result.detail))
    return report


def _new_message(row: dict[str, Any]) -> dict[str, Any] | None:
    """The message this change sent, if it sent one (sent at the change's own moment)."""
    sent = row.get("wallet_message")
    if not isinstance(sent, dict) or not sent.get("sent_at") or not row.get("updated_at"):
        return None
    try:
        same = (datetime.fromisoformat(sent["sent_at"])
                == datetime.fromisoformat(str(row["updated_at"])))
    except ValueError:
        return None
    return {"title": sent["title"], "message": sent["message"],
            "sent_at": sent["sent_at"]} if same else None


# Pass events that may change what a wallet shows (not created, scanned, installed …: a new
# pass has no devices, and a registration changes nothing the holder sees).
PASS_CHANGES = frozenset({"pass.updated", "pass.suspended", "pass.resumed", "pass.unlinked",
                          "pass.deleted"})


def change_of_event(tenant_id: str, event_type: str, data: dict[str, Any]
                    ) -> WalletChange | None:
    """The wallet change an outbox event stands for, if any: how the events dispatcher hands
    wallet pushes over (``data`` as ``resolvers.events`` snapshots it)."""
    if event_type in PASS_CHANGES:
        row = data.get("pass") or {}
        if row.get("wallet_updated_at") and row.get("wallet_updated_at") == row.get(
                "updated_at"):
            return WalletChange(tenant_id, pass_ids=(row["id"],), message=_new_message(row))
        return None
    if event_type == "template.updated":
        row = data.get("template") or {}
        version = row.get("updated_at")
        return WalletChange(tenant_id, template_id=row["id"],
                            version=datetime.fromisoformat(version) if isinstance(version, str)
                            else version)
    return None
