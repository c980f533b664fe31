"""Flask extensions, created unbound and bound to an app in create_app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from lms.db import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()

__all__ = ["babel", "csrf", "db", "login_manager"]
