"""Accounts: registration, login, passwords, roles."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from lms.accounts import views  # noqa: E402,F401
from lms.accounts import recovery_views  # noqa: E402,F401
