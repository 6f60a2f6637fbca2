"""Setting a tenant's wallet identities (admin; keys go in, never come out), and messages to
the holders of a pass."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers.errors import BadInput
from resolvers.wallet import messages
from resolvers.wallet import settings as wallet_settings
from schema.ids import raw_id

from . import changes
from .types import WalletSettings

if TYPE_CHECKING:
    from schema.passes.types import Pass


@strawberry.input(description="An Apple Wallet identity. Give the certificate as PEM (with "
                              "privateKey) or as a base64 PKCS#12 file in pkcs12 (with "
                              "keyPassword if it has one).")
class SetAppleWalletInput:
    pass_type_id: str = strawberry.field(description="e.g. pass.com.example.tickets")
    team_id: str = strawberry.field(description="The 10-character Apple team identifier.")
    organization_name: str | None = strawberry.field(
        default=None, description="Shown on the lock screen; the certificate's O when left out.")
    certificate: str | None = strawberry.field(
        default=None, description="The pass type certificate, PEM.")
    private_key: str | None = strawberry.field(
        default=None, description="Its private key, PEM (encrypted with keyPassword or not).")
    pkcs12: str | None = strawberry.field(
        default=None, description="Instead of certificate and privateKey: a .p12, base64.")
    key_password: str | None = None
    wwdr_certificate: str = strawberry.field(
        description="Apple's WWDR intermediate, PEM or base64 DER. Certificates issued after "
                    "2022-01-27 need WWDR G4.")


@strawberry.input(description="A Google Wallet issuer and the service account that signs.")
class SetGoogleWalletInput:
    issuer_id: str
    service_account: str = strawberry.field(
        description="The service-account JSON key file as Google issues it (client_email, "
                    "private_key).")


@strawberry.input(description="An APNs auth key (.p8) from Apple's developer account: pushes "
                              "then carry an ES256 token (team id of the Apple identity, this "
                              "key id) instead of presenting the pass certificate.")
class SetApnsKeyInput:
    key_id: str = strawberry.field(description="The 10-character key id.")
    private_key: str = strawberry.field(description="The .p8 file's content (PEM).")


@strawberry.enum
class WalletPlatform(Enum):
    APPLE = "apple"
    GOOGLE = "google"


@strawberry.input
class ClearWalletSettingsInput:
    platform: WalletPlatform


@strawberry.type
class WalletSettingsPayload:
    settings: WalletSettings


def _wwdr(value: str) -> str | bytes:
    if "-----BEGIN" in value:
        return value
    return wallet_settings.decode_base64(value.strip(), "wwdrCertificate")


@strawberry.type
class WalletMutations:
    @strawberry.mutation(description="Needs the admin scope. Checks that the key matches the "
                                     "certificate and that the WWDR certificate issued it.")
    async def set_apple_wallet(self, info: Info, input: SetAppleWalletInput
                               ) -> WalletSettingsPayload:
        principal = info.context.require("admin")
        if input.pkcs12:
            certificate: str | bytes = wallet_settings.decode_base64(input.pkcs12, "pkcs12")
            if input.private_key:
                raise BadInput("give pkcs12 or privateKey, not both", field="pkcs12")
        elif input.certificate:
            certificate = input.certificate
        else:
            raise BadInput("certificate (with privateKey) or pkcs12 is required",
                           field="certificate")
        cert, key, wwdr = wallet_settings.apple_material(
            certificate=certificate, private_key=input.private_key,
            key_password=input.key_password, wwdr=_wwdr(input.wwdr_certificate))
        row = await wallet_settings.set_apple(
            info.context.db, info.context.app.secret_key, principal.tenant_id,
            pass_type_id=input.pass_type_id, team_id=input.team_id,
            organization=input.organization_name, certificate=cert, key=key, wwdr=wwdr)
        return WalletSettingsPayload(
            settings=WalletSettings.from_description(wallet_settings.describe(row)))

    @strawberry.mutation(description="Needs the admin scope.")
    async def set_google_wallet(self, info: Info, input: SetGoogleWalletInput
                                ) -> WalletSettingsPayload:
        principal = info.context.require("admin")
        email, key = wallet_settings.parse_service_account(input.service_account)
        row = await wallet_settings.set_google(
            info.context.db, info.context.app.secret_key, principal.tenant_id,
            issuer_id=input.issuer_id, service_account_email=email, key=key)
        return WalletSettingsPayload(
            settings=WalletSettings.from_description(wallet_settings.describe(row)))

    @strawberry.mutation(description="Needs the admin scope. CONFLICT until the Apple "
                                     "identity is set (the key belongs to its team).")
    async def set_apns_key(self, info: Info, input: SetApnsKeyInput) -> WalletSettingsPayload:
        principal = info.context.require("admin")
        key_id, key = wallet_settings.load_apns_key(input.key_id, input.private_key)
        row = await wallet_settings.set_apns_key(
            info.context.db, info.context.app.secret_key, principal.tenant_id, key_id, key)
        return WalletSettingsPayload(
            settings=WalletSettings.from_description(wallet_settings.describe(row)))

    @strawberry.mutation(description="Needs the admin scope. Forgets one wallet's identity "
                                     "and its sealed key.")
    async def clear_wallet_settings(self, info: Info, input: ClearWalletSettingsInput
                                    ) -> WalletSettingsPayload:
        principal = info.context.require("admin")
        row = await wallet_settings.clear(info.context.db, principal.tenant_id,
                                          input.platform.value)
        return WalletSettingsPayload(
            settings=WalletSettings.from_description(wallet_settings.describe(row)))


@strawberry.input(description="A message for the holders of a pass: Apple Wallet shows it "
                              "on the lock screen (the pass is pushed), Google Wallet adds it "
                              "to the pass with a notification.")
class SendPassMessageInput:
    id: strawberry.ID
    title: str = strawberry.field(description="At most 100 characters.")
    message: str = strawberry.field(description="At most 500 characters.")


@strawberry.type
class SendPassMessagePayload:
    pass_: Annotated["Pass", strawberry.lazy("schema.passes.types")] = strawberry.field(
        name="pass")
    title: str
    message: str
    sent_at: datetime


@strawberry.type
class PassMessageMutations:
    @strawberry.mutation(description="Needs passes:write. Delivered after the change commits "
                                     "(through the outbox) to every installed copy.")
    async def send_pass_message(self, info: Info, input: SendPassMessageInput
                                ) -> SendPassMessagePayload:
        from schema.passes.types import Pass

        principal = info.context.require("passes:write")
        row = await messages.send_message(info.context.db, principal.tenant_id,
                                          raw_id(input.id, "Pass", "id"), input.title,
                                          input.message)
        changes.pass_changed(info, row)
        sent = row.wallet_message
        return SendPassMessagePayload(pass_=Pass.from_row(row), title=sent["title"],
                                      message=sent["message"],
                                      sent_at=datetime.fromisoformat(sent["sent_at"]))
