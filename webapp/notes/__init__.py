"""The user's data: notes and uploaded files."""
