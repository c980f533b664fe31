"""The verifier console: seller search and export, a seller's file, notes, certification statistics.

Services take plain values, flush and never commit. A seller's onboarding state always comes from
lms.onboarding.status.seller_statuses; certificate validity in aggregate queries is the SQL form of
lms.credentials.services.certificate_state (a test checks that the two agree).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from lms.accounts.identity import InvalidValue, normalise_phone
from lms.accounts.models import Role, User
from lms.assessment.models import FINAL, SUBMITTED, Attempt
from lms.audit.models import AuditEvent
from lms.catalog.models import Course, CourseVersion
from lms.core.templating import Page
from lms.credentials.codes import normalise_code
from lms.credentials.models import ACTIVE, Certificate, CertificateEvent
from lms.credentials.services import CertificateState, certificate_state
from lms.onboarding.models import SellerNote, SellerProfile
from lms.onboarding.status import ELIGIBLE, EXPIRING, NOT_ELIGIBLE, SellerStatus, seller_statuses
from lms.reports.services import _safe_cell
from lms.text import fold, nfc

STATES = (ELIGIBLE, EXPIRING, NOT_ELIGIBLE)
# how many sellers' statuses are computed at once when a search filters by state
STATUS_BATCH = 500
EXPIRY_WINDOWS = (30, 60, 90)
MAX_NOTE = 2000


@dataclass(frozen=True)
class SellerFilter:
    """A console search. `query` matches a name (without diacritics), exact email or phone, business
    name, tax code, seller code or certificate code; the others narrow it down."""

    query: str = ""
    province: str = ""
    track: str = ""
    state: str = ""

    def as_detail(self) -> dict:
        return {"query": self.query, "province": self.province, "track": self.track, "state": self.state}


@dataclass(frozen=True)
class SellerRow:
    user_id: int
    full_name: str
    email: str
    phone: str
    business: str
    province: str
    seller_code: str
    tax_code: str
    state: str  # eligible | expiring | not_eligible
    valid_certificates: int


# --- certificate validity in SQL ---------------------------------------------------------------

def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _recertification_ends_before(day: date, grace_days: int) -> ColumnElement[bool]:
    """A newer course version that requires recertification makes the certificate end before `day`.

    certificate_state: valid_until = newer.created_at (UTC date) + grace days; that is < day
    exactly when newer.created_at < the start of (day - grace days)."""
    return exists().where(
        CourseVersion.course_id == Certificate.course_id, CourseVersion.requires_recertification.is_(True),
        CourseVersion.number > Certificate.course_version, CourseVersion.created_at < _start_of_day(day - timedelta(days=grace_days)),
    )


def valid_on(today: date, grace_days: int) -> ColumnElement[bool]:
    """Certificates whose certificate_state is "valid" on `today`."""
    return and_(Certificate.status == ACTIVE, Certificate.expires_on >= today, ~_recertification_ends_before(today, grace_days))


def ends_within(today: date, days: int, grace_days: int) -> ColumnElement[bool]:
    """Valid certificates whose validity (expiry or recertification deadline) ends within `days` days."""
    limit = today + timedelta(days=days)
    return and_(valid_on(today, grace_days), or_(Certificate.expires_on <= limit, _recertification_ends_before(limit + timedelta(days=1), grace_days)))


# --- search --------------------------------------------------------------------------------

def _tax_codes(text: str) -> list[str]:
    """The stored forms of a typed tax code: 10 digits, or 10 digits, a hyphen and 3 digits."""
    digits = "".join(ch for ch in text if ch not in " .-")
    if not digits.isdigit():
        return []
    return [digits] if len(digits) == 10 else [f"{digits[:10]}-{digits[10:]}"] if len(digits) == 13 else []


def _text_conditions(text: str) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """(conditions on the user, conditions on the seller profile): any one of them matching finds the seller."""
    conditions = [User.name_search.contains(fold(text), autoescape=True), User.business_name.icontains(nfc(text), autoescape=True)]
    on_profile = []
    if "@" in text:
        conditions.append(User.email == text.lower())
    else:
        try:
            conditions.append(User.phone == normalise_phone(text))
        except InvalidValue:
            pass
    taxes = _tax_codes(text)
    if taxes:
        on_profile.append(SellerProfile.tax_code.in_(taxes))
    code = normalise_code(text)
    if code:
        on_profile.append(SellerProfile.seller_code == code)
        conditions.append(User.id.in_(select(Certificate.user_id).where(Certificate.code == code)))
    return conditions, on_profile


def seller_query(chosen: SellerFilter) -> Select:
    """Learners matching every filter but the state (which needs seller_statuses), by name."""
    statement = select(User).where(User.role == Role.LEARNER.value).order_by(User.name_search, User.id)
    text = chosen.query.strip()
    if text:
        conditions, on_profile = _text_conditions(text)
        if on_profile:
            # joined only for a tax code or seller code: the join costs a lookup for every learner scanned
            statement = statement.outerjoin(SellerProfile, SellerProfile.user_id == User.id)
        statement = statement.where(or_(*conditions, *on_profile))
    if chosen.province:
        statement = statement.where(User.province == chosen.province)
    if chosen.track:
        # anyone who holds or held a certificate of the track: revoked and expired ones show in the row's state
        statement = statement.where(User.id.in_(
            select(Certificate.user_id).join(Course, Course.id == Certificate.course_id).where(Course.track == chosen.track)
        ))
    return statement


def _statuses_matching(session: Session, statement: Select, state: str, now: datetime, grace_days: int) -> dict[int, SellerStatus]:
    """Ids (in the statement's order) of the sellers in `state`, with their status.

    Cost: the ids of every seller matching the other filters are read (one query), then their
    statuses are computed STATUS_BATCH at a time: per batch, seller_statuses' fixed queries plus one
    per certificate of a required course. Memory holds the ids and the matching statuses only. On a
    large register narrow the search (province, track, text) before filtering by state.
    """
    ids = list(session.scalars(statement.with_only_columns(User.id)))
    kept: dict[int, SellerStatus] = {}
    for start in range(0, len(ids), STATUS_BATCH):
        batch = ids[start:start + STATUS_BATCH]
        statuses = seller_statuses(session, batch, now, grace_days)
        kept.update((user_id, statuses[user_id]) for user_id in batch if statuses[user_id].state == state)
    return kept


def _rows(session: Session, users: Sequence[User], now: datetime, grace_days: int,
          statuses: dict[int, SellerStatus] | None = None) -> list[SellerRow]:
    """Table rows for these users in a fixed number of queries (statuses computed unless given)."""
    ids = [user.id for user in users]
    if not ids:
        return []
    if statuses is None:
        statuses = seller_statuses(session, ids, now, grace_days)
    profiles = {p.user_id: p for p in session.scalars(select(SellerProfile).where(SellerProfile.user_id.in_(ids)))}
    # validity is tested in the count, not in the WHERE: there SQLite (without ANALYZE statistics) would read
    # every active certificate through the status index instead of these users' few through the user index
    valid = dict(session.execute(
        select(Certificate.user_id, func.count(case((valid_on(now.date(), grace_days), 1)))).where(Certificate.user_id.in_(ids))
        .group_by(Certificate.user_id)
    ).all())
    rows = []
    for user in users:
        profile = profiles.get(user.id)
        rows.append(SellerRow(
            user_id=user.id, full_name=user.full_name, email="" if user.is_deleted else (user.email or ""), phone=user.phone or "", business=user.business_name or "",
            province=user.province or "", seller_code=profile.seller_code if profile else "", tax_code=(profile.tax_code or "") if profile else "",
            state=statuses[user.id].state, valid_certificates=valid.get(user.id, 0),
        ))
    return rows


def _users(session: Session, ids: Sequence[int]) -> list[User]:
    found = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return [found[i] for i in ids]


def search_sellers(session: Session, chosen: SellerFilter, page: int, per_page: int, now: datetime, grace_days: int = 90) -> Page:
    """One page of matching sellers as SellerRow items, in a fixed number of queries whatever the page size."""
    statement = seller_query(chosen)
    if chosen.state:
        matched = _statuses_matching(session, statement, chosen.state, now, grace_days)
        ids = list(matched)
        page = min(page, max(1, -(-len(ids) // per_page)))
        chosen_ids = ids[(page - 1) * per_page: page * per_page]
        items = _rows(session, _users(session, chosen_ids), now, grace_days, matched)
        return Page(items=items, page=page, per_page=per_page, total=len(ids))
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    page = min(page, max(1, -(-total // per_page)))
    users = list(session.scalars(statement.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=_rows(session, users, now, grace_days), page=page, per_page=per_page, total=total)


def export_sellers(session: Session, chosen: SellerFilter, now: datetime, grace_days: int = 90) -> tuple[int, Iterator[SellerRow]]:
    """How many sellers match, and an iterator over their rows that reads STATUS_BATCH at a time (for streaming)."""
    statement = seller_query(chosen)
    if chosen.state:
        matched = _statuses_matching(session, statement, chosen.state, now, grace_days)
        ids = list(matched)
    else:
        matched = None
        ids = list(session.scalars(statement.with_only_columns(User.id)))

    def rows() -> Iterator[SellerRow]:
        for start in range(0, len(ids), STATUS_BATCH):
            batch = ids[start:start + STATUS_BATCH]
            yield from _rows(session, _users(session, batch), now, grace_days, matched)

    return len(ids), rows()


CSV_HEADER = ("full_name", "email", "phone", "business", "province", "seller_code", "tax_code", "state", "valid_certificates")


def seller_csv_lines(rows: Iterable[SellerRow], province_names: dict[str, str]) -> Iterator[str]:
    """The sellers as CSV text, a line at a time, UTF-8 with a BOM so Excel shows Vietnamese; formulas kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_safe_cell(v) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_HEADER)
    for row in rows:
        yield line((row.full_name, row.email, row.phone, row.business, province_names.get(row.province, row.province), row.seller_code,
                    row.tax_code, row.state, row.valid_certificates))


