"""Reading the wallet settings (admin)."""

import strawberry
from strawberry.types import Info

from resolvers.wallet import settings as wallet_settings

from .types import WalletSettings


@strawberry.type
class WalletQueries:
    @strawberry.field(description="Needs the admin scope. The tenant's Apple and Google Wallet "
                                  "identities (null where not configured), without keys.")
    async def wallet_settings(self, info: Info) -> WalletSettings:
        principal = info.context.require("admin")
        row = await wallet_settings.get_settings(info.context.db, principal.tenant_id)
        return WalletSettings.from_description(wallet_settings.describe(row))
