"""Which pass a public link (``/p/{code}?token=…``) names: the door of the holder's page and
wallet downloads (gateway/public.py, gateway/wallet.py)."""

from sqlalchemy import select

from . import ids
from .db import Database
from .models import passes


async def pass_id_by_token(db: Database, secret: bytes, code: str, token: str, *,
                           minted_without_token: bool = False) -> str | None:
    """The id of the pass a public URL (``/p/{code}…?token=``) names, or None. Codes are
    unique per tenant, so the token (tenant-bound for a code the client gave) picks.

    ``minted_without_token``: with no token at all, a code passgate minted (80 random bits,
    as unguessable as a token) is enough on its own, so a client that builds ``/p/{code}``
    itself (PassQR's do) reaches the page; a code the client gave (short, guessable, or
    shared by several tenants) still needs its token. A wrong token is never forgiven."""
    code = ids.normalise_code(code)
    if not token and not minted_without_token:
        return None
    stmt = (select(passes.c.id, passes.c.tenant_id, passes.c.code_minted)
            .where(passes.c.code == code).limit(50))
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    if not token:
        minted = [r.id for r in rows if r.code_minted]
        return minted[0] if len(minted) == 1 else None
    return next((r.id for r in rows if ids.check_public_token(
        secret, code, token, None if r.code_minted else r.tenant_id)), None)
