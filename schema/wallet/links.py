"""Save links for a pass (Google), built when asked for."""

from typing import Any

from strawberry.types import Info

from resolvers.errors import Conflict
from resolvers.timeutil import utcnow
from resolvers.wallet import google, template_images
from resolvers.wallet.settings import google_signer


async def google_link(info: Info, row: Any, settings: Any) -> str:
    app = info.context.app
    template = (await info.context.loaders["template"].load(row.template_id)
                if row.template_id else None)
    try:
        return await google.save_url(
            google_signer(settings, app.secret_key), row, template, api=app.google_api,
            base_url=app.public_base_url,
            logo_path=await template_images.logo_path(app.db, template),
            issuer_name=settings.apple_organization or "passgate",
            now=utcnow())
    except google.SaveLinkUnavailable as e:
        raise Conflict(str(e)) from None
