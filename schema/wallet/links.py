"""Save links for a pass (Google), built when asked for."""

from typing import Any

from strawberry.types import Info

from resolvers.errors import Conflict
from resolvers.timeutil import utcnow
from resolvers.wallet import google
from resolvers.wallet.settings import google_signer


def wallet_logo_url(info: Info) -> str:
    return f"{info.context.app.public_base_url}/wallet/images/logo@2x.png"


async def google_link(info: Info, row: Any, settings: Any) -> str:
    """The full save link, or the skinny one after inserting the class and object through
    the Wallet API (a link may not pass 1,800 characters)."""
    app = info.context.app
    template = (await info.context.loaders["template"].load(row.template_id)
                if row.template_id else None)
    signer = google_signer(settings, app.secret_key)
    issuer_name = settings.apple_organization or "passgate"
    now = utcnow()
    link = google.save_link(signer, row, template, origins=[app.public_base_url],
                            issuer_name=issuer_name, logo_url=wallet_logo_url(info), now=now)
    if link.skinny:
        api = app.google_api
        result = None if api is None else await api.sync_pass(
            signer, row, template, issuer_name=issuer_name, logo_url=wallet_logo_url(info),
            now=now)
        if result is None or not result.ok:
            raise Conflict("this pass is too large for a Google save link on its own and the "
                           "Google Wallet API did not take its class and object"
                           + (f" ({result.status}: {result.detail[:120]})" if result else ""))
    return link.url
