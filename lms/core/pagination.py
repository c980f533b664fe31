"""Paginate a select() statement with one count query and one page query."""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms.core.templating import Page


def paginate(session: Session, statement: Select, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    last_page = max(1, -(-total // per_page))
    page = min(page, last_page)
    items = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)
