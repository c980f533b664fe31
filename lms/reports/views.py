"""Report pages and CSV downloads for the trainers of a course or a session (and admins)."""
from __future__ import annotations

import io
import zipfile

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.i18n import current_lang as _lang
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.accounts.provinces import PROVINCE_NAMES
from lms.audit.services import record
from lms.catalog.models import Course
from lms.cohorts.access import can_edit_course, can_run_session
from lms.cohorts.models import TrainingSession
from lms.core.templating import Page, page_number
from lms.extensions import db
from lms.credentials.context import certificate_pdf_path
from lms.reports.services import (
    SORTS,
    STATUSES,
    ReportFilter,
    apply_filter,
    course_report,
    course_report_page,
    csv_lines,
    session_certificates,
    session_report,
    slugify_name,
)

bp = Blueprint("reports", __name__)



def _filter() -> ReportFilter:
    args = request.args
    return ReportFilter(
        province=args.get("province", "") if args.get("province", "") in PROVINCE_NAMES else "",
        status=args.get("status", "") if args.get("status", "") in STATUSES else "",
        query=args.get("q", "")[:100],
        sort=args.get("sort", "name") if args.get("sort") in SORTS else "name",
    )


def _course_for_trainer(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_edit_course(db.session, current_user, course.id):
        abort(404)
    return course


def _session_for_trainer(session_id: int) -> TrainingSession:
    training = db.session.get(TrainingSession, session_id)
    if training is None or not can_run_session(db.session, current_user, session_id):
        abort(404)
    return training


def _page(rows: list) -> Page:
    per_page = current_app.config["PAGE_SIZE"]
    page = min(page_number(request.args.get("page")), max(1, -(-len(rows) // per_page)))
    return Page(items=rows[(page - 1) * per_page: page * per_page], page=page, per_page=per_page, total=len(rows))


def _csv_url(endpoint: str, chosen: ReportFilter, **ids) -> str:
    """The CSV of exactly what the page shows: same filters and order."""
    return url_for(endpoint, **ids, q=chosen.query, province=chosen.province, status=chosen.status, sort=chosen.sort)


def _csv(rows: list, filename: str, audit_type: str, audit_id: object, chosen: ReportFilter) -> Response:
    record(db.session, current_user.id, "report.exported", audit_type, audit_id, rows=len(rows), province=chosen.province,
           status=chosen.status, query=bool(chosen.query))
    db.session.commit()
    response = Response(stream_with_context(csv_lines(rows, PROVINCE_NAMES)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/reports/courses/<slug>")
@role_required(Role.TRAINER.value)
def course(slug: str):
    course = _course_for_trainer(slug)
    chosen = _filter()
    rows = course_report_page(db.session, course, _lang(), chosen, page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_template("reports/report.html", title=course.title(_lang()), rows=rows, chosen=chosen, statuses=STATUSES,
                           csv_url=_csv_url("reports.course_csv", chosen, slug=slug), show_course=False)


@bp.get("/reports/courses/<slug>.csv")
@role_required(Role.TRAINER.value)
def course_csv(slug: str):
    course = _course_for_trainer(slug)
    chosen = _filter()
    rows = apply_filter(course_report(db.session, course, _lang()), chosen)
    return _csv(rows, f"{course.slug}-progress.csv", "course", course.id, chosen)


@bp.get("/reports/sessions/<int:session_id>")
@role_required(Role.TRAINER.value)
def training_session(session_id: int):
    training = _session_for_trainer(session_id)
    chosen = _filter()
    rows = apply_filter(session_report(db.session, training.id, _lang()), chosen)
    return render_template("reports/report.html", title=training.name, rows=_page(rows), chosen=chosen, statuses=STATUSES,
                           csv_url=_csv_url("reports.session_csv", chosen, session_id=session_id), show_course=True,
                           zip_url=url_for("reports.session_certificates_zip", session_id=session_id))


@bp.get("/reports/sessions/<int:session_id>.csv")
@role_required(Role.TRAINER.value)
def session_csv(session_id: int):
    training = _session_for_trainer(session_id)
    chosen = _filter()
    rows = apply_filter(session_report(db.session, training.id, _lang()), chosen)
    return _csv(rows, f"session-{training.id}-progress.csv", "session", training.id, chosen)


@bp.get("/reports/sessions/<int:session_id>/certificates.zip")
@role_required(Role.TRAINER.value)
def session_certificates_zip(session_id: int):
    """Every current certificate of the session's learners for the session's courses, as one ZIP for a ceremony."""
    training = _session_for_trainer(session_id)
    certificates = session_certificates(db.session, training.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in certificates:
            holder = slugify_name(certificate.claims["holder_name"])
            archive.write(certificate_pdf_path(db.session, certificate), f"{holder}-{certificate.claims['course_slug']}-{certificate.code}.pdf")
    record(db.session, current_user.id, "report.certificates_zip", "session", training.id, certificates=len(certificates))
    db.session.commit()
    return Response(buffer.getvalue(), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="session-{training.id}-certificates.zip"'})
