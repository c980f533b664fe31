"""Progress reports per course and per training session. Numbers come from progress_for, like every other view."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from lms.accounts.models import User
from lms.assessment.models import FINAL, SUBMITTED, Attempt
from lms.catalog.learning_models import ACTIVE, Enrolment
from lms.catalog.models import Course
from lms.catalog.progress import progress_for
from lms.cohorts.models import SessionCourse, SessionMember
from lms.core.templating import Page
from lms.credentials.models import ACTIVE as ACTIVE_CERTIFICATE
from lms.credentials.models import SUPERSEDED, Certificate
from lms.text import fold

STATUSES = ("not_started", "in_progress", "lessons_done", "passed", "certified")
SORTS = ("name", "progress", "activity")


@dataclass(frozen=True)
class ReportRow:
    user_id: int
    full_name: str
    login: str
    province: str
    business: str
    course_id: int
    course_slug: str
    course_title: str
    done: int
    total: int
    percent: int
    last_activity: datetime | None
    assessment: str  # not_started | in_progress | failed | passed
    best_score: float | None
    certificate: str  # none | valid | expired | revoked | suspended
    certificate_code: str

    @property
    def status(self) -> str:
        """One word for filtering: the furthest step reached."""
        if self.certificate == "valid":
            return "certified"
        if self.assessment == "passed":
            return "passed"
        if self.total and self.done >= self.total:
            return "lessons_done"
        return "in_progress" if self.done or self.assessment != "not_started" else "not_started"


@dataclass(frozen=True)
class ReportFilter:
    province: str = ""
    status: str = ""
    query: str = ""
    sort: str = "name"


def _rows(session: Session, pairs: list[tuple[int, int]], lang: str) -> list[ReportRow]:
    """One row per (user, course) pair, computed in a fixed number of queries."""
    if not pairs:
        return []
    user_ids = sorted({u for u, _ in pairs})
    course_ids = sorted({c for _, c in pairs})
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    courses = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    progress = progress_for(session, user_ids, course_ids)
    activity = {
        (e.user_id, e.course_id): e.last_activity_at
        for e in session.scalars(select(Enrolment).where(Enrolment.user_id.in_(user_ids), Enrolment.course_id.in_(course_ids)))
    }
    best = dict(
        ((user_id, course_id), score)
        for user_id, course_id, score in session.execute(
            select(Attempt.user_id, Attempt.course_id, func.max(Attempt.score))
            .where(Attempt.user_id.in_(user_ids), Attempt.course_id.in_(course_ids), Attempt.status == SUBMITTED, Attempt.purpose == FINAL)
            .group_by(Attempt.user_id, Attempt.course_id)
        )
    )
    codes = {}
    for user_id, course_id, code in session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.code)
        .where(Certificate.user_id.in_(user_ids), Certificate.course_id.in_(course_ids), Certificate.status != SUPERSEDED)
        .order_by(Certificate.issued_at)
    ):
        codes[(user_id, course_id)] = code
    rows = []
    for user_id, course_id in pairs:
        user, course, p = users[user_id], courses[course_id], progress[(user_id, course_id)]
        rows.append(ReportRow(
            user_id=user_id, full_name=user.full_name, login=user.login, province=user.province or "", business=user.business_name or "",
            course_id=course_id, course_slug=course.slug, course_title=course.title(lang), done=p.done, total=p.total, percent=p.percent,
            last_activity=activity.get((user_id, course_id)), assessment=p.assessment, best_score=best.get((user_id, course_id)),
            certificate=p.certificate, certificate_code=codes.get((user_id, course_id), ""),
        ))
    return rows


def course_report(session: Session, course: Course, lang: str) -> list[ReportRow]:
    """Every learner enrolled in the course (people who left are kept out)."""
    user_ids = session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.status == ACTIVE))
    return _rows(session, [(user_id, course.id) for user_id in user_ids], lang)


def _clamp(page: int, total: int, per_page: int) -> int:
    return min(page, max(1, -(-total // per_page)))


def _name_key(session: Session) -> ColumnElement:
    """User.name_search (the folded name) in code-point order, as Python sorts str, whatever the database's collation."""
    return User.name_search.collate("C") if session.get_bind().dialect.name == "postgresql" else User.name_search


