"""Verifier console pages: seller search and CSV export, a seller's file with notes, certification statistics."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.i18n import current_lang as _lang
from lms import clock
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.accounts.provinces import PROVINCE_NAMES
from lms.audit.services import record
from lms.console.charts import Bar, bar_chart
from lms.console.forms import NoteForm
from lms.console.services import (
    STATES,
    SellerFilter,
    add_seller_note,
    export_sellers,
    find_seller_user,
    recent_statistics,
    search_sellers,
    seller_csv_lines,
    seller_file,
)
from lms.content.files import TRACKS
from lms.core.templating import page_number
from lms.extensions import db
from lms.onboarding.models import BUSINESS_TYPES, PRODUCT_GROUPS, SHOP_PLATFORMS

bp = Blueprint("console", __name__)

TRACK_LABELS = {
    "livestream": _l("Livestream selling"), "packaging": _l("Packaging and labelling"),
    "compliance": _l("Platform compliance"), "operations": _l("Business operations"),
}
STATE_LABELS = {"eligible": _l("Eligible"), "expiring": _l("Eligible, expiring soon"), "not_eligible": _l("Not eligible")}
MISSING_LABELS = {
    "not_started": _l("Course not started"), "in_progress": _l("Course in progress"),
    "assessment_failed": _l("Final assessment not passed yet"), "assessment_pending": _l("Final assessment not taken yet"),
    "certificate_expired": _l("Certificate expired"), "certificate_revoked": _l("Certificate revoked"),
    "certificate_suspended": _l("Certificate suspended"), "course_unavailable": _l("Course not available"),
}
CERTIFICATE_ACTION_LABELS = {
    "issued": _l("Issued"), "renewed": _l("Renewed"), "revoked": _l("Revoked"), "suspended": _l("Suspended"),
    "reinstated": _l("Reinstated"), "superseded": _l("Replaced by a renewal"),
}
BUSINESS_LABELS = dict(zip(BUSINESS_TYPES, (_l("Household business"), _l("Cooperative"), _l("Company"))))
PRODUCT_LABELS = dict(zip(PRODUCT_GROUPS, (_l("Food"), _l("Beverages"), _l("Herbal products"), _l("Textiles and handicrafts"),
                                           _l("Rural tourism and services"), _l("Other"))))
SHOP_LABELS = dict(zip(SHOP_PLATFORMS, ("TikTok Shop", "Shopee", "Lazada", _l("Other"))))



def _grace() -> int:
    return current_app.config["RECERTIFICATION_GRACE_DAYS"]


def _filter() -> SellerFilter:
    args = request.args
    return SellerFilter(
        query=args.get("q", "")[:100],
        province=args.get("province", "") if args.get("province", "") in PROVINCE_NAMES else "",
        track=args.get("track", "") if args.get("track", "") in TRACKS else "",
        state=args.get("state", "") if args.get("state", "") in STATES else "",
    )


def _filter_args(chosen: SellerFilter) -> dict:
    """The search as query-string arguments (empty ones left out), for the CSV link."""
    args = {"q": chosen.query, "province": chosen.province, "track": chosen.track, "state": chosen.state}
    return {key: value for key, value in args.items() if value}


@bp.get("/console/sellers")
@role_required(Role.VERIFIER.value)
def sellers():
    chosen = _filter()
    page = search_sellers(db.session, chosen, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"], clock.now(), _grace())
    return render_template("console/sellers.html", page=page, chosen=chosen, tracks=TRACK_LABELS, states=STATE_LABELS,
                           csv_url=url_for("console.sellers_csv", **_filter_args(chosen)))


@bp.get("/console/sellers.csv")
@role_required(Role.VERIFIER.value)
def sellers_csv():
    """Every seller of the search (not only the page shown), streamed; the export is audited with its filters."""
    chosen = _filter()
    count, rows = export_sellers(db.session, chosen, clock.now(), _grace())
    record(db.session, current_user.id, "console.exported", "sellers", "", rows=count, **chosen.as_detail())
    db.session.commit()
    response = Response(stream_with_context(seller_csv_lines(rows, PROVINCE_NAMES)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="sellers-{clock.now():%Y%m%d}.csv"'
    return response


@bp.route("/console/sellers/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.VERIFIER.value)
def seller(user_id: int):
    user = find_seller_user(db.session, user_id) or abort(404)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            add_seller_note(db.session, user.id, current_user.id, form.text.data, clock.now())
        except ValueError:
            db.session.rollback()
            form.text.errors = [_("Write a note of 1 to 2000 characters.")]
        else:
            db.session.commit()
            flash(_("Note added."), "success")
            return redirect(url_for("console.seller", user_id=user.id, _anchor="notes"))
    file = seller_file(db.session, user, clock.now(), _grace())
    return render_template("console/seller.html", file=file, form=form, states=STATE_LABELS, missing_labels=MISSING_LABELS,
                           action_labels=CERTIFICATE_ACTION_LABELS, business_labels=BUSINESS_LABELS, product_labels=PRODUCT_LABELS,
                           shop_labels=SHOP_LABELS, lang=_lang()), 422 if form.errors else 200


def _number(value: int) -> str:
    return format_decimal(value)


def _percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value / 100)


def _counts_chart(chart_id: str, title: str, rows: list[tuple[str, int]]):
    return bar_chart(chart_id, title, [Bar(label, count, _number(count)) for label, count in rows])


@bp.get("/console/statistics")
@role_required(Role.VERIFIER.value)
def statistics():
    """Certification by province, track and month, what expires soon, and pass rates: charts with their tables."""
    stats = recent_statistics(db.session, current_app.extensions.setdefault("lms_console_statistics", {}), clock.now(),
                              ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]), TRACKS, _grace(),
                              timedelta(seconds=current_app.config["STATISTICS_MAX_AGE_SECONDS"]))
    lang = _lang()
    provinces = [(PROVINCE_NAMES.get(code, code), count) for code, count in stats.by_province]
    tracks = [(str(TRACK_LABELS.get(track, track)), count) for track, count in stats.by_track]
    months = [(format_date(day, "MMM yyyy"), count) for day, count in stats.per_month]
    expiring = [(_("Within %(days)s days", days=days), count) for days, count in stats.expiring]
    charts = {
        "province": _counts_chart("chart-province", _("Certified sellers by province or city"), provinces),
        "track": _counts_chart("chart-track", _("Certified sellers by track"), tracks),
        "month": _counts_chart("chart-month", _("Certificates issued per month (last 12 months)"), months),
        "expiring": _counts_chart("chart-expiring", _("Valid certificates ending soon"), expiring),
        "pass": bar_chart("chart-pass", _("Final assessments passed, per course"),
                          [Bar(r.course.title(lang), r.rate or 0, _percent(r.rate)) for r in stats.pass_rates], maximum=100),
        "first_pass": bar_chart("chart-first-pass", _("First attempts passed, per course"),
                                [Bar(r.course.title(lang), r.first_rate or 0, _percent(r.first_rate)) for r in stats.pass_rates], maximum=100),
    }
    return render_template("console/statistics.html", stats=stats, charts=charts, provinces=provinces, tracks=tracks, months=months,
                           expiring=expiring, percent=_percent, lang=lang)
