"""Strawberry types and the root Query/Mutation; no SQL lives here."""
