"""Account forms; field errors come from identity checks, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.accounts.identity import InvalidValue, check_password_strength, clean_name, split_login
from lms.accounts.models import Role
from lms.accounts.provinces import PROVINCES

MESSAGES = {
    "login_required": _l("Enter an email address or a phone number."),
    "email_format": _l("This email address is not valid."),
    "phone_format": _l("Enter a Vietnamese phone number, for example 0912 345 678."),
    "name_characters": _l("The name contains characters that are not allowed."),
    "name_required": _l("Enter a name."),
    "too_long": _l("This is too long."),
    "password_short": _l("The password must have at least 8 characters."),
    "password_long": _l("The password must have at most 128 characters."),
    "password_common": _l("This password is too easy to guess. Choose another one."),
    "password_wrong": _l("The current password is not correct."),
    "province_unknown": _l("Choose a province or city from the list."),
    "role_unknown": _l("Choose a role from the list."),
    # worded so the page does not confirm that someone else's email or phone is registered
    "login_taken": _l("We could not create an account with this email or phone number. If you registered before, log in or reset your password."),
}

ROLE_LABELS = {
    Role.LEARNER.value: _l("Learner"),
    Role.TRAINER.value: _l("Trainer"),
    Role.VERIFIER.value: _l("Verifier"),
    Role.ADMIN.value: _l("Admin"),
}

REQUIRED = _l("This field is required.")


def message_for(error: InvalidValue):
    return MESSAGES.get(error.code, error.code)


def _check(function, **kwargs):
    """Turn an identity check into a WTForms validator."""

    def validator(form, field):
        try:
            function(field.data or "", **kwargs)
        except InvalidValue as error:
            raise ValidationError(message_for(error)) from error

    return validator


def province_choices():
    return [("", _l("Choose your province or city"))] + list(PROVINCES)


class RegisterForm(FlaskForm):
    login = StringField(_l("Email or phone number"), validators=[DataRequired(REQUIRED), Length(max=254, message=MESSAGES["too_long"]), _check(split_login)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=120, message=MESSAGES["too_long"]), _check(clean_name)])
    business_name = StringField(_l("Business name (if any)"), validators=[Length(max=160, message=MESSAGES["too_long"]), _check(clean_name, max_length=160, required=False)])
    province = SelectField(_l("Province or city"), choices=province_choices, validate_choice=False, validators=[DataRequired(MESSAGES["province_unknown"])])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), _check(check_password_strength)])
    confirm = PasswordField(_l("Repeat the password"), validators=[DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords are not the same."))])
    consent = BooleanField(_l("I agree that OCOP Seller Academy keeps my data to run my training and certificates, as described in the privacy notice."), validators=[DataRequired(_l("You must agree to continue."))])

    def validate_province(self, field):
        if field.data not in dict(PROVINCES):
            raise ValidationError(MESSAGES["province_unknown"])


class LoginForm(FlaskForm):
    login = StringField(_l("Email or phone number"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=128)])
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), _check(check_password_strength)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(REQUIRED), EqualTo("new", message=_l("The two passwords are not the same."))])


class LogoutForm(FlaskForm):
    """Empty form: logging out is a POST with a CSRF token."""


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()), validators=[DataRequired(REQUIRED)])
