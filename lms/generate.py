"""Reproducible synthetic data at sizes XS-L (like Moodle's test-site generator), for benchmarks and demos.

Everything random comes from the `random.Random` the caller seeds, so one seed gives the same rows
and the same certificate and seller codes on an empty database. Rows are written with bulk inserts
in chunks, never one ORM object per row; every generated account shares ONE Argon2 hash (of the
demo password) because hashing 10,000 passwords would take minutes. Certificates are signed with
the real active key, so they verify like issued ones. Functions flush, never commit.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lms.accounts.models import Role, User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.assessment.bank import GRADED_KINDS, from_data
from lms.assessment.draw import draw_questions, shuffle_answers
from lms.assessment.models import FINAL, IN_PROGRESS, SUBMITTED, Attempt, AttemptItem, Question
from lms.assessment.responses import for_scoring
from lms.assessment.scoring import score_response
from lms.catalog.learning_models import ACTIVE, LEFT, Enrolment, LessonProgress
from lms.catalog.models import PUBLISHED, Course, CourseVersion
from lms.cohorts.models import CourseTrainer, SessionCourse, SessionMember, SessionTrainer, TrainingSession
from lms.credentials.claims import CertificateClaims
from lms.credentials.codes import ALPHABET, DATA_SYMBOLS, GROUP, check_symbol
from lms.credentials.models import ACTIVE as CERTIFICATE_ACTIVE
from lms.credentials.models import REVOKED, SUSPENDED, Certificate, CertificateEvent, public_status
from lms.credentials.services import CURRENT_STATUS_LIST, STATUS_LIST_SIZE, IssuingContext, add_months
from lms.credentials.signing import sign_claims
from lms.models import Base
from lms.onboarding.models import BUSINESS_TYPES, OcopProduct, SellerNote, SellerProfile, ShopHandle
from lms.text import fold

# learners per size, as in Moodle's tool_generator (XS 10 ... L 10,000 users)
SIZES = {"XS": 10, "S": 100, "M": 1_000, "L": 10_000}
CHUNK = 2_000
# the demo training session has this many members at every size, so its report is comparable (B5)
DEMO_SESSION_MEMBERS = 10
PRIVACY_NOTICE_VERSION = "2026-01"

# --- people ------------------------------------------------------------------------------------------

FAMILY_NAMES = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4), ("Vũ", 4),
                ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Đinh", 1),
                ("Trịnh", 1), ("Mai", 1), ("Lò", 1), ("Hà", 1), ("Triệu", 1))
MIDDLE_NAMES = ("Văn", "Thị", "Minh", "Thanh", "Ngọc", "Đức", "Hữu", "Quốc", "Thu", "Kim", "Xuân", "Hồng", "Công", "Bảo", "Thị Thu",
                "Văn Đức", "Thị Hồng", "Anh", "Gia", "Phương")
GIVEN_NAMES = ("An", "Anh", "Bình", "Chi", "Cường", "Dũng", "Duyên", "Giang", "Hà", "Hải", "Hạnh", "Hiền", "Hoa", "Hòa", "Hùng",
               "Hương", "Huyền", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "My", "Nam", "Nga", "Nhung", "Oanh", "Phúc",
               "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Tiến", "Trang", "Trung", "Tú", "Tuấn",
               "Tuyết", "Uyên", "Vân", "Việt", "Xuân", "Yến")
# learners per province: a rough shape of where OCOP producers are (more in the large agricultural provinces)
PROVINCE_WEIGHTS = {
    "ha-noi": 9, "ho-chi-minh": 5, "thanh-hoa": 5, "nghe-an": 5, "phu-tho": 5, "bac-ninh": 4, "hai-phong": 4, "hung-yen": 4,
    "ninh-binh": 4, "lao-cai": 4, "thai-nguyen": 4, "tuyen-quang": 3, "son-la": 3, "quang-ninh": 3, "ha-tinh": 3, "quang-tri": 3,
    "da-nang": 3, "quang-ngai": 3, "gia-lai": 3, "dak-lak": 4, "lam-dong": 4, "khanh-hoa": 3, "dong-nai": 3, "tay-ninh": 3,
    "can-tho": 3, "vinh-long": 3, "dong-thap": 3, "an-giang": 3, "ca-mau": 2, "hue": 2, "lang-son": 2, "cao-bang": 2,
    "dien-bien": 1, "lai-chau": 1,
}
PRODUCTS = {
    "food": ("Mật ong rừng", "Gạo ST25", "Nước mắm", "Miến dong", "Bánh đa", "Chả mực", "Mắm tôm", "Hạt điều rang muối", "Cà phê bột"),
    "beverages": ("Trà Shan tuyết", "Chè Tân Cương", "Rượu nếp", "Nước cốt chanh leo", "Trà atiso"),
    "herbal": ("Cao dược liệu", "Tinh dầu sả", "Trà gừng", "Sâm Ngọc Linh"),
    "textiles_handicrafts": ("Thổ cẩm", "Mây tre đan", "Nón lá", "Gốm sứ", "Chiếu cói"),
    "services_tourism": ("Du lịch cộng đồng", "Homestay bản"),
    "other": ("Xà phòng thiên nhiên", "Nến thơm"),
}
PRODUCT_GROUP_WEIGHTS = {"food": 55, "beverages": 20, "herbal": 10, "textiles_handicrafts": 10, "services_tourism": 3, "other": 2}
BUSINESS_PREFIX = {"household": "Hộ kinh doanh", "cooperative": "Hợp tác xã", "company": "Công ty TNHH"}
SHOP_PLATFORM_WEIGHTS = {"tiktok_shop": 50, "shopee": 40, "lazada": 10}

# --- learning --------------------------------------------------------------------------------------

# how far a learner got in a course they enrolled in (weights); "certified" passed with every lesson done
STAGES = {"not_started": 12, "in_progress": 33, "lessons_done": 8, "failed": 7, "passed_lessons_pending": 3, "certified": 37}
# chance of enrolling in a course: the three courses required for onboarding are taken most
REQUIRED_ENROL, OPTIONAL_ENROL = 0.72, 0.35
# certificates revoked or suspended by a verifier; the rest are valid, or expired when issued > validity ago
REVOKED_SHARE, SUSPENDED_SHARE = 0.02, 0.005
LEFT_SHARE = 0.03
IN_PROGRESS_ATTEMPT_SHARE = 0.15  # of enrolments at "lessons_done": an attempt started and not submitted
HISTORY_DAYS = 1_100  # accounts span about three years, more of them recent
# the first learners have fixed stories at every size, so the summary always has each kind of record:
# 1 the demo learner (one course at each stage), 2 an eligible seller, 3 an expired certificate, 4 a revoked one
DEMO, ELIGIBLE, EXPIRED, REVOKED_HOLDER = 0, 1, 2, 3
FIXED_AGE_DAYS = {DEMO: 400, ELIGIBLE: 200, EXPIRED: HISTORY_DAYS - 10, REVOKED_HOLDER: 300}


@dataclass(frozen=True)
class Plan:
    """How many of each thing a size makes."""

    size: str
    learners: int
    trainers: int
    verifiers: int
    admins: int
    sessions: int

    @classmethod
    def for_size(cls, size: str) -> Plan:
        learners = SIZES[size]
        return cls(size=size, learners=learners, trainers=max(2, learners // 100), verifiers=max(1, learners // 2_000),
                   admins=1, sessions=max(1, learners // 25))


@dataclass
class Generated:
    """What a run made, for the summary: ids and codes of records that scripts may address."""

    plan: Plan
    password: str
    demo: dict[str, str] = field(default_factory=dict)  # role -> login
    learner_logins: list[str] = field(default_factory=list)
    demo_session_id: int | None = None
    demo_course_slug: str = ""
    certificate_codes: list[str] = field(default_factory=list)
    seller_user_ids: list[int] = field(default_factory=list)


def make_code(rng: random.Random) -> str:
    """A code in the format of lms.credentials.codes.new_code, from the seeded source (certificates, sellers)."""
    value = rng.getrandbits(5 * DATA_SYMBOLS)
    symbols = "".join(ALPHABET[(value >> shift) & 31] for shift in range(5 * (DATA_SYMBOLS - 1), -1, -5)) + check_symbol(value)
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    family = rng.choices([n for n, _ in FAMILY_NAMES], weights=[w for _, w in FAMILY_NAMES])[0]
    return f"{family} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def _bulk(session: Session, model, rows: list[dict], returning: bool = False) -> list[int]:
    """Insert rows in chunks; with returning=True, the new ids in the order of the rows.

    render_nulls: by default the ORM leaves None values out of a row, which splits a chunk into one
    statement per run of rows with the same missing columns (tens of thousands of statements at L).
    """
    ids: list[int] = []
    statement = insert(model).execution_options(render_nulls=True)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        if returning:
            ids.extend(session.scalars(statement.returning(model.id, sort_by_parameter_order=True), chunk))
        else:
            session.execute(statement, chunk)
    return ids


# --- answers ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    response: object  # stored (JSON) form, None when unanswered
    fraction: float
    feedback: tuple[str, ...]


def _score(question, response) -> Answer:
    if response is None:
        return Answer(None, 0.0, ())
    score = score_response(question, for_scoring(question.kind, response))
    return Answer(response, score.fraction, score.feedback)


def answers_for(data: dict) -> tuple[Answer, Answer]:
    """(a right answer, a wrong answer) to a stored question, as a learner's saved responses.

    The right one scores 1 and the wrong one 0 whenever the question allows it; a wrong answer
    that would still earn marks is left unanswered instead.
    """
    question = from_data(data)
    kind = question.kind
    right = wrong = None
    if kind == "single":
        right = max(range(len(question.choices)), key=lambda i: question.choices[i].fraction)
        wrong = next((i for i, c in enumerate(question.choices) if c.fraction <= 0), None)
    elif kind == "multiple":
        right = [i for i, c in enumerate(question.choices) if c.fraction > 0]
        wrong = [i for i, c in enumerate(question.choices) if c.fraction <= 0][:1] or None
    elif kind == "truefalse":
        right, wrong = question.truth, (None if question.truth is None else not question.truth)
    elif kind == "short":
        right = max(question.choices, key=lambda c: c.fraction).text if question.choices else None
        wrong = "không nhớ"
    elif kind == "numerical":
        best = max(question.numeric, key=lambda a: a.fraction) if question.numeric else None
        if best is not None:
            right = f"{(best.minimum + best.maximum) / 2:g}"
            wrong = f"{abs(best.maximum) * 3 + 7919:g}"
    elif kind == "matching":
        matches = [pair.match for pair in question.pairs]
        right = {str(i): match for i, match in enumerate(matches)}
        wrong = {str(i): matches[(i + 1) % len(matches)] for i in range(len(matches))} if len(set(matches)) > 1 else None
    right_answer, wrong_answer = _score(question, right), _score(question, wrong)
    if wrong_answer.fraction > 0:
        wrong_answer = Answer(None, 0.0, ())
    return right_answer, wrong_answer


# --- the run ---------------------------------------------------------------------------------------

@dataclass
class _Course:
    id: int
    slug: str
    title_vi: str
    title_en: str
    version: int
    pass_mark: int
    validity_months: int
    questions_per_attempt: int
    required: bool
    lessons: list[int]
    pool: list[tuple[int, int | None]]
    data: dict[int, dict[str, dict]]  # question id -> lang -> data
    answers: dict[tuple[int, str], tuple[Answer, Answer]] = field(default_factory=dict)


def _load_courses(session: Session) -> list[_Course]:
    courses = []
    for course in session.scalars(select(Course).where(Course.status == PUBLISHED).order_by(Course.id)):
        version = session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.number == course.version))
        questions = list(session.scalars(select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False),
                                                                Question.kind.in_(GRADED_KINDS)).order_by(Question.id)))
        courses.append(_Course(
            id=course.id, slug=course.slug, title_vi=course.title_vi, title_en=course.title_en, version=course.version,
            pass_mark=course.pass_mark, validity_months=course.certificate_validity_months, questions_per_attempt=course.questions_per_attempt,
            required=course.required_for_onboarding, lessons=list(version.lesson_ids) if version else [],
            pool=[(q.id, q.module_id) for q in questions], data={q.id: {"vi": q.data_vi, "en": q.data_en or q.data_vi} for q in questions},
        ))
    return courses


def generate(session: Session, rng: random.Random, size: str, now: datetime, context: IssuingContext, password_hash: str,
             password: str) -> Generated:
    """Write a synthetic platform of the given size into a database that holds the courses but no learners yet.

    `password_hash` is one Argon2 hash of `password`, shared by every generated account.
    """
    plan = Plan.for_size(size)
    courses = _load_courses(session)
    if not courses:
        raise ValueError("no published course: import the curriculum first")
    result = Generated(plan=plan, password=password)
    staff = _staff(session, rng, plan, now, password_hash, result)
    learners = _learners(session, rng, plan, now, password_hash, result)
    sessions = _sessions(session, rng, plan, now, courses, staff, learners, result)
    enrolments = _enrolments(rng, now, courses, learners, sessions)
    certified = _learning(session, rng, now, courses, learners, enrolments)
    _certificates(session, rng, now, context, courses, learners, certified, staff, result)
    _sellers(session, rng, now, learners, staff, result)
    session.flush()
    return result


@dataclass
class _Person:
    index: int
    id: int
    created_at: datetime
    full_name: str
    business: str
    province: str
    locale: str | None


def _user_row(login_email: str | None, phone: str | None, name: str, province: str, business: str, role: str, created: datetime,
              last_login: datetime | None, locale: str | None, password_hash: str) -> dict:
    return {
        "email": login_email, "phone": phone, "full_name": name, "name_search": fold(name), "password_hash": password_hash,
        "province": province, "business_name": business, "role": role, "locale": locale, "is_active": True, "session_version": 1,
        "created_at": created, "last_login_at": last_login, "consent_at": created, "consent_version": PRIVACY_NOTICE_VERSION,
    }


def _staff(session, rng, plan: Plan, now, password_hash, result: Generated) -> dict[str, list[int]]:
    rows, roles = [], []
    counts = ((Role.TRAINER.value, "gv", plan.trainers), (Role.VERIFIER.value, "td", plan.verifiers), (Role.ADMIN.value, "qt", plan.admins))
    for role, prefix, count in counts:
        for n in range(1, count + 1):
            created = now - timedelta(days=HISTORY_DAYS + rng.randint(0, 60))
            organisation = "Trung tâm Xúc tiến thương mại nông nghiệp" if role != Role.TRAINER.value else rng.choice(
                ("Trung tâm Xúc tiến thương mại nông nghiệp", "Trung tâm Khuyến nông", "Hội Nông dân", "Liên minh Hợp tác xã"))
            rows.append(_user_row(f"{prefix}{n:03d}@example.com", None, _name(rng), _weighted(rng, PROVINCE_WEIGHTS), organisation, role,
                                  created, _between(rng, now - timedelta(days=30), now), "vi", password_hash))
            roles.append(role)
    ids = _bulk(session, User, rows, returning=True)
    staff: dict[str, list[int]] = {}
    for user_id, role, row in zip(ids, roles, rows):
        staff.setdefault(role, []).append(user_id)
        result.demo.setdefault(role, row["email"])
    return staff


def _learners(session, rng, plan: Plan, now, password_hash, result: Generated) -> list[_Person]:
    rows, people = [], []
    # distinct mobile numbers: a permutation of the index, so they look scattered but never collide
    stride = 7_919_993
    for n in range(1, plan.learners + 1):
        name = _name(rng)
        province = _weighted(rng, PROVINCE_WEIGHTS)
        created = now - timedelta(days=HISTORY_DAYS * (1 - math.sqrt(rng.random())), seconds=rng.randint(0, 86_399))
        if n - 1 in FIXED_AGE_DAYS:
            created = now - timedelta(days=FIXED_AGE_DAYS[n - 1])
        btype = _weighted(rng, {"household": 60, "cooperative": 25, "company": 15})
        business = "" if rng.random() < 0.15 else f"{BUSINESS_PREFIX[btype]} {_weighted(rng, {p: 1 for g in PRODUCTS.values() for p in g})} {PROVINCE_NAMES[province]}"
        locale = rng.choices(("vi", "en", None), weights=(80, 8, 12))[0]
        contact = rng.random()
        phone = f"+849{(n * stride) % 100_000_000:08d}" if contact < 0.5 or n == 1 else None
        email = f"hv{n:05d}@example.com" if phone is None or contact > 0.9 or n == 1 else None
        if n == 1:
            phone = None  # the demo learner logs in with an email
        rows.append(_user_row(email, phone, name, province, business, Role.LEARNER.value, created,
                              _between(rng, created, now) if rng.random() < 0.9 else None, locale, password_hash))
        people.append(_Person(n - 1, 0, created, name, business, province, locale))
    ids = _bulk(session, User, rows, returning=True)
    for person, user_id, row in zip(people, ids, rows):
        person.id = user_id
        result.learner_logins.append(row["email"] or row["phone"])
    result.demo[Role.LEARNER.value] = result.learner_logins[0]
    return people


def _sessions(session, rng, plan: Plan, now, courses, staff, learners: list[_Person], result: Generated) -> dict[int, list[int]]:
    """Training sessions in the provinces, each with trainers, 1-3 courses and 10-40 learners; returns learner -> course ids."""
    trainers = staff[Role.TRAINER.value]
    required = [c for c in courses if c.required] or courses
    # every trainer is a trainer of one or two courses; the demo trainer of all of them
    course_trainers = [{"course_id": c.id, "user_id": trainers[0], "assigned_by": None, "assigned_at": now - timedelta(days=HISTORY_DAYS)} for c in courses]
    for trainer in trainers[1:]:
        for course in rng.sample(courses, min(len(courses), rng.randint(1, 2))):
            course_trainers.append({"course_id": course.id, "user_id": trainer, "assigned_by": None, "assigned_at": now - timedelta(days=rng.randint(30, HISTORY_DAYS))})
    _bulk(session, CourseTrainer, course_trainers)
    by_province: dict[str, list[_Person]] = {}
    for person in learners:
        by_province.setdefault(person.province, []).append(person)
    session_rows, chosen_courses, chosen_members, chosen_trainers = [], [], [], []
    for n in range(plan.sessions):
        if n == 0:
            members = learners[:DEMO_SESSION_MEMBERS]
            province = members[0].province
            picked = required[:2]
            starts = (now - timedelta(days=20)).date()
            runners = [trainers[0]]
        else:
            province = _weighted(rng, PROVINCE_WEIGHTS)
            local = by_province.get(province) or learners
            members = rng.sample(local, min(len(local), rng.randint(10, 40)))
            picked = rng.sample(courses, rng.randint(1, min(3, len(courses))))
            starts = (now - timedelta(days=rng.randint(0, HISTORY_DAYS - 60))).date()
            runners = rng.sample(trainers[1:] or trainers, min(len(trainers[1:] or trainers), rng.randint(1, 2)))
        ends = starts + timedelta(days=rng.randint(1, 3))
        place = f"Hội trường {rng.choice(('UBND xã', 'Trung tâm Khuyến nông', 'Nhà văn hóa thôn', 'Trường Trung cấp Nông nghiệp'))}, {PROVINCE_NAMES[province]}"
        session_rows.append({
            "name": f"Lớp tập huấn {picked[0].title_vi.lower()} — {PROVINCE_NAMES[province]}, tháng {starts.month}/{starts.year}",
            "province": province, "place": place, "online_url": "", "starts_on": starts, "ends_on": ends, "notes": "",
            "created_by": runners[0], "created_at": datetime.combine(starts, time(8), tzinfo=timezone.utc) - timedelta(days=14),
        })
        chosen_courses.append(picked)
        chosen_members.append(members)
        chosen_trainers.append(runners)
    ids = _bulk(session, TrainingSession, session_rows, returning=True)
    result.demo_session_id = ids[0]
    result.demo_course_slug = required[0].slug
    taken: dict[int, list[int]] = {}
    links, member_rows, trainer_rows = [], [], []
    for session_id, picked, members, runners, row in zip(ids, chosen_courses, chosen_members, chosen_trainers, session_rows):
        links += [{"session_id": session_id, "course_id": c.id} for c in picked]
        trainer_rows += [{"session_id": session_id, "user_id": t} for t in runners]
        seen = set()
        for person in members:
            if person.id in seen:
                continue
            seen.add(person.id)
            added = max(row["created_at"], person.created_at)
            member_rows.append({"session_id": session_id, "user_id": person.id, "added_by": runners[0], "added_at": added,
                                "removed_at": _between(rng, added, now) if rng.random() < 0.03 and session_id != ids[0] else None})
            taken.setdefault(person.id, []).extend(c.id for c in picked)
    _bulk(session, SessionCourse, links)
    _bulk(session, SessionTrainer, trainer_rows)
    _bulk(session, SessionMember, member_rows)
    return taken


@dataclass
class _Enrolment:
    person: _Person
    course: _Course
    stage: str
    enrolled_at: datetime


def _enrolments(rng, now, courses: list[_Course], learners: list[_Person], from_sessions: dict[int, list[int]]) -> list[_Enrolment]:
    by_id = {c.id: c for c in courses}
    plan = []
    required = [c for c in courses if c.required] or courses[:1]
    for index, person in enumerate(learners):
        fixed = {
            # the demo learner: one course of each kind of progress, the same at every size (B5 compares its dashboard)
            DEMO: list(zip(courses, ("certified", "in_progress", "lessons_done", "not_started"))),
            ELIGIBLE: [(course, "certified") for course in required],
            EXPIRED: [(required[0], "certified")] + [(course, "in_progress") for course in required[1:2]],
            REVOKED_HOLDER: [(required[0], "certified")] + [(course, "in_progress") for course in required[1:2]],
        }.get(index)
        if fixed is not None:
            plan.extend(_Enrolment(person, course, stage, person.created_at + timedelta(hours=1)) for course, stage in fixed)
            continue
        chosen = {cid for cid in from_sessions.get(person.id, [])}
        for course in courses:
            if rng.random() < (REQUIRED_ENROL if course.required else OPTIONAL_ENROL):
                chosen.add(course.id)
        if not chosen:
            chosen.add(rng.choice(courses).id)
        for course_id in sorted(chosen):
            enrolled = _between(rng, person.created_at, min(now, person.created_at + timedelta(days=90)))
            plan.append(_Enrolment(person, by_id[course_id], _weighted(rng, STAGES), enrolled))
    return plan


def _learning(session, rng, now, courses, learners, plan: list[_Enrolment]) -> list[tuple[_Enrolment, int, datetime]]:
    """Enrolments, lesson progress and attempts; returns (enrolment, passing attempt id, pass time) of the certified."""
    enrolment_rows, progress_rows, attempts, items_by_attempt, certified_plan = [], [], [], [], []
    for entry in plan:
        course, person = entry.course, entry.person
        lessons = course.lessons
        window_end = now
        study_days = rng.uniform(1, 45)
        finished_at = min(window_end, entry.enrolled_at + timedelta(days=study_days))
        stage = entry.stage
        if stage in ("certified", "passed_lessons_pending", "failed") and not course.pool:
            stage = "lessons_done"
        done = len(lessons) if stage in ("lessons_done", "failed", "certified") else \
            rng.randint(1, max(1, len(lessons) - 1)) if stage in ("in_progress", "passed_lessons_pending") else 0
        completed_times = sorted(_between(rng, entry.enrolled_at, finished_at) for _ in range(done))
        for lesson_id, at in zip(lessons, completed_times):
            progress_rows.append({"user_id": person.id, "lesson_id": lesson_id, "first_viewed_at": at - timedelta(minutes=rng.randint(3, 30)),
                                  "completed_at": at})
        if stage == "in_progress" and done < len(lessons):
            opened = _between(rng, completed_times[-1] if completed_times else entry.enrolled_at, now)
            progress_rows.append({"user_id": person.id, "lesson_id": lessons[done], "first_viewed_at": opened, "completed_at": None})
            last_lesson = lessons[done]
            last_activity = opened
        else:
            last_lesson = lessons[done - 1] if done else None
            last_activity = completed_times[-1] if completed_times else entry.enrolled_at
        left = stage in ("not_started", "in_progress") and rng.random() < LEFT_SHARE and person.index not in FIXED_AGE_DAYS
        lang = "en" if person.locale == "en" else "vi"
        outcomes: list[bool | None] = []
        if stage == "failed":
            outcomes = [False] * rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        elif stage in ("certified", "passed_lessons_pending"):
            outcomes = [False] * rng.choices((0, 1, 2), weights=(70, 22, 8))[0] + [True]
            if person.index in FIXED_AGE_DAYS:
                outcomes = [True]
        elif stage == "lessons_done" and rng.random() < IN_PROGRESS_ATTEMPT_SHARE and person.index not in FIXED_AGE_DAYS:
            outcomes = [None]
        moment = max(last_activity, entry.enrolled_at)
        for number, outcome in enumerate(outcomes, 1):
            started = _between(rng, moment, min(now, moment + timedelta(days=3)))
            if outcome is None:
                started = now - timedelta(minutes=rng.randint(5, 600))
            submitted = None if outcome is None else min(now, started + timedelta(minutes=rng.randint(8, 35)))
            attempt, items = _attempt(rng, course, person.id, number, lang, started, submitted, outcome)
            attempts.append(attempt)
            items_by_attempt.append(items)
            if outcome is not None and attempt["passed"] and stage == "certified":
                certified_plan.append((entry, len(attempts) - 1, submitted))
            moment = submitted or started
            last_activity = max(last_activity, moment)
            if outcome is not None and outcome != attempt["passed"]:
                break  # the score came out otherwise than planned: that attempt is the learner's last
        enrolment_rows.append({
            "user_id": person.id, "course_id": course.id, "version": course.version, "status": LEFT if left else ACTIVE,
            "enrolled_at": entry.enrolled_at, "left_at": _between(rng, last_activity, now) if left else None,
            "last_lesson_id": last_lesson, "last_activity_at": last_activity,
        })
    _bulk(session, Enrolment, enrolment_rows)
    _bulk(session, LessonProgress, progress_rows)
    attempt_ids = _bulk(session, Attempt, attempts, returning=True)
    item_rows = []
    for attempt_id, items in zip(attempt_ids, items_by_attempt):
        for item in items:
            item["attempt_id"] = attempt_id
        item_rows.extend(items)
        if len(item_rows) >= CHUNK * 5:
            _bulk(session, AttemptItem, item_rows)
            item_rows = []
    _bulk(session, AttemptItem, item_rows)
    return [(entry, attempt_ids[index], at) for entry, index, at in certified_plan]


def _attempt(rng, course: _Course, user_id: int, number: int, lang: str, started: datetime, submitted: datetime | None,
             outcome: bool | None) -> tuple[dict, list[dict]]:
    """One attempt drawn from the course's bank with the real draw and shuffle, answered to pass or fail."""
    count = course.questions_per_attempt
    chosen = draw_questions(course.pool, count, rng)
    needed = math.ceil(course.pass_mark * len(chosen) / 100)
    if outcome is True:
        right = rng.randint(needed, len(chosen))
    elif outcome is False:
        right = rng.randint(max(0, needed - 8), max(0, needed - 1))
    else:
        right = rng.randint(0, len(chosen))
    right_positions = set(rng.sample(range(len(chosen)), right))
    items, total = [], 0.0
    for position, question_id in enumerate(chosen, 1):
        data = course.data[question_id][lang]
        key = (question_id, lang)
        if key not in course.answers:
            course.answers[key] = answers_for(data)
        choice_order, match_options = shuffle_answers(from_data(data), rng)
        answer = course.answers[key][0 if position - 1 in right_positions else 1]
        if outcome is None and rng.random() < 0.5:
            answer = Answer(None, 0.0, ())  # not saved yet
        items.append({"position": position, "question_id": question_id, "question_data": data, "choice_order": choice_order,
                      "match_options": match_options, "response": answer.response,
                      "fraction": None if outcome is None else answer.fraction, "feedback": [] if outcome is None else list(answer.feedback)})
        total += answer.fraction
    score = round(100 * total / len(chosen), 2) if chosen else 0.0
    attempt = {
        "user_id": user_id, "course_id": course.id, "number": number, "course_version": course.version, "purpose": FINAL, "lang": lang,
        "status": IN_PROGRESS if outcome is None else SUBMITTED, "started_at": started, "deadline_at": None,
        "saved_at": submitted or started, "submitted_at": submitted, "score": None if outcome is None else score, "pass_mark": course.pass_mark,
        "passed": None if outcome is None else score >= course.pass_mark, "submitted_by": None if outcome is None else "learner",
    }
    return attempt, items


