"""Forms for adding notes and uploading files."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, Form, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from webapp.validation import PlainText, text_problem

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_FILE_NAME = 255
# type/subtype as RFC 6838 allows; anything else a browser sends is replaced, not stored.
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]{0,126}/[A-Za-z0-9][\w.+-]{0,126}", re.ASCII)
UNKNOWN_TYPE = "application/octet-stream"


class NoteForm(FlaskForm):  # type: ignore[misc]
    """A note's title and body."""

    title = StringField("Title", validators=[DataRequired(), PlainText(), Length(max=MAX_TITLE)])
    body = TextAreaField("Body", validators=[PlainText(line_breaks=True), Length(max=MAX_BODY)])


def _file_name(form: Form, field: Field) -> None:
    """Refuse a file name that holds control characters or is too long to keep."""
    name = getattr(field.data, "filename", None) or ""
    problem = text_problem(name)
    if problem:
        raise ValidationError(f"The file's name {problem}")
    if len(name) > MAX_FILE_NAME:
        raise ValidationError(f"The file's name must be at most {MAX_FILE_NAME} characters.")


class UploadForm(FlaskForm):  # type: ignore[misc]
    """One file to keep."""

    file = FileField("File", validators=[FileRequired(), _file_name])

    def content_type(self) -> str:
        """The media type the browser sent, when it is one; otherwise an opaque type."""
        given = self.file.data.mimetype or ""
        return given if MEDIA_TYPE.fullmatch(given) else UNKNOWN_TYPE
