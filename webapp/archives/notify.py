"""Tell users their archive is ready or failed: by email when SMTP is set, else in the log."""

from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage

from flask import current_app

from webapp.archives import transitions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.models import User
from webapp.extensions import db

log = logging.getLogger(__name__)


def compose(job: ArchiveJob, user: User) -> EmailMessage:
    """Write the message: a link to the archives page, never the archive itself."""
    page = current_app.config["PUBLIC_URL"].rstrip("/") + "/archives"
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = user.email
    if job.status == JobStatus.SUCCEEDED:
        message["Subject"] = "Your Keepsake archive is ready"
        body = (
            f"Your archive is ready to download until {job.expires_at:%Y-%m-%d %H:%M} UTC.\n"
            f"SHA-256: {job.sha256}\n\nDownload it from {page}\n"
        )
    else:
        message["Subject"] = "Your Keepsake archive could not be made"
        body = f"{job.error or 'The export failed.'}\n\nYou can try again from {page}\n"
    message.set_content(body)
    return message


def job_finished(job_id: uuid.UUID, taken: bool = False) -> None:
    """Send the one notification of a finished job (a duplicate run sends none).

    `taken`: the transition that finished the job already took the right to notify.
    """
    if not taken and not transitions.take_notification(job_id):
        return
    job = db.session.get(ArchiveJob, job_id, populate_existing=True)
    user = db.session.get(User, job.user_id) if job else None
    if job is None or user is None:
        return
    message = compose(job, user)
    server = current_app.config["MAIL_SERVER"]
    if not server:
        log.info(
            "mail not configured; would send to %s: %s\n%s",
            user.email,
            message["Subject"],
            message.get_content(),
        )
        return
    try:
        with smtplib.SMTP(
            server,
            int(current_app.config["MAIL_PORT"]),
            timeout=float(current_app.config["MAIL_TIMEOUT"]),
        ) as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError):
        # The archives page already shows the outcome; a lost email must not undo the job.
        log.exception("could not email %s about job %s", user.email, job_id)
