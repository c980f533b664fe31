"""Forms of the verifier console."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.console.services import MAX_NOTE


class NoteForm(FlaskForm):
    text = TextAreaField(_l("New note"), validators=[DataRequired(), Length(max=MAX_NOTE)])
