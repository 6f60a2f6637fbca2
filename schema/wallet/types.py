"""What may be shown of a tenant's wallet settings: identifiers, never private keys."""

import weakref
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from resolvers.ids import pass_token
from resolvers.timeutil import utcnow
from resolvers.wallet import apple, passkit
from resolvers.wallet import settings as wallet_settings
from resolvers.wallet.settings import WalletNotConfigured

from .links import google_link


@strawberry.type(description="The tenant's Apple Wallet identity. The private key is sealed "
                             "and never shown.")
class AppleWalletSettings:
    pass_type_id: str
    team_id: str
    organization_name: str
    certificate_subject: str
    certificate_expires_at: datetime
    wwdr_subject: str
    apns_key_id: str | None = strawberry.field(
        description="The APNs auth key's id when pushes use token authentication; null: "
                    "they use the pass certificate.")


@strawberry.type(description="The tenant's Google Wallet issuer. The service-account key is "
                             "sealed and never shown.")
class GoogleWalletSettings:
    issuer_id: str
    service_account_email: str


@strawberry.type
class WalletSettings:
    apple: AppleWalletSettings | None
    google: GoogleWalletSettings | None

    @classmethod
    def from_description(cls, described: dict[str, Any]) -> "WalletSettings":
        apple, google = described["apple"], described["google"]
        return cls(
            apple=None if apple is None else AppleWalletSettings(
                pass_type_id=apple["pass_type_id"], team_id=apple["team_id"],
                organization_name=apple["organization"],
                certificate_subject=apple["certificate_subject"],
                certificate_expires_at=apple["certificate_expires_at"],
                wwdr_subject=apple["wwdr_subject"], apns_key_id=apple["apns_key_id"]),
            google=None if google is None else GoogleWalletSettings(
                issuer_id=google["issuer_id"],
                service_account_email=google["service_account_email"]),
        )


@strawberry.type(description="A device that installed the pass (Apple Wallet registrations).")
class WalletDevice:
    id: str
    platform: str
    registered_at: datetime


@strawberry.type(description="The signed .pkpass as a file.")
class ApplePassFile:
    file_name: str
    file_size: int
    content_type: str


_per_request: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def request_loader(info: Info, name: str, load: Any) -> DataLoader[Any, Any]:
    """One DataLoader per request and name (kept beside the request's context)."""
    loaders = _per_request.setdefault(info.context.loaders, {})
    if name not in loaders:
        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]


async def tenant_wallet_settings(info: Info, tenant_id: str) -> Any | None:
    db, defaults = info.context.db, info.context.app.wallet_defaults

    async def load(keys: list[str]) -> list[Any]:
        return [wallet_settings.effective(await wallet_settings.get_settings(db, key),
                                          defaults, key) for key in keys]

    return await request_loader(info, "wallet_settings", load).load(tenant_id)


@strawberry.type(description="The pass in wallets: links for the holder, and where it is "
                             "installed. The links are public, token-signed: send them to "
                             "the holder.")
class PassWallet:
    row: strawberry.Private[Any]

    def _base(self, info: Info) -> str:
        return info.context.app.public_base_url

    def _token(self, info: Info) -> str:
        return pass_token(info.context.app.secret_key, self.row)

    @strawberry.field(description="The signed .pkpass; null when the tenant has no Apple "
                                  "Wallet settings.")
    async def apple_pass_url(self, info: Info) -> str | None:
        settings = await tenant_wallet_settings(info, self.row.tenant_id)
        if settings is None or not settings.apple_certificate_pem:
            return None
        return f"{self._base(info)}/p/{self.row.code}/pass.pkpass?token={self._token(info)}"

    @strawberry.field(description="A 'Save to Google Wallet' link (at most 1,800 characters); "
                                  "null when the tenant has no Google Wallet settings.")
    async def google_save_url(self, info: Info) -> str | None:
        settings = await tenant_wallet_settings(info, self.row.tenant_id)
        if settings is None or not settings.google_issuer_id:
            return None
        return await google_link(info, self.row, settings)

    @strawberry.field(description="The holder's install page (Apple and Google buttons).")
    def install_url(self, info: Info) -> str:
        return f"{self._base(info)}/p/{self.row.code}?token={self._token(info)}"

    @strawberry.field(description="Devices that installed the pass, oldest first.")
    async def devices(self, info: Info) -> list[WalletDevice]:
        db, tenant_id = info.context.db, self.row.tenant_id

        async def load(keys: list[str]) -> list[list[Any]]:
            rows = await passkit.registrations(db, tenant_id, keys)
            return [[r for r in rows if r.pass_id == key] for key in keys]

        rows = await request_loader(info, "wallet_devices", load).load(self.row.id)
        return [WalletDevice(id=r.id, platform=r.platform, registered_at=r.created_at)
                for r in rows]

    @strawberry.field(description="The .pkpass's name, size and type (AccessGrid's file_data); "
                                  "null without Apple settings.")
    async def apple_pass_file(self, info: Info) -> ApplePassFile | None:
        settings = await tenant_wallet_settings(info, self.row.tenant_id)
        if settings is None or not settings.apple_certificate_pem:
            return None
        template = (await info.context.loaders["template"].load(self.row.template_id)
                    if self.row.template_id else None)
        app = info.context.app
        try:
            blob = await apple.CACHE.render(
                info.context.db, self.row, template, settings, server_secret=app.secret_key,
                web_service_url=f"{app.public_base_url}/wallet/apple", now=utcnow())
        except WalletNotConfigured:
            return None
        return ApplePassFile(file_name=apple.file_name(self.row), file_size=len(blob),
                             content_type=apple.CONTENT_TYPE)
