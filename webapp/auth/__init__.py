"""Accounts: register, log in, log out, re-authenticate."""
