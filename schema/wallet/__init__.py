"""Wallet settings per tenant and the wallet side of a pass."""