# --- a seller's file --------------------------------------------------------------------------

@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    source: str  # "certificate" or "audit"
    action: str
    actor_id: int | None
    certificate_code: str  # for certificate events
    reason: str
    detail: dict


@dataclass(frozen=True)
class SellerFile:
    user: User
    profile: SellerProfile | None
    status: SellerStatus
    certificates: list[tuple[Certificate, CertificateState, Course]]
    attempts: list[tuple[Attempt, Course]]
    trail: list[TrailEntry]
    notes: list[SellerNote]
    people: dict[int, User]  # authors and actors by id


def find_seller_user(session: Session, user_id: int) -> User | None:
    """The learner with this id, or None (unknown ids and staff accounts alike)."""
    user = session.get(User, user_id)
    return user if user is not None and user.role == Role.LEARNER.value else None


def seller_file(session: Session, user: User, now: datetime, grace_days: int = 90) -> SellerFile:
    """Everything a verifier needs on one seller: profile, onboarding status, certificates, attempts, audit trail, notes."""
    today = now.date()
    profile = session.scalar(select(SellerProfile).where(SellerProfile.user_id == user.id))
    status = seller_statuses(session, [user.id], now, grace_days)[user.id]
    certificates = list(session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc())))
    attempts = list(session.scalars(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at.desc(), Attempt.id.desc())))
    course_ids = {c.course_id for c in certificates} | {a.course_id for a in attempts}
    courses = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    codes = {c.id: c.code for c in certificates}
    trail = [
        TrailEntry(e.at, "certificate", e.action, e.actor_id, codes[e.certificate_id], e.reason, {})
        for e in session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id.in_(list(codes))))
    ] + [
        TrailEntry(e.at, "audit", e.action, e.actor_id, "", "", e.detail or {})
        for e in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id)))
    ]
    trail.sort(key=lambda entry: entry.at, reverse=True)
    notes = list(session.scalars(select(SellerNote).where(SellerNote.user_id == user.id).order_by(SellerNote.at.desc(), SellerNote.id.desc())))
    people_ids = {n.author_id for n in notes} | {t.actor_id for t in trail if t.actor_id}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(people_ids)))}
    return SellerFile(
        user=user, profile=profile, status=status,
        certificates=[(c, certificate_state(session, c, today, grace_days), courses[c.course_id]) for c in certificates],
        attempts=[(a, courses[a.course_id]) for a in attempts], trail=trail, notes=notes, people=people,
    )


