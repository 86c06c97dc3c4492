"""Forms for adding notes and uploading files."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

MAX_BODY = 100_000


class NoteForm(FlaskForm):  # type: ignore[misc]
    """A note's title and body."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Body", validators=[Length(max=MAX_BODY)])


class UploadForm(FlaskForm):  # type: ignore[misc]
    """One file to keep."""

    file = FileField("File", validators=[FileRequired()])
