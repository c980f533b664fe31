"""Forms of the learning pages (empty forms carry the CSRF token)."""
from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that changes something: enrol, leave, mark complete."""