def add_seller_note(session: Session, seller_id: int, author_id: int, text: str, now: datetime) -> SellerNote:
    """Add a verifier's note to a seller's file. Notes are never edited or deleted."""
    cleaned = nfc(text).strip()
    if not cleaned or len(cleaned) > MAX_NOTE:
        raise ValueError("a note needs 1 to 2000 characters")
    note = SellerNote(user_id=seller_id, author_id=author_id, text=cleaned, at=now)
    session.add(note)
    session.flush()
    return note


# --- statistics -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseName:
    """What the statistics show of a course: plain values, so that cached statistics outlive the request's session."""

    id: int
    slug: str
    title_vi: str
    title_en: str

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_vi


@dataclass(frozen=True)
class PassRate:
    course: CourseName
    attempts: int
    passed: int
    first_attempts: int
    first_passed: int

    @property
    def rate(self) -> float | None:
        return 100 * self.passed / self.attempts if self.attempts else None

    @property
    def first_rate(self) -> float | None:
        return 100 * self.first_passed / self.first_attempts if self.first_attempts else None


@dataclass(frozen=True)
class Statistics:
    by_province: list[tuple[str, int]]  # province code, certified sellers; most first
    by_track: list[tuple[str, int]]  # track, certified sellers
    per_month: list[tuple[date, int]]  # first day of the month (in the given time zone), certificates issued
    expiring: list[tuple[int, int]]  # days, valid certificates ending within them
    pass_rates: list[PassRate]
    computed_at: datetime | None = None


