"""Accounts and access: passwords, API tokens, the device flow, rate limits, the caller (Principal)."""