def _certificates(session, rng, now, context: IssuingContext, courses, learners, certified, staff, result: Generated) -> None:
    """Signed certificates for the certified enrolments; a few revoked or suspended by a verifier."""
    kid, key = context.keys.active()
    verifiers = staff.get(Role.VERIFIER.value) or staff[Role.ADMIN.value]
    positions = rng.sample(range(STATUS_LIST_SIZE), len(certified))
    rows, events, changes = [], [], []
    for (entry, attempt_id, passed_at), status_index in zip(certified, positions):
        person, course = entry.person, entry.course
        code = make_code(rng)
        issued_on = passed_at.date()
        claims = CertificateClaims(
            code=code, issuer=context.issuer, course_slug=course.slug, course_title_vi=course.title_vi, course_title_en=course.title_en,
            course_version=course.version, holder_name=person.full_name, business=person.business,
            province=PROVINCE_NAMES.get(person.province, person.province), issued_on=issued_on, awarded_on=issued_on,
            expires_on=add_months(issued_on, course.validity_months), status_list=CURRENT_STATUS_LIST, status_index=status_index, kid=kid,
        ).to_json()
        status, changed_at = CERTIFICATE_ACTIVE, None
        roll = rng.random()
        if person.index == REVOKED_HOLDER:
            roll = 0.0
        elif person.index in FIXED_AGE_DAYS:
            roll = 1.0
        if roll < REVOKED_SHARE + SUSPENDED_SHARE:
            status = REVOKED if roll < REVOKED_SHARE else SUSPENDED
            changed_at = _between(rng, passed_at, now)
        rows.append({
            "code": code, "user_id": person.id, "course_id": course.id, "course_version": course.version, "attempt_id": attempt_id,
            "renews_id": None, "status": status, "issued_at": passed_at, "awarded_on": issued_on,
            "expires_on": date.fromisoformat(claims["expires_on"]), "claims": claims, "jws": sign_claims(claims, kid, key), "kid": kid,
            "status_list": CURRENT_STATUS_LIST, "status_index": status_index, "pdf_key": None, "pdf_sha256": None,
            "status_changed_at": changed_at,
        })
        changes.append((status, changed_at))
        result.certificate_codes.append(code)
    ids = _bulk(session, Certificate, rows, returning=True)
    reasons = {REVOKED: ("Gian lận khi làm bài kiểm tra", "Hồ sơ doanh nghiệp không đúng sự thật", "Cấp nhầm"),
               SUSPENDED: ("Đang xác minh khiếu nại của khách hàng", "Chờ bổ sung giấy tờ")}
    for certificate_id, row, (status, changed_at) in zip(ids, rows, changes):
        events.append({"certificate_id": certificate_id, "action": "issued", "reason": "", "actor_id": None, "at": row["issued_at"]})
        if status != CERTIFICATE_ACTIVE:
            events.append({"certificate_id": certificate_id, "action": status, "reason": rng.choice(reasons[status]),
                           "actor_id": rng.choice(verifiers), "at": changed_at})
    _bulk(session, CertificateEvent, events)


