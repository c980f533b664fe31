"""Forms of the core blueprint."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[("vi", "Tiếng Việt"), ("en", "English")])
    next = HiddenField()
