"""Training sessions: details, trainers, courses, members and roster imports. They flush, never commit."""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lms.accounts.identity import InvalidValue, clean_name
from lms.accounts.models import Role, User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.accounts.services import NewAccount, register_user
from lms.audit.services import record
from lms.catalog.learning_models import ACTIVE, Enrolment
from lms.catalog.models import PUBLISHED, Course
from lms.catalog.progress import progress_for
from lms.catalog.services import PrerequisitesMissing, enrol_learner
from lms.cohorts.access import can_run_session
from lms.cohorts.models import SessionCourse, SessionMember, SessionTrainer, TrainingSession
from lms.cohorts.roster import Problem, Roster, RosterRow
from lms.db import utcnow
from lms.text import fold

# IN lists stay well below the bound-parameter limits of SQLite and PostgreSQL
CHUNK = 500
MAX_NAME = 200
MAX_PLACE = 300
MAX_URL = 500
MAX_NOTES = 5000

# Temporary passwords are 12 random symbols (about 59 bits), read out or printed for the learner.
# No person chose them, so no dictionary helps and a slow hash adds little: accounts created from
# a roster hash theirs with a light Argon2id (about 0.3 ms instead of 50-250 ms), so 10,000 accounts
# fit in one request. authenticate() rehashes with the standard parameters at the first login.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_temporary_hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)


def temporary_password() -> str:
    """A random password like 'k7m2-x9qp-4tfa' (no 0/o, 1/l/i to misread)."""
    symbols = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(symbols[i:i + 4] for i in (0, 4, 8))


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


# --- the session itself -------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionDetails:
    name: str
    province: str
    place: str
    online_url: str
    starts_on: date
    ends_on: date
    notes: str = ""


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and not any(ch.isspace() for ch in url)


def detail_problems(details: SessionDetails) -> dict[str, str]:
    """Field name -> problem code for everything wrong with the details (empty: all good)."""
    problems: dict[str, str] = {}
    try:
        clean_name(details.name, max_length=MAX_NAME)
    except InvalidValue as error:
        problems["name"] = error.code
    if details.province not in PROVINCE_NAMES:
        problems["province"] = "province_unknown"
    url = details.online_url.strip()
    if url and (not _is_https(url) or len(url) > MAX_URL):
        problems["online_url"] = "url_https"
    if not details.place.strip() and not url:
        problems["place"] = "place_or_link"
    elif len(details.place.strip()) > MAX_PLACE:
        problems["place"] = "too_long"
    if len(details.notes) > MAX_NOTES:
        problems["notes"] = "too_long"
    if details.starts_on and details.ends_on and details.ends_on < details.starts_on:
        problems["ends_on"] = "dates_order"
    return problems


def _apply_details(training: TrainingSession, details: SessionDetails) -> list[str]:
    """Copy checked details onto the session; return the names of the fields that changed."""
    problems = detail_problems(details)
    if problems:
        raise InvalidValue(next(iter(problems.values())))
    values = {
        "name": clean_name(details.name, max_length=MAX_NAME), "province": details.province, "place": details.place.strip(),
        "online_url": details.online_url.strip(), "starts_on": details.starts_on, "ends_on": details.ends_on, "notes": details.notes.strip(),
    }
    changed = [name for name, value in values.items() if getattr(training, name) != value]
    for name, value in values.items():
        setattr(training, name, value)
    return changed


def session_run_by(session: Session, user: User, session_id: int) -> TrainingSession | None:
    """The session if this user runs it (admins: any session), else None."""
    training = session.get(TrainingSession, session_id)
    return training if training is not None and can_run_session(session, user, session_id) else None


def published_courses(session: Session) -> list[Course]:
    """Courses a session may include."""
    return list(session.scalars(select(Course).where(Course.status == PUBLISHED).order_by(Course.title_vi)))


def session_courses(session: Session, session_id: int) -> list[Course]:
    return list(session.scalars(
        select(Course).join(SessionCourse, SessionCourse.course_id == Course.id).where(SessionCourse.session_id == session_id).order_by(Course.title_vi)))