def _sellers(session, rng, now, learners: list[_Person], staff, result: Generated) -> None:
    """Seller profiles (every certificate holder and most others), OCOP products, shops and a few verifier notes."""
    holders = set(session.scalars(select(Certificate.user_id).distinct()))
    profiles, people = [], []
    used_taxes: set[str] = set()
    for person in learners:
        if person.id not in holders and rng.random() > 0.6:
            continue
        btype = rng.choices(BUSINESS_TYPES, weights=(60, 25, 15))[0]
        tax = None
        if btype != "household" or rng.random() < 0.4:
            while tax is None or tax in used_taxes:
                tax = f"{rng.randint(1, 9)}{rng.randint(0, 10**9 - 1):09d}"
            used_taxes.add(tax)
        created = _between(rng, person.created_at, now)
        profiles.append({"user_id": person.id, "seller_code": make_code(rng), "business_type": btype, "tax_code": tax,
                         "created_at": created, "updated_at": created})
        people.append(person)
    ids = _bulk(session, SellerProfile, profiles, returning=True)
    products, shops = [], []
    for profile_id, person in zip(ids, people):
        for _ in range(rng.choices((0, 1, 2, 3), weights=(25, 45, 20, 10))[0]):
            group = _weighted(rng, PRODUCT_GROUP_WEIGHTS)
            products.append({"profile_id": profile_id, "name": f"{rng.choice(PRODUCTS[group])} {PROVINCE_NAMES[person.province]}",
                             "product_group": group, "stars": rng.choices((3, 4, 5), weights=(60, 35, 5))[0],
                             "recognised_on": (now - timedelta(days=rng.randint(0, 4 * 365))).date()})
        handle = fold(person.business or person.full_name).replace(" ", "")[:40] or f"shop{profile_id}"
        for platform in rng.sample(list(SHOP_PLATFORM_WEIGHTS), rng.choices((0, 1, 2), weights=(40, 45, 15))[0]):
            shops.append({"profile_id": profile_id, "platform": platform, "handle": f"{handle}{profile_id}"})
    _bulk(session, OcopProduct, products)
    _bulk(session, ShopHandle, shops)
    verifiers = staff.get(Role.VERIFIER.value) or staff[Role.ADMIN.value]
    notes = [{"user_id": person.id, "author_id": rng.choice(verifiers), "at": _between(rng, person.created_at, now),
              "text": rng.choice(("Đã gọi điện xác minh địa chỉ cơ sở.", "Hồ sơ OCOP 4 sao đã kiểm tra.", "Cần bổ sung giấy phép kinh doanh."))}
             for person in people if rng.random() < 0.02]
    _bulk(session, SellerNote, notes)
    result.seller_user_ids = [person.id for person in people]


