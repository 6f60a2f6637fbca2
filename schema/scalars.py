"""Shared scalars."""

from strawberry.scalars import JSON

__all__ = ["JSON"]