def _set_courses(session: Session, session_id: int, course_ids: list[int]) -> tuple[list[Course], list[int]]:
    """Make the session's courses the given published ones; return (courses added, ids removed)."""
    wanted = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(course_ids), Course.status == PUBLISHED))} if course_ids else {}
    current = {row.course_id: row for row in session.scalars(select(SessionCourse).where(SessionCourse.session_id == session_id))}
    added = [course for course_id, course in wanted.items() if course_id not in current]
    removed = [course_id for course_id in current if course_id not in wanted]
    for course in added:
        session.add(SessionCourse(session_id=session_id, course_id=course.id))
    for course_id in removed:
        session.delete(current[course_id])
    session.flush()
    return added, removed


def create_session(session: Session, details: SessionDetails, course_ids: list[int], actor_id: int) -> TrainingSession:
    """Create a session; its creator becomes one of its trainers. Raises InvalidValue."""
    training = TrainingSession(created_by=actor_id)
    _apply_details(training, details)
    session.add(training)
    session.flush()
    session.add(SessionTrainer(session_id=training.id, user_id=actor_id))
    added, _ = _set_courses(session, training.id, course_ids)
    record(session, actor_id, "session.created", "session", training.id, courses=len(added))
    return training


@dataclass
class EnrolmentReport:
    """Learners enrolled in a session's courses, and per course how many miss its prerequisites."""

    learners: int = 0
    blocked: list[tuple[Course, int]] = field(default_factory=list)

    @classmethod
    def of(cls, learners: int, blocked: dict[int, list[Course]]) -> EnrolmentReport:
        counts = Counter(course.id for courses in blocked.values() for course in courses)
        courses = {course.id: course for courses in blocked.values() for course in courses}
        return cls(learners, [(courses[course_id], count) for course_id, count in sorted(counts.items())])


def update_session(session: Session, training: TrainingSession, details: SessionDetails, course_ids: list[int], actor_id: int) -> EnrolmentReport:
    """Change a session's details and courses; the current members are enrolled in added courses."""
    changed = _apply_details(training, details)
    added, removed = _set_courses(session, training.id, course_ids)
    members = list(session.scalars(select(SessionMember.user_id).where(SessionMember.session_id == training.id, SessionMember.removed_at.is_(None))))
    blocked = enrol_many(session, members, added, utcnow()) if added else {}
    record(session, actor_id, "session.updated", "session", training.id, fields=changed, courses_added=len(added), courses_removed=len(removed))
    return EnrolmentReport.of(len(members) if added else 0, blocked)


# --- trainers -------------------------------------------------------------------------------------

def session_trainers(session: Session, session_id: int) -> list[User]:
    return list(session.scalars(
        select(User).join(SessionTrainer, SessionTrainer.user_id == User.id).where(SessionTrainer.session_id == session_id).order_by(User.name_search)))


def trainer_candidates(session: Session, session_id: int) -> list[User]:
    """Active trainers who do not run this session yet."""
    running = select(SessionTrainer.user_id).where(SessionTrainer.session_id == session_id)
    return list(session.scalars(
        select(User).where(User.role == Role.TRAINER.value, User.is_active, User.id.not_in(running)).order_by(User.name_search)))


def add_trainer(session: Session, training: TrainingSession, user_id: int, actor_id: int) -> bool:
    """Make a trainer one of the session's trainers; False if already. Raises InvalidValue('not_trainer')."""
    user = session.get(User, user_id)
    if user is None or user.role != Role.TRAINER.value or not user.is_active:
        raise InvalidValue("not_trainer")
    if session.scalar(select(SessionTrainer.id).where(SessionTrainer.session_id == training.id, SessionTrainer.user_id == user_id)):
        return False
    session.add(SessionTrainer(session_id=training.id, user_id=user_id))
    record(session, actor_id, "session.trainer_added", "session", training.id, user_id=user_id)
    return True


def remove_trainer(session: Session, training: TrainingSession, user_id: int, actor_id: int) -> bool:
    """Take a trainer off the session; the last one stays (InvalidValue('last_trainer'))."""
    rows = {row.user_id: row for row in session.scalars(select(SessionTrainer).where(SessionTrainer.session_id == training.id))}
    if user_id not in rows:
        return False
    if len(rows) == 1:
        raise InvalidValue("last_trainer")
    session.delete(rows[user_id])
    record(session, actor_id, "session.trainer_removed", "session", training.id, user_id=user_id)
    return True


