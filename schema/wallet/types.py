"""What may be shown of a tenant's wallet settings: identifiers, never private keys."""

from datetime import datetime
from typing import Any

import strawberry


@strawberry.type(description="The tenant's Apple Wallet identity. The private key is sealed "
                             "and never shown.")
class AppleWalletSettings:
    pass_type_id: str
    team_id: str
    organization_name: str
    certificate_subject: str
    certificate_expires_at: datetime
    wwdr_subject: str


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
                wwdr_subject=apple["wwdr_subject"]),
            google=None if google is None else GoogleWalletSettings(
                issuer_id=google["issuer_id"],
                service_account_email=google["service_account_email"]),
        )
