"""Flask extensions, created unbound and bound to an app in create_app."""
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from lms.db import db
from lms import ratelimit  # noqa: F401  registers the lms-memory:// storage scheme

babel = Babel()
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
# limits are declared on the views that need them (login, verification, API); none by default
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["babel", "compress", "csrf", "db", "limiter", "login_manager"]