# --- what was made -----------------------------------------------------------------------------------

def table_counts(session: Session) -> dict[str, int]:
    """Rows per table, every table of the schema."""
    return {table.name: session.scalar(select(func.count()).select_from(table)) or 0 for table in Base.metadata.sorted_tables}


def summary(session: Session, generated: Generated, now: datetime, grace_days: int, sample: int = 20) -> dict:
    """The JSON summary: counts, sample certificate codes by state, seller codes (eligible or not), logins, ids."""
    from lms.onboarding.status import seller_statuses  # the same status the API reports

    today = now.date()
    by_state: dict[str, list[str]] = {}
    for code, status, expires_on in session.execute(
        select(Certificate.code, Certificate.status, Certificate.expires_on).order_by(Certificate.id)
    ):
        codes = by_state.setdefault(public_status(status, expires_on, today), [])
        if len(codes) < sample:
            codes.append(code)
    sellers: dict[str, list[str]] = {"eligible": [], "not_eligible": []}
    candidates = generated.seller_user_ids
    codes = dict(session.execute(select(SellerProfile.user_id, SellerProfile.seller_code)).all())
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        for user_id, status in seller_statuses(session, batch, now, grace_days).items():
            bucket = sellers["eligible" if status.eligible else "not_eligible"]
            if len(bucket) < sample:
                bucket.append(codes[user_id])
        if all(len(bucket) >= sample for bucket in sellers.values()):
            break
    return {
        "size": generated.plan.size,
        "counts": table_counts(session),
        "certificates": {state: by_state.get(state, []) for state in ("valid", "expired", "revoked", "suspended")},
        "sellers": sellers,
        "password": generated.password,
        "demo_logins": [{"role": role, "login": login, "password": generated.password} for role, login in generated.demo.items()],
        "learner_logins": generated.learner_logins[:200],
        "demo_session_id": generated.demo_session_id,
        "demo_course": generated.demo_course_slug,
    }