def _month_starts(now: datetime, zone: tzinfo, months: int) -> list[datetime]:
    """The starts of the last `months` months (this one included) in `zone`, and the start of the next, oldest first."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        index = year * 12 + month - 1 - back
        starts.append(datetime(index // 12, index % 12 + 1, 1, tzinfo=zone))
    return starts


def certificates_per_month(session: Session, now: datetime, zone: tzinfo, months: int = 12) -> list[tuple[date, int]]:
    """Certificates issued in each of the last `months` calendar months of `zone`: one query, one count column per
    month (portable: no date functions that differ between SQLite and PostgreSQL)."""
    edges = _month_starts(now, zone, months)
    columns = [
        func.count(case((and_(Certificate.issued_at >= low, Certificate.issued_at < high), 1)))
        for low, high in zip(edges, edges[1:])
    ]
    counts = session.execute(select(*columns).where(Certificate.issued_at >= edges[0], Certificate.issued_at < edges[-1])).one()
    return [(edge.date(), count) for edge, count in zip(edges, counts)]


def certified_by_province(session: Session, today: date, grace_days: int) -> list[tuple[str, int]]:
    """Sellers holding at least one valid certificate, per province (each seller once)."""
    rows = session.execute(
        select(User.province, func.count(func.distinct(User.id))).join(Certificate, Certificate.user_id == User.id)
        .where(User.role == Role.LEARNER.value, valid_on(today, grace_days)).group_by(User.province)
    ).all()
    return sorted(((province, count) for province, count in rows), key=lambda item: (-item[1], item[0]))


def certified_by_track(session: Session, today: date, grace_days: int, tracks: Sequence[str]) -> list[tuple[str, int]]:
    """Sellers holding at least one valid certificate of a course of the track; every known track is listed."""
    counts = dict(session.execute(
        select(Course.track, func.count(func.distinct(Certificate.user_id))).join(Course, Course.id == Certificate.course_id)
        .where(valid_on(today, grace_days)).group_by(Course.track)
    ).all())
    return [(track, counts.get(track, 0)) for track in tracks] + sorted((t, n) for t, n in counts.items() if t not in tracks)


def expiring_certificates(session: Session, today: date, grace_days: int, windows: Sequence[int] = EXPIRY_WINDOWS) -> list[tuple[int, int]]:
    """Valid certificates whose validity ends within each window of days (cumulative: 30 within 60 within 90)."""
    columns = [func.count(case((ends_within(today, days, grace_days), 1))) for days in windows]
    return list(zip(windows, session.execute(select(*columns).select_from(Certificate)).one()))


def pass_rates(session: Session) -> list[PassRate]:
    """Per course: submitted final attempts and the share passed, and the same for learners' first attempts."""
    first = Attempt.number == 1
    rows = session.execute(
        select(Attempt.course_id, func.count(), func.count(case((Attempt.passed.is_(True), 1))),
               func.count(case((first, 1))), func.count(case((and_(first, Attempt.passed.is_(True)), 1))))
        .where(Attempt.status == SUBMITTED, Attempt.purpose == FINAL).group_by(Attempt.course_id)
    ).all()
    courses = {
        row.id: CourseName(row.id, row.slug, row.title_vi, row.title_en)
        for row in session.execute(select(Course.id, Course.slug, Course.title_vi, Course.title_en).where(Course.id.in_([r[0] for r in rows])))
    }
    rates = [PassRate(courses[course_id], *numbers) for course_id, *numbers in rows]
    return sorted(rates, key=lambda r: r.course.slug)


def console_statistics(session: Session, now: datetime, zone: tzinfo, tracks: Sequence[str], grace_days: int = 90) -> Statistics:
    """Every number of the statistics page, each from one aggregate query."""
    today = now.date()
    return Statistics(
        by_province=certified_by_province(session, today, grace_days),
        by_track=certified_by_track(session, today, grace_days, tracks),
        per_month=certificates_per_month(session, now, zone),
        expiring=expiring_certificates(session, today, grace_days),
        pass_rates=pass_rates(session),
        computed_at=now,
    )


def recent_statistics(session: Session, cache: dict, now: datetime, zone: tzinfo, tracks: Sequence[str], grace_days: int = 90,
                      max_age: timedelta = timedelta(seconds=60)) -> Statistics:
    """console_statistics, reused while younger than `max_age` (the caller keeps `cache`, e.g. one per process).

    Every number aggregates all certificates and attempts, so the page's cost grows with the register; numbers
    a minute old are as useful to a verifier, and a page reloaded by several verifiers costs one computation.
    """
    key = (now.date(), str(zone), tuple(tracks), grace_days)
    found = cache.get(key)
    if found is not None and found.computed_at <= now < found.computed_at + max_age:
        return found
    fresh = console_statistics(session, now, zone, tracks, grace_days)
    cache.clear()  # one entry: yesterday's key is never asked for again
    cache[key] = fresh
    return fresh
