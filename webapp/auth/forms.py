"""Forms of the account pages; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from webapp.validation import PlainText

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Email, password and "remember me"."""

    email = EmailField("Email", validators=[DataRequired(), PlainText(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Remember me")


class RegisterForm(FlaskForm):  # type: ignore[misc]
    """Email and password of a new account."""

    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            PlainText(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message="Enter a valid email address."),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired(), PlainText(), Length(max=1024)])


class ConfirmPasswordForm(FlaskForm):  # type: ignore[misc]
    """The current password, asked again before a sensitive action."""

    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class CloseAccountForm(FlaskForm):  # type: ignore[misc]
    """The password and a typed confirmation, before an account is erased."""

    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])
    confirm = StringField("Type DELETE to confirm", validators=[DataRequired(), Length(max=20)])


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    """The current password, then the new one."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), PlainText(), Length(max=1024)])
