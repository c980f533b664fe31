"""Catalogue and learning: courses, modules, lessons, enrolment, progress."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

from lms.catalog import views  # noqa: E402,F401
