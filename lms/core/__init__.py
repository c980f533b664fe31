"""Core pages: home, dashboard, language switch, health check, error pages."""
from flask import Blueprint

bp = Blueprint("core", __name__)

from lms.core import views  # noqa: E402,F401
