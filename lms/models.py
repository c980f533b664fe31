"""Every model, imported in one place so metadata (and Alembic) sees all tables."""
from lms.db import Base
from lms.accounts.models import Role, User

__all__ = ["Base", "Role", "User"]