def course_report_page(session: Session, course: Course, lang: str, chosen: ReportFilter, page: int, per_page: int) -> Page:
    """One page of course_report + apply_filter, in the same order, computing only the rows it shows when it can.

    Sorting by name or activity, and the province filter, are done in SQL: a page costs the same at any course size.
    A text search filters the learners' names in Python (as apply_filter does) but computes only the page's rows.
    Filtering by status or sorting by progress needs every learner's progress, so those compute the whole report.
    """
    if chosen.status or chosen.sort == "progress":
        rows = apply_filter(course_report(session, course, lang), chosen)
        page = _clamp(page, len(rows), per_page)
        return Page(items=rows[(page - 1) * per_page: page * per_page], page=page, per_page=per_page, total=len(rows))
    enrolled = and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id, Enrolment.status == ACTIVE)
    login = func.coalesce(User.email, User.phone, "")
    if chosen.sort == "activity":
        learners = select(User.id).join(Enrolment, enrolled)
        order = (Enrolment.last_activity_at.is_(None), Enrolment.last_activity_at.desc(), _name_key(session), login, User.id)
    else:
        # EXISTS rather than a join: the database walks users in name order and stops after the page
        learners = select(User.id).where(exists().where(enrolled))
        order = (_name_key(session), login, User.id)
    counted = select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id, Enrolment.status == ACTIVE)
    if chosen.province:
        learners = learners.where(User.province == chosen.province)
        counted = counted.join(User, User.id == Enrolment.user_id).where(User.province == chosen.province)
    if chosen.query:
        query = fold(chosen.query)
        found = session.execute(learners.add_columns(User.full_name, login, User.business_name).order_by(*order)).all()
        ids = [user_id for user_id, name, user_login, business in found if query in fold(f"{name} {user_login} {business or ''}")]
        page = _clamp(page, len(ids), per_page)
        total, shown = len(ids), ids[(page - 1) * per_page: page * per_page]
    else:
        total = session.scalar(counted) or 0
        page = _clamp(page, total, per_page)
        shown = list(session.scalars(learners.order_by(*order).limit(per_page).offset((page - 1) * per_page)))
    return Page(items=_rows(session, [(user_id, course.id) for user_id in shown], lang), page=page, per_page=per_page, total=total)


def session_report(session: Session, session_id: int, lang: str) -> list[ReportRow]:
    """Every current member of the session, for every course of the session."""
    members = list(session.scalars(select(SessionMember.user_id).where(SessionMember.session_id == session_id, SessionMember.removed_at.is_(None))))
    course_ids = list(session.scalars(select(SessionCourse.course_id).where(SessionCourse.session_id == session_id)))
    return _rows(session, [(u, c) for u in members for c in course_ids], lang)


def apply_filter(rows: list[ReportRow], chosen: ReportFilter) -> list[ReportRow]:
    query = fold(chosen.query)
    kept = [
        row for row in rows
        if (not chosen.province or row.province == chosen.province)
        and (not chosen.status or row.status == chosen.status)
        and (not query or query in fold(f"{row.full_name} {row.login} {row.business}"))
    ]
    if chosen.sort == "progress":
        return sorted(kept, key=lambda r: (-r.percent, fold(r.full_name)))
    if chosen.sort == "activity":
        return sorted(kept, key=lambda r: (r.last_activity is None, -(r.last_activity.timestamp() if r.last_activity else 0), fold(r.full_name)))
    return sorted(kept, key=lambda r: (fold(r.full_name), r.login, r.course_title))


CSV_HEADER = ("full_name", "login", "province", "business", "course", "lessons_done", "lessons_total", "percent",
              "last_activity_utc", "assessment", "best_score", "certificate", "certificate_code")


def _safe_cell(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Rows as CSV text, a line at a time (for streaming), with a BOM so Excel reads UTF-8, formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, values in enumerate(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_safe_cell(v) for v in values])
        yield ("\ufeff" if number == 0 else "") + buffer.getvalue()


def csv_lines(rows: Iterable[ReportRow], province_names: dict[str, str]) -> Iterator[str]:
    """The progress report as CSV lines."""
    yield from csv_text([CSV_HEADER, *(
        (row.full_name, row.login, province_names.get(row.province, row.province), row.business, row.course_title, row.done, row.total,
         row.percent, row.last_activity.isoformat(timespec="seconds") if row.last_activity else "", row.assessment,
         "" if row.best_score is None else f"{row.best_score:g}", row.certificate, row.certificate_code)
        for row in rows
    )])


def session_certificates(session: Session, session_id: int) -> list[Certificate]:
    """Active certificates of the session's current members for the session's courses."""
    members = select(SessionMember.user_id).where(SessionMember.session_id == session_id, SessionMember.removed_at.is_(None))
    courses = select(SessionCourse.course_id).where(SessionCourse.session_id == session_id)
    return list(session.scalars(
        select(Certificate).where(Certificate.user_id.in_(members), Certificate.course_id.in_(courses), Certificate.status == ACTIVE_CERTIFICATE)
        .order_by(Certificate.course_id, Certificate.issued_at)
    ))


def slugify_name(name: str) -> str:
    """'Nguyễn Thị Mai' -> 'nguyen-thi-mai', for file names every system accepts."""
    return "-".join(part for part in "".join(ch if ch.isalnum() else " " for ch in fold(name)).split()) or "holder"
