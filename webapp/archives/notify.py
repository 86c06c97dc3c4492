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


def _wording(job: ArchiveJob) -> tuple[str, str]:
    """Write the subject and body: a link to the archives page, never the archive itself."""
    page = current_app.config["PUBLIC_URL"].rstrip("/") + "/archives"
    if job.status == JobStatus.SUCCEEDED:
        return "Your Keepsake archive is ready", (
            f"Your archive is ready to download until {job.expires_at:%Y-%m-%d %H:%M} UTC.\n"
            f"SHA-256: {job.sha256}\n\nDownload it from {page}\n"
        )
    return "Your Keepsake archive could not be made", (
        f"{job.error or 'The export failed.'}\n\nYou can try again from {page}\n"
    )


def compose(job: ArchiveJob, user: User) -> EmailMessage:
    """Put the wording in an email to the job's owner."""
    subject, body = _wording(job)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = user.email
    message["Subject"] = subject
    message.set_content(body)
    return message


def job_finished(job_id: uuid.UUID, taken: bool = False, user: User | None = None) -> None:
    """Send the one notification of a finished job (a duplicate run sends none).

    `taken`: the transition that finished the job already took the right to notify.
    `user`: the job's owner, when the caller has already loaded them.
    """
    if not taken and not transitions.take_notification(job_id):
        return
    job = db.session.get(ArchiveJob, job_id, populate_existing=True)
    if job is not None and user is None:
        user = db.session.get(User, job.user_id)
    if job is None or user is None:
        return
    server = current_app.config["MAIL_SERVER"]
    if not server:
        # An email object is only worth building for SMTP: the log takes the words.
        log.info("mail not configured; would send to %s: %s\n%s", user.email, *_wording(job))
        return
    try:
        with smtplib.SMTP(
            server,
            int(current_app.config["MAIL_PORT"]),
            timeout=float(current_app.config["MAIL_TIMEOUT"]),
        ) as smtp:
            smtp.send_message(compose(job, user))
    except (smtplib.SMTPException, OSError):
        # The archives page already shows the outcome; a lost email must not undo the job.
        log.exception("could not email %s about job %s", user.email, job_id)