def add_due_learners(session: Session, rng: random.Random, count: int, now: datetime, password_hash: str) -> list[tuple[int, int]]:
    """`count` learners who finished every lesson of a course and passed its final assessment but hold no certificate
    (as after an import, or when no signing key existed): the work of `flask lms issue-certificates`. Returns (user, course) pairs."""
    courses = [c for c in _load_courses(session) if c.lessons]
    first = (session.scalar(select(func.max(User.id))) or 0) + 1
    people, rows = [], []
    for n in range(count):
        name, province = _name(rng), _weighted(rng, PROVINCE_WEIGHTS)
        created = now - timedelta(days=rng.randint(30, 300))
        rows.append(_user_row(f"due{first + n:06d}@example.com", None, name, province, "", Role.LEARNER.value, created, created, "vi", password_hash))
        people.append((name, created))
    ids = _bulk(session, User, rows, returning=True)
    enrolments, progress, attempts, pairs = [], [], [], []
    for user_id, (_name_, created) in zip(ids, people):
        course = courses[user_id % len(courses)]
        finished = created + timedelta(days=rng.randint(1, 20))
        enrolments.append({"user_id": user_id, "course_id": course.id, "version": course.version, "status": ACTIVE, "enrolled_at": created,
                           "left_at": None, "last_lesson_id": course.lessons[-1], "last_activity_at": finished})
        progress.extend({"user_id": user_id, "lesson_id": lesson_id, "first_viewed_at": finished, "completed_at": finished} for lesson_id in course.lessons)
        attempts.append({"user_id": user_id, "course_id": course.id, "number": 1, "course_version": course.version, "purpose": FINAL, "lang": "vi",
                         "status": SUBMITTED, "started_at": finished, "deadline_at": None, "saved_at": finished, "submitted_at": finished,
                         "score": 90.0, "pass_mark": course.pass_mark, "passed": True, "submitted_by": "learner"})
        pairs.append((user_id, course.id))
    _bulk(session, Enrolment, enrolments)
    _bulk(session, LessonProgress, progress)
    _bulk(session, Attempt, attempts)
    session.flush()
    return pairs
