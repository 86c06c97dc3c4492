"""The one trace an erased account leaves: a keyed hash of its email, not the email itself."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

ERASED = "account_erased"


def email_digest(email: str) -> str:
    """HMAC-SHA256 of the email under SECRET_KEY: provable for whoever has both, unreadable else."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
