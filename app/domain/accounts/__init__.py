"""Accounts, roles, sessions and API tokens (CONTRACT section 5)."""
