"""After a mutation commits a change wallets show, tell the push worker (never inline)."""

from typing import Any

from strawberry.types import Info

from resolvers.wallet.push import WalletChange


def _tell(info: Info, change: WalletChange) -> None:
    hook = info.context.app.wallet_changed
    if hook is not None:
        hook(change)


def pass_changed(info: Info, row: Any) -> None:
    """``row`` is the pass as the committed change left it."""
    if row.wallet_updated_at is not None and row.wallet_updated_at == row.updated_at:
        _tell(info, WalletChange(row.tenant_id, pass_ids=(row.id,)))


def template_changed(info: Info, row: Any) -> None:
    """Its passes were given the template's new ``updated_at`` as their wallet version when
    the change was one they show; the worker finds them by it."""
    _tell(info, WalletChange(row.tenant_id, template_id=row.id, version=row.updated_at))
