"""Closing an account for good: a grace period, then an erasure that leaves only an audit record."""
