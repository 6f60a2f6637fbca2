"""Apple's PassKit web service, as data: pass versions, device registrations, and which
serial numbers changed since an update tag.

A pass's version is ``passes.wallet_updated_at``: every change that alters what the holder
sees sets it in the same transaction as the change (``holder_visible_change``), so a device
asking "what changed since my tag" and the ``Last-Modified`` of the pass agree.
"""

from typing import Any

# Pass columns a wallet pass never shows: changing only these makes no new version.
HOLDER_HIDDEN = frozenset({"note", "meta", "customer_id", "holder_email", "holder_phone",
                           "updated_at", "attributes"})
# Template columns that shape a wallet pass.
TEMPLATE_VISIBLE = frozenset({"name", "kind", "background_color", "foreground_color",
                              "label_color", "logo_url", "icon_url", "barcode_format",
                              "field_layout", "settings"})


def holder_visible_change(current: Any, changes: dict[str, Any]) -> bool:
    """Whether applying ``changes`` to the row mapping ``current`` alters the wallet pass."""
    return any(current[k] != v for k, v in changes.items() if k not in HOLDER_HIDDEN)


def template_visible_change(current: Any, changes: dict[str, Any]) -> bool:
    return any(current[k] != v for k, v in changes.items() if k in TEMPLATE_VISIBLE)
