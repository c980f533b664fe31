"""Template helpers: navigation by role, locale-aware formatting, pagination."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts.models import Role
from lms.accounts.provinces import PROVINCE_NAMES
from lms.core.forms import LanguageForm
from lms.text import fold

# (endpoint, label, roles allowed; None = any signed-in user; "anyone" = also visitors)
NAVIGATION = (
    ("catalog.catalogue", _l("Courses"), "anyone"),
    ("core.dashboard", _l("Dashboard"), None),
    ("credentials.mine", _l("My certificates"), None),
    ("sellers.ready", _l("Ready to sell"), None),
    ("credentials.verify_form", _l("Check a certificate"), "anyone"),
    ("cohorts.sessions", _l("Training sessions"), (Role.TRAINER.value,)),
    ("authoring.courses", _l("My courses"), (Role.TRAINER.value,)),
    ("console.sellers", _l("Sellers"), (Role.VERIFIER.value,)),
    ("admin.users", _l("Users"), (Role.ADMIN.value,)),
    ("api_clients.index", _l("API clients"), (Role.ADMIN.value,)),
    ("admin.audit", _l("Audit log"), (Role.ADMIN.value,)),
)


@dataclass(frozen=True)
class Page:
    """One page of a list: items plus what the pager needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(value: str | None) -> int:
    """Parse ?page= leniently: anything odd is page 1."""
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def nav_items():
    if not current_user.is_authenticated:
        return [(endpoint, label) for endpoint, label, roles in NAVIGATION if roles == "anyone"]
    return [
        (endpoint, label)
        for endpoint, label, roles in NAVIGATION
        if roles in (None, "anyone") or current_user.role in roles or current_user.role == Role.ADMIN.value
    ]


def status_label(status: str) -> str:
    """Words for the progress, assessment and certificate states used in reports and badges."""
    return str({
        "not_started": _l("Not started"), "in_progress": _l("In progress"), "lessons_done": _l("Lessons done"),
        "passed": _l("Passed"), "certified": _l("Certified"), "failed": _l("Not passed yet"), "none": _l("None"),
        "valid": _l("Valid"), "expired": _l("Expired"), "revoked": _l("Revoked"), "suspended": _l("Suspended"),
    }.get(status, status))


def province_choices() -> list[tuple[str, str]]:
    return sorted(PROVINCE_NAMES.items(), key=lambda item: fold(item[1]))


def url_with_page(page: int) -> str:
    args = dict(request.args)
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["number"] = lambda value: format_decimal(value)
    app.jinja_env.filters["province"] = lambda code: PROVINCE_NAMES.get(code, code or "")
    # globals, not context variables: imported macros (the pager) see globals but not the context
    app.jinja_env.globals.update(url_with_page=url_with_page, status_label=status_label, province_choices=province_choices)

    @app.context_processor
    def _globals():
        return {
            "nav_items": nav_items,
            "current_locale": str(get_locale()),
            "language_form": LanguageForm,

            "site_name": app.config["SITE_NAME"],
        }