# --- members --------------------------------------------------------------------------------------

def members_query(session_id: int, removed: bool = False):
    """Members of a session by name: current ones, or those removed (history)."""
    state = SessionMember.removed_at.is_not(None) if removed else SessionMember.removed_at.is_(None)
    return (select(User).join(SessionMember, SessionMember.user_id == User.id)
            .where(SessionMember.session_id == session_id, state).order_by(User.name_search, User.id))


def member_counts(session: Session, session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    return dict(session.execute(
        select(SessionMember.session_id, func.count()).where(SessionMember.session_id.in_(session_ids), SessionMember.removed_at.is_(None))
        .group_by(SessionMember.session_id)).all())


def current_member(session: Session, session_id: int, user_id: int) -> User | None:
    return session.scalar(members_query(session_id).where(User.id == user_id))


def enrol_many(session: Session, user_ids: list[int], courses: list[Course], now: datetime) -> dict[int, list[Course]]:
    """Enrol many learners in many courses with a few queries per 500 learners.

    The batch form of catalog.services.enrol_learner, same rules: a learner missing a course's
    prerequisites is not enrolled in it; an earlier enrolment is resumed with its version.
    Returns, per learner, the courses they could not be enrolled in.
    """
    blocked: dict[int, list[Course]] = {}
    courses = [course for course in courses if course.status == PUBLISHED]
    if not user_ids or not courses:
        return blocked
    slugs = {slug for course in courses for slug in course.prerequisites}
    prerequisites = {c.slug: c for c in session.scalars(select(Course).where(Course.slug.in_(slugs)))} if slugs else {}
    for chunk in _chunks(list(user_ids)):
        existing = {(e.user_id, e.course_id): e for e in session.scalars(
            select(Enrolment).where(Enrolment.user_id.in_(chunk), Enrolment.course_id.in_([c.id for c in courses])))}
        progress = progress_for(session, chunk, [c.id for c in prerequisites.values()]) if prerequisites else {}
        new = []
        for user_id in chunk:
            for course in courses:
                needed = [prerequisites[slug] for slug in course.prerequisites if slug in prerequisites]
                if any(not progress[(user_id, p.id)].lessons_complete for p in needed):
                    blocked.setdefault(user_id, []).append(course)
                    continue
                enrolment = existing.get((user_id, course.id))
                if enrolment is None:
                    new.append(dict(user_id=user_id, course_id=course.id, version=course.version, status=ACTIVE, enrolled_at=now, last_activity_at=now))
                else:
                    enrolment.status, enrolment.left_at, enrolment.last_activity_at = ACTIVE, None, now
        if new:
            session.execute(insert(Enrolment), new)
        session.flush()
    return blocked


@dataclass(frozen=True)
class MemberAdded:
    user: User
    added: bool  # False: was already a member
    not_enrolled: list[Course]


def _join(session: Session, session_id: int, user_ids: list[int], actor_id: int, now: datetime) -> None:
    """Make the learners members; a removed member comes back on the same row (its history is in the audit log)."""
    returning = {}
    for chunk in _chunks(user_ids):
        returning.update({m.user_id: m for m in session.scalars(select(SessionMember).where(SessionMember.session_id == session_id, SessionMember.user_id.in_(chunk)))})
    for member in returning.values():
        member.removed_at, member.added_by, member.added_at = None, actor_id, now
    new = [dict(session_id=session_id, user_id=user_id, added_by=actor_id, added_at=now, removed_at=None) for user_id in user_ids if user_id not in returning]
    if new:  # one executemany: the ORM would insert row by row on SQLite to read back each id
        session.execute(insert(SessionMember), new)
    session.flush()


def _add_member(session: Session, training: TrainingSession, user: User, actor_id: int, created: bool) -> MemberAdded:
    if user.role != Role.LEARNER.value:
        raise InvalidValue("not_learner")
    if not user.is_active:
        raise InvalidValue("account_disabled")
    if current_member(session, training.id, user.id):
        return MemberAdded(user, False, [])
    _join(session, training.id, [user.id], actor_id, utcnow())
    not_enrolled = []
    for course in session_courses(session, training.id):
        if course.status != PUBLISHED:
            continue
        try:
            enrol_learner(session, user.id, course)
        except PrerequisitesMissing:
            not_enrolled.append(course)
    record(session, actor_id, "session.member_added", "session", training.id, user_id=user.id, created=created, not_enrolled=len(not_enrolled))
    return MemberAdded(user, True, not_enrolled)


def add_member(session: Session, training: TrainingSession, user: User, actor_id: int) -> MemberAdded:
    """Add an existing learner and enrol them in the session's courses. Raises InvalidValue for non-learners."""
    return _add_member(session, training, user, actor_id, created=False)


@dataclass(frozen=True)
class NewMember:
    login: str
    full_name: str
    province: str
    business_name: str = ""


def create_member(session: Session, training: TrainingSession, new: NewMember, actor_id: int) -> tuple[MemberAdded, str]:
    """Create a learner account with a temporary password, add it to the session; returns the password once.

    Raises InvalidValue or DuplicateLogin like register_user.
    """
    password = temporary_password()
    user = register_user(session, NewAccount(login=new.login, full_name=new.full_name, password=password,
                                             province=new.province, business_name=new.business_name))
    return _add_member(session, training, user, actor_id, created=True), password


def remove_member(session: Session, training: TrainingSession, user_id: int, actor_id: int) -> bool:
    """Mark a member removed (the row and their progress stay); False if not a current member."""
    member = session.scalar(select(SessionMember).where(
        SessionMember.session_id == training.id, SessionMember.user_id == user_id, SessionMember.removed_at.is_(None)))
    if member is None:
        return False
    member.removed_at = utcnow()
    record(session, actor_id, "session.member_removed", "session", training.id, user_id=user_id)
    session.flush()
    return True


def learner_sessions(session: Session, user_id: int) -> list[tuple[TrainingSession, list[Course]]]:
    """The sessions a learner belongs to, newest first, with their courses (two queries)."""
    sessions = list(session.scalars(
        select(TrainingSession).join(SessionMember, SessionMember.session_id == TrainingSession.id)
        .where(SessionMember.user_id == user_id, SessionMember.removed_at.is_(None))
        .order_by(TrainingSession.starts_on.desc(), TrainingSession.id.desc())))
    courses: dict[int, list[Course]] = {s.id: [] for s in sessions}
    if sessions:
        for session_id, course in session.execute(
                select(SessionCourse.session_id, Course).join(Course, Course.id == SessionCourse.course_id)
                .where(SessionCourse.session_id.in_(list(courses))).order_by(Course.title_vi)):
            courses[session_id].append(course)
    return [(s, courses[s.id]) for s in sessions]


# --- roster imports ---------------------------------------------------------------------------

CREATE, ADD, ALREADY, REJECTED = "create", "add", "already", "rejected"


@dataclass(frozen=True)
class _Account:
    id: int
    full_name: str
    role: str
    is_active: bool


@dataclass
class PlannedRow:
    row: RosterRow
    outcome: str  # CREATE, ADD (an existing account joins), ALREADY (a member), REJECTED
    problems: list[Problem]
    account: _Account | None = None


@dataclass
class RosterPlan:
    rows: list[PlannedRow]
    ignored_columns: tuple[str, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for planned in self.rows if planned.outcome == outcome)

    @property
    def valid(self) -> int:
        return len(self.rows) - self.count(REJECTED)


def _accounts_by_login(session: Session, emails: list[str], phones: list[str]) -> tuple[dict[str, _Account], dict[str, _Account]]:
    """Existing accounts with these emails and phones: IN queries by chunks, never one query per row."""
    found: list[dict[str, _Account]] = []
    for column, values in ((User.email, emails), (User.phone, phones)):
        by_value: dict[str, _Account] = {}
        for chunk in _chunks(values):
            for value, *account in session.execute(select(column, User.id, User.full_name, User.role, User.is_active).where(column.in_(chunk))):
                by_value[value] = _Account(*account)
        found.append(by_value)
    return found[0], found[1]


def plan_roster(session: Session, session_id: int, roster: Roster) -> RosterPlan:
    """What applying the roster would do, row by row; writes nothing."""
    by_email, by_phone = _accounts_by_login(session, sorted({r.email for r in roster.rows if r.email}), sorted({r.phone for r in roster.rows if r.phone}))
    members = dict(session.execute(select(SessionMember.user_id, SessionMember.removed_at).where(SessionMember.session_id == session_id)).all())
    claimed: dict[int, int] = {}  # account id -> the line that matched it first
    planned = []
    for row in roster.rows:
        problems = list(row.problems)
        accounts = {a.id: a for a in (by_email.get(row.email or ""), by_phone.get(row.phone or "")) if a}
        account = next(iter(accounts.values())) if len(accounts) == 1 else None
        if not problems:
            if len(accounts) > 1:
                problems.append(Problem("two_accounts"))
            elif account and account.role != Role.LEARNER.value:
                problems.append(Problem("not_learner"))
            elif account and not account.is_active:
                problems.append(Problem("account_disabled"))
            elif account and account.id in claimed:
                problems.append(Problem("duplicate", line=claimed[account.id]))
        if account and not problems:
            claimed[account.id] = row.line
        if problems:
            outcome = REJECTED
        elif account is None:
            outcome = CREATE
        else:
            outcome = ALREADY if account.id in members and members[account.id] is None else ADD
        planned.append(PlannedRow(row, outcome, problems, account))
    return RosterPlan(planned, roster.ignored_columns)


@dataclass(frozen=True)
class CreatedAccount:
    line: int
    full_name: str
    login: str
    password: str


@dataclass
class RosterResult:
    applied: bool
    created: list[CreatedAccount] = field(default_factory=list)
    matched: int = 0
    already: int = 0
    rejected: int = 0
    enrolment: EnrolmentReport = field(default_factory=EnrolmentReport)

    @property
    def added(self) -> int:
        return len(self.created) + self.matched


def _new_learners(session: Session, rows: list[RosterRow]) -> list[tuple[int, str]]:
    """Create learner accounts for checked roster rows; returns (account id, temporary password) per row."""
    if not rows:
        return []
    passwords = [temporary_password() for _ in rows]
    session.execute(insert(User), [
        dict(email=row.email, phone=row.phone, full_name=row.full_name, name_search=fold(row.full_name), password_hash=_temporary_hasher.hash(password),
             province=row.province, business_name=row.business_name, role=Role.LEARNER.value)
        for row, password in zip(rows, passwords)])
    by_email, by_phone = _accounts_by_login(session, [r.email for r in rows if r.email], [r.phone for r in rows if r.phone])
    return [((by_email.get(row.email or "") or by_phone[row.phone or ""]).id, password) for row, password in zip(rows, passwords)]


def apply_roster(session: Session, training: TrainingSession, plan: RosterPlan, all_or_nothing: bool, actor_id: int) -> RosterResult:
    """Create the new accounts, add every valid row's learner and enrol them in the session's courses.

    With all_or_nothing, any rejected row means nothing is written. The caller commits once,
    so an unexpected error leaves nothing behind either.
    """
    result = RosterResult(applied=False, already=plan.count(ALREADY), rejected=plan.count(REJECTED))
    if all_or_nothing and result.rejected:
        return result
    now = utcnow()
    new_rows = [p.row for p in plan.rows if p.outcome == CREATE]
    created = _new_learners(session, new_rows)
    result.created = [CreatedAccount(row.line, row.full_name, row.login, password) for row, (_, password) in zip(new_rows, created)]
    matched_ids = [p.account.id for p in plan.rows if p.outcome == ADD]
    result.matched = len(matched_ids)
    joining = [user_id for user_id, _ in created] + matched_ids
    _join(session, training.id, joining, actor_id, now)
    blocked = enrol_many(session, joining, session_courses(session, training.id), now)
    result.enrolment = EnrolmentReport.of(len(joining), blocked)
    result.applied = True
    record(session, actor_id, "session.roster_applied", "session", training.id, mode="all" if all_or_nothing else "valid",
           rows=len(plan.rows), created=len(created), matched=result.matched, already=result.already, rejected=result.rejected,
           not_enrolled=sum(count for _, count in result.enrolment.blocked))
    return result
