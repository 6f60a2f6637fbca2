"""Wallet outputs of a pass (Apple .pkpass, Google save links) and their protocols."""
