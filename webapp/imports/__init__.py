"""Importing a Keepsake archive into an account: checked whole, then added once."""
