"""Forms of the training-session pages, and the words for session, member and roster problems."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.forms import MESSAGES, REQUIRED, message_for, province_choices
from lms.accounts.identity import InvalidValue, clean_name
from lms.accounts.provinces import PROVINCE_NAMES
from lms.cohorts.roster import Problem, RosterError
from lms.cohorts.services import MAX_NAME, MAX_NOTES, MAX_PLACE, MAX_URL, SessionDetails, detail_problems

SESSION_MESSAGES = {
    **MESSAGES,
    "url_https": _l("Enter a full https:// address, for example https://meet.example.vn/abc."),
    "place_or_link": _l("Enter a place, an online link, or both."),
    "dates_order": _l("The end date cannot be before the start date."),
    "not_trainer": _l("Choose a trainer from the list."),
    "last_trainer": _l("A session keeps at least one trainer."),
    "not_learner": _l("This email or phone number belongs to an account that is not a learner's."),
    "account_disabled": _l("This account is disabled."),
}


class DayField(DateField):
    """A date; an empty box is 'missing' (one message), not also 'not a date'."""

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    name = StringField(_l("Name of the session"), validators=[InputRequired(REQUIRED), Length(max=MAX_NAME, message=MESSAGES["too_long"])])
    province = SelectField(_l("Province or city"), choices=province_choices, validate_choice=False, validators=[InputRequired(MESSAGES["province_unknown"])])
    place = StringField(_l("Place"), validators=[Length(max=MAX_PLACE, message=MESSAGES["too_long"])])
    online_url = StringField(_l("Online link (https)"), validators=[Length(max=MAX_URL, message=MESSAGES["too_long"])])
    starts_on = DayField(_l("Start date"), validators=[InputRequired(REQUIRED)], invalid_value_message=_l("Enter a date, for example 2026-03-15."))
    ends_on = DayField(_l("End date"), validators=[InputRequired(REQUIRED)], invalid_value_message=_l("Enter a date, for example 2026-03-15."))
    courses = CheckboxesField(_l("Courses"), coerce=int)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=MAX_NOTES, message=MESSAGES["too_long"])])

    def details(self) -> SessionDetails:
        return SessionDetails(name=self.name.data or "", province=self.province.data or "", place=self.place.data or "",
                              online_url=self.online_url.data or "", starts_on=self.starts_on.data, ends_on=self.ends_on.data,
                              notes=self.notes.data or "")

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the service's own rules (https link, place or link, end after start) on the fields."""
        valid = super().validate(extra_validators)
        for name, code in detail_problems(self.details()).items():
            field = getattr(self, name)
            if not field.errors:
                field.errors.append(SESSION_MESSAGES.get(code, code))
                valid = False
        return valid


class TrainerForm(FlaskForm):
    user_id = SelectField(_l("Trainer"), coerce=int, validate_choice=False, validators=[InputRequired(SESSION_MESSAGES["not_trainer"])])


class MemberLookupForm(FlaskForm):
    login = StringField(_l("Email or phone number"), validators=[InputRequired(REQUIRED), Length(max=254, message=MESSAGES["too_long"])])


class NewMemberForm(FlaskForm):
    login = HiddenField(validators=[InputRequired(REQUIRED), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[InputRequired(REQUIRED), Length(max=120, message=MESSAGES["too_long"])])
    business_name = StringField(_l("Business name (if any)"), validators=[Length(max=160, message=MESSAGES["too_long"])])
    province = SelectField(_l("Province or city"), choices=province_choices, validate_choice=False, validators=[InputRequired(MESSAGES["province_unknown"])])

    def validate_full_name(self, field):
        _identity_check(clean_name, field.data)

    def validate_business_name(self, field):
        _identity_check(clean_name, field.data or "", max_length=160, required=False)

    def validate_province(self, field):
        if field.data not in PROVINCE_NAMES:
            raise ValidationError(MESSAGES["province_unknown"])


def _identity_check(check, value, **kwargs) -> None:
    try:
        check(value, **kwargs)
    except InvalidValue as error:
        raise ValidationError(message_for(error)) from error


class RosterUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class RosterApplyForm(FlaskForm):
    upload = HiddenField(validators=[Regexp(r"^[0-9a-f]{64}$")])
    # set by the button pressed: "valid" rows only, or "all" rows or nothing
    mode = StringField(validators=[AnyOf(["valid", "all"])])


def problem_message(problem: Problem) -> str:
    """Why a roster row is rejected, in the reader's language."""
    messages = {
        "name_required": _("The full name is missing."),
        "name_characters": _("The full name contains characters that are not allowed."),
        "name_too_long": _("The full name is longer than 120 characters."),
        "business_characters": _("The business name contains characters that are not allowed."),
        "business_too_long": _("The business name is longer than 160 characters."),
        "login_required": _("There is no phone number or email address."),
        "phone_format": _("“%(value)s” is not a Vietnamese phone number.", value=problem.value),
        "email_format": _("“%(value)s” is not a valid email address.", value=problem.value),
        "province_required": _("The province is missing."),
        "province_unknown": _("Unknown province “%(value)s”.", value=problem.value),
        "duplicate": _("Same person as line %(line)s.", line=problem.line),
        "two_accounts": _("The phone number and the email address belong to two different accounts."),
        "not_learner": _("This login belongs to an account that is not a learner's (a trainer, verifier or admin)."),
        "account_disabled": _("This account is disabled."),
    }
    return messages.get(problem.code, problem.code)


def file_error_message(error: RosterError) -> str:
    """Why a roster file cannot be read at all."""
    expected = error.detail.get("expected", "")
    messages = {
        "encoding": _("The file is not in UTF-8. In Excel, choose “Save as” → “CSV UTF-8 (Comma delimited)” and upload it again."),
        "empty": _("The file is empty. The first line must name the columns: %(expected)s.", expected=expected),
        "no_rows": _("The file has column names but no learners."),
        "columns": _("Missing columns: %(missing)s. The first line must name the columns: %(expected)s.", missing=error.detail.get("missing", ""), expected=expected),
        "duplicate_column": _("The column “%(column)s” appears twice. The first line must name the columns: %(expected)s.", column=error.detail.get("column", ""), expected=expected),
        "login_columns": _("Use either one column “login” or the columns “phone” and “email”, not both. Expected columns: %(expected)s.", expected=expected),
        "too_many_rows": _("The file has more than %(limit)s learners. Split it into several files.", limit=error.detail.get("limit", "")),
        "malformed": _("The file cannot be read as CSV near line %(line)s (check the quotation marks).", line=error.detail.get("line", "")),
    }
    return messages.get(error.code, error.code)
