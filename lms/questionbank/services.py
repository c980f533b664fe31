"""Question bank operations: save from forms, retire and restore, plan and apply a GIFT upload, export GIFT.

Services flush and never commit; every change writes its audit entry in the same transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import groupby

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.bank import GRADED_KINDS, answer_shape, fingerprint, from_data, to_data
from lms.assessment.models import AttemptItem, Question
from lms.audit.services import record
from lms.catalog.models import Course, Module
from lms.cohorts.access import can_edit_course
from lms.content.gift import GiftError, check_question, parse_gift, write_gift
from lms.content.gift import Question as GiftQuestion
from lms.core.pagination import paginate
from lms.core.templating import Page

LANGS = ("vi", "en")
TITLE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_TITLE = 120  # questions.title is String(120)
MAX_GIFT_CHARS = 1_000_000  # a shipped bank is about 20,000 characters
GIFT_SUFFIXES = (".gift", ".txt")
ADDED, CHANGED, UNCHANGED, MISSING = "added", "changed", "unchanged", "missing"
_SNIPPET = 400


@dataclass(frozen=True)
class Issue:
    """Something wrong with a question or an upload: a code the page words in the reader's language, and where."""

    code: str
    detail: str = ""  # a title, a category, a limit, or the parser's / checker's own English text
    lang: str = ""
    file: str = ""
    line: int = 0


class QuestionRejected(Exception):
    def __init__(self, issues: list[Issue]):
        super().__init__(", ".join(issue.code for issue in issues))
        self.issues = issues


class EditConflict(Exception):
    """The question was saved by someone else since the form was loaded."""

    def __init__(self, revision: int):
        super().__init__(f"the question is at revision {revision}")
        self.revision = revision


# --------------------------------------------------------------------------- reading the bank


def editable_course(session: Session, user: User, slug: str) -> Course | None:
    """The course with this slug if the user may edit it (admins: any; trainers: courses assigned to them)."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_edit_course(session, user, course.id):
        return None
    return course


def course_modules(session: Session, course_id: int) -> list[Module]:
    return list(session.scalars(select(Module).where(Module.course_id == course_id).order_by(Module.position, Module.id)))


def get_question(session: Session, course_id: int, question_id: int) -> Question | None:
    question = session.get(Question, question_id)
    return question if question is not None and question.course_id == course_id else None


def _in_bank_order(statement: Select) -> Select:
    """Module by module (questions without a module last), then as placed in the bank."""
    return statement.outerjoin(Module, Module.id == Question.module_id).order_by(
        Question.module_id.is_(None), Module.position, Question.position, Question.id)


def bank_page(session: Session, course_id: int, include_retired: bool, page: int, per_page: int) -> Page:
    """One page of a course's questions in bank order; retired ones only when asked for."""
    statement = select(Question).where(Question.course_id == course_id)
    if not include_retired:
        statement = statement.where(Question.is_retired.is_(False))
    return paginate(session, _in_bank_order(statement), page, per_page)


def group_by_module(questions: list[Question], modules: list[Module]) -> list[tuple[Module | None, list[Question]]]:
    """Consecutive questions of one module together (the input is in bank order)."""
    by_id = {module.id: module for module in modules}
    return [(by_id.get(module_id), list(group)) for module_id, group in groupby(questions, key=lambda q: q.module_id)]


def usage_counts(session: Session, question_ids: list[int]) -> dict[int, int]:
    """How many attempt items (drawn copies in learners' attempts) refer to each question."""
    if not question_ids:
        return {}
    rows = session.execute(select(AttemptItem.question_id, func.count()).where(AttemptItem.question_id.in_(question_ids))
                           .group_by(AttemptItem.question_id))
    return {question_id: count for question_id, count in rows}


def question_type(data: dict) -> str:
    """The form a stored question is edited with: its kind, or 'missing' for a missing-word choice question."""
    if data.get("kind") in ("single", "multiple") and data.get("text_after") is not None:
        return "missing"
    return data.get("kind", "")


def short_text(data: dict, limit: int = 90) -> str:
    """The question's text on one line, the blank of a missing-word question shown as ___, cut to `limit`."""
    text = data.get("text", "")
    if data.get("text_after") is not None:
        text = f"{text} ___ {data['text_after']}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def gift_snippet(data: dict | None) -> str:
    """A question as GIFT without its title, cut short: what a trainer compares in the upload preview."""
    if data is None:
        return ""
    try:
        text = write_gift([replace(from_data(data), title="", category=None)]).strip()
    except ValueError:  # data the writer cannot express: show its text only
        text = short_text(data, _SNIPPET)
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


# --------------------------------------------------------------------------- saving from a form


def question_issues(vi: GiftQuestion, en: GiftQuestion | None) -> list[Issue]:
    """What keeps a question from being saved: its answer key in each language, and the same answers in both."""
    issues = [] if vi.kind in GRADED_KINDS else [Issue("kind", vi.kind)]
    for lang, question in (("vi", vi), ("en", en)):
        if question is not None:
            issues += [Issue("answer_key", text, lang) for text in check_question(question)]
    if en is not None and answer_shape(vi) != answer_shape(en):
        issues.append(Issue("shape_mismatch", lang="en"))
    return issues


def _module_of(session: Session, course_id: int, module_id: int | None) -> Module | None:
    module = session.get(Module, module_id) if module_id is not None else None
    return module if module is not None and module.course_id == course_id else None


def _stored(title: str, module: Module, vi: GiftQuestion, en: GiftQuestion | None) -> tuple[dict, dict | None]:
    """The JSON kept per language; the category is always the module, as the GIFT export writes it."""
    data_vi = to_data(replace(vi, title=title, category=module.slug))
    data_en = to_data(replace(en, title=title, category=module.slug)) if en is not None else None
    return data_vi, data_en


def _fill(question: Question, module_id: int | None, data_vi: dict, data_en: dict | None) -> None:
    question.kind = data_vi["kind"]
    question.module_id = module_id
    question.data_vi, question.data_en = data_vi, data_en
    question.content_hash = fingerprint(data_vi, data_en)


def _next_position(session: Session, course_id: int) -> int:
    return (session.scalar(select(func.max(Question.position)).where(Question.course_id == course_id)) or 0) + 1


def create_question(session: Session, course: Course, actor_id: int, title: str, module_id: int | None,
                    vi: GiftQuestion, en: GiftQuestion | None) -> Question:
    """Add a question to a course's bank; raises QuestionRejected listing every issue."""
    issues = question_issues(vi, en)
    module = _module_of(session, course.id, module_id)
    if module is None:
        issues.insert(0, Issue("unknown_module"))
    if len(title) > MAX_TITLE or not re.fullmatch(TITLE_PATTERN, title):
        issues.insert(0, Issue("title_format"))
    elif session.scalar(select(Question.id).where(Question.course_id == course.id, Question.title == title)):
        issues.insert(0, Issue("title_taken", title))
    if issues:
        raise QuestionRejected(issues)
    question = Question(course_id=course.id, title=title, position=_next_position(session, course.id), revision=1, is_retired=False)
    _fill(question, module.id, *_stored(title, module, vi, en))
    session.add(question)
    session.flush()
    record(session, actor_id, "question.created", "question", question.id, course=course.slug, title=title, kind=question.kind)
    return question


def update_question(session: Session, question: Question, actor_id: int, module_id: int | None,
                    vi: GiftQuestion, en: GiftQuestion | None, expected_revision: int) -> Question:
    """Save new content over the revision the editor loaded; EditConflict if someone saved in between."""
    issues = question_issues(vi, en)
    module = _module_of(session, question.course_id, module_id)
    if module is None:
        issues.insert(0, Issue("unknown_module"))
    if issues:
        raise QuestionRejected(issues)
    data_vi, data_en = _stored(question.title, module, vi, en)
    # One conditional UPDATE: of two saves based on the same revision, only the first matches a row.
    result = session.execute(
        update(Question)
        .where(Question.id == question.id, Question.revision == expected_revision)
        .values(kind=data_vi["kind"], module_id=module.id, data_vi=data_vi, data_en=data_en,
                content_hash=fingerprint(data_vi, data_en), revision=expected_revision + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(question)
    if result.rowcount != 1:
        raise EditConflict(question.revision)
    record(session, actor_id, "question.updated", "question", question.id, title=question.title, revision=expected_revision + 1)
    return question


def _set_retired(session: Session, question: Question, actor_id: int, retired: bool) -> bool:
    if question.is_retired == retired:
        return False
    question.is_retired = retired
    session.flush()
    record(session, actor_id, "question.retired" if retired else "question.restored", "question", question.id, title=question.title)
    return True


def retire_question(session: Session, question: Question, actor_id: int) -> bool:
    """Stop drawing a question; attempts that drew it keep their copy. False if it was already retired."""
    return _set_retired(session, question, actor_id, True)


def restore_question(session: Session, question: Question, actor_id: int) -> bool:
    """Let a retired question be drawn again. False if it was not retired."""
    return _set_retired(session, question, actor_id, False)


# --------------------------------------------------------------------------- GIFT download


def export_gift(session: Session, course: Course, lang: str) -> str:
    """The active questions of a course in one language as GIFT, module by module ($CATEGORY = module slug)."""
    slugs = {module.id: module.slug for module in course_modules(session, course.id)}
    statement = _in_bank_order(select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False)))
    questions = []
    for row in session.scalars(statement):
        data = row.data_en if lang == "en" else row.data_vi
        if data:
            questions.append(replace(from_data(data), title=row.title, category=slugs.get(row.module_id)))
    return write_gift(questions)


# --------------------------------------------------------------------------- GIFT upload


@dataclass(frozen=True)
class GiftFile:
    lang: str
    name: str
    text: str


def read_gift_upload(lang: str, name: str, content: bytes | str) -> tuple[GiftFile | None, list[Issue]]:
    """Check an uploaded bank's name, encoding and size; the text has its line ends made '\\n'."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:100]
    if not name.lower().endswith(GIFT_SUFFIXES):
        return None, [Issue("file_type", lang=lang, file=name or "?", line=1)]
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            return None, [Issue("not_utf8", lang=lang, file=name, line=1)]
    # a browser sends a textarea back with CRLF line ends: normalise so the text fingerprints the same
    text = content.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_GIFT_CHARS:
        return None, [Issue("too_large", f"{MAX_GIFT_CHARS:,}", lang, name, 1)]
    return GiftFile(lang, name, text), []


@dataclass
class PlanRow:
    """One question of the upload (or of the bank, when missing from the upload) and what applying does to it."""

    title: str
    outcome: str  # added | changed | unchanged | missing
    kind: str  # question_type()
    module: str | None
    changes: tuple[str, ...] = ()  # vi, en, module, restored, no_english
    before: dict[str, str] = field(default_factory=dict)  # lang -> GIFT snippet
    after: dict[str, str] = field(default_factory=dict)
    question_id: int | None = None
    module_id: int | None = field(default=None, repr=False)
    data_vi: dict | None = field(default=None, repr=False)
    data_en: dict | None = field(default=None, repr=False)


@dataclass
class BankPlan:
    """What an upload would change; computed again on apply from the re-sent text, never trusted from the preview."""

    rows: list[PlanRow]
    issues: list[Issue]
    digest: str  # the files and the bank as they were: a preview of other data cannot be applied
    files: tuple[str, ...]
    retired: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in (ADDED, CHANGED, UNCHANGED, MISSING)}


class PlanRejected(Exception):
    def __init__(self, plan: BankPlan):
        super().__init__(f"{len(plan.issues)} problems")
        self.plan = plan


class PlanOutdated(Exception):
    def __init__(self, plan: BankPlan):
        super().__init__("the bank or the files changed since the preview")
        self.plan = plan


def _parse_upload(upload: GiftFile, modules: set[str], issues: list[Issue]) -> dict[str, GiftQuestion]:
    """The file's questions by title, after the checks `check_banks` makes on shipped banks."""
    try:
        questions = parse_gift(upload.text, upload.name)
    except GiftError as error:
        issues += [Issue("syntax", p.message, upload.lang, p.file, p.line) for p in error.problems]
        return {}
    seen: dict[str, GiftQuestion] = {}
    for question in questions:
        where = {"lang": upload.lang, "file": upload.name, "line": question.line}
        if not question.title:
            issues.append(Issue("no_title", **where))
        elif len(question.title) > MAX_TITLE:
            issues.append(Issue("title_too_long", question.title[:40], **where))
        elif question.title in seen:
            issues.append(Issue("duplicate_title", question.title, **where))
        else:
            seen[question.title] = question
            if question.category not in modules:
                issues.append(Issue("unknown_category", question.category or "", **where))
            issues += [Issue("answer_key", text, **where) for text in check_question(question)]
    return seen


def _pair(parsed: dict[str, dict[str, GiftQuestion]], files: dict[str, GiftFile], stored: dict[str, Question],
          slug_of: dict[int, str], issues: list[Issue]) -> list[tuple[GiftQuestion, GiftQuestion | None]]:
    """(vi, en) per title; a language not uploaded comes from the bank, and must have the same answers."""
    vi, en = parsed.get("vi"), parsed.get("en")
    pairs = []
    if vi is not None:
        for title, question in vi.items():
            if en is not None:
                other = en.get(title)
                if other is None:
                    issues.append(Issue("no_english", title, "vi", files["vi"].name, question.line))
                    continue
                where = ("en", files["en"].name, other.line)
                if answer_shape(other) != answer_shape(question):
                    issues.append(Issue("shape_mismatch_title", title, *where))
                elif other.category != question.category:
                    issues.append(Issue("category_mismatch", title, *where))
            else:
                row = stored.get(title)
                other = replace(from_data(row.data_en), category=question.category) if row is not None and row.data_en else None
                if other is not None and answer_shape(other) != answer_shape(question):
                    issues.append(Issue("stored_shape_mismatch", title, "vi", files["vi"].name, question.line))
            pairs.append((question, other))
        for title, question in (en or {}).items():
            if title not in vi:
                issues.append(Issue("no_vietnamese", title, "en", files["en"].name, question.line))
        return pairs
    for title, question in (en or {}).items():
        row = stored.get(title)
        where = ("en", files["en"].name, question.line)
        if row is None:
            issues.append(Issue("no_vietnamese", title, *where))
            continue
        base = from_data(row.data_vi)
        if answer_shape(base) != answer_shape(question):
            issues.append(Issue("stored_shape_mismatch", title, *where))
        elif question.category != slug_of.get(row.module_id):
            issues.append(Issue("category_mismatch", title, *where))
        pairs.append((replace(base, category=question.category), question))
    return pairs


def _plan_row(vi: GiftQuestion, en: GiftQuestion | None, row: Question | None, module: Module) -> PlanRow:
    data_vi, data_en = to_data(vi), to_data(en) if en is not None else None
    after = {"vi": gift_snippet(data_vi), "en": gift_snippet(data_en)}
    common = {"kind": question_type(data_vi), "module": module.slug, "after": after, "module_id": module.id,
              "data_vi": data_vi, "data_en": data_en}
    if row is None:
        return PlanRow(vi.title, ADDED, changes=() if en else ("no_english",), **common)
    changes = [lang for lang, old, new in (("vi", row.data_vi, data_vi), ("en", row.data_en, data_en)) if fingerprint(old) != fingerprint(new)]
    if row.module_id != module.id:
        changes.append("module")
    if row.is_retired:
        changes.append("restored")
    before = {"vi": gift_snippet(row.data_vi), "en": gift_snippet(row.data_en)}
    return PlanRow(vi.title, CHANGED if changes else UNCHANGED, changes=tuple(changes), before=before, question_id=row.id, **common)


def plan_gift(session: Session, course: Course, uploads: list[GiftFile], issues: list[Issue] | None = None) -> BankPlan:
    """Compare uploaded GIFT files with the bank, matching questions by title. Writes nothing.

    `issues` are problems found while reading the files; with any issue the plan has no rows.
    """
    issues = list(issues or [])
    modules = course_modules(session, course.id)
    by_slug = {module.slug: module for module in modules}
    slug_of = {module.id: module.slug for module in modules}
    stored = {row.title: row for row in session.scalars(
        select(Question).where(Question.course_id == course.id).order_by(Question.position, Question.id))}
    files = {upload.lang: upload for upload in uploads}
    digest = fingerprint(sorted((u.lang, u.name, u.text) for u in uploads),
                         sorted((r.id, r.revision, r.is_retired, r.module_id, r.content_hash) for r in stored.values()))
    names = tuple(upload.name for upload in uploads)
    if not uploads and not issues:
        issues.append(Issue("nothing"))
    parsed = {lang: _parse_upload(upload, set(by_slug), issues) for lang, upload in files.items()}
    pairs = _pair(parsed, files, stored, slug_of, issues) if not issues else []
    if issues:
        return BankPlan([], issues, digest, names)
    rows = [_plan_row(vi, en, stored.get(vi.title), by_slug[vi.category]) for vi, en in pairs]
    in_upload = {row.title for row in rows}
    rows += [PlanRow(title, MISSING, question_type(row.data_vi), slug_of.get(row.module_id), question_id=row.id,
                     before={"vi": gift_snippet(row.data_vi), "en": gift_snippet(row.data_en)})
             for title, row in stored.items() if title not in in_upload and not row.is_retired]
    return BankPlan(rows, [], digest, names)


def apply_gift(session: Session, course: Course, actor_id: int, uploads: list[GiftFile], retire_titles: set[str],
               expected_digest: str, issues: list[Issue] | None = None) -> BankPlan:
    """Write an upload's plan: add, change (a new revision; retired ones come back), and retire the chosen missing ones.

    The plan is made again from the uploaded text: PlanRejected if it has problems, PlanOutdated if the
    files or the bank differ from the preview the trainer confirmed.
    """
    plan = plan_gift(session, course, uploads, issues)
    if plan.issues:
        raise PlanRejected(plan)
    if plan.digest != expected_digest:
        raise PlanOutdated(plan)
    position = _next_position(session, course.id)
    for row in plan.rows:
        if row.outcome == ADDED:
            question = Question(course_id=course.id, title=row.title, position=position, revision=1, is_retired=False)
            position += 1
            _fill(question, row.module_id, row.data_vi, row.data_en)
            session.add(question)
        elif row.outcome == CHANGED:
            question = session.get(Question, row.question_id)
            _fill(question, row.module_id, row.data_vi, row.data_en)
            question.revision += 1
            question.is_retired = False
        elif row.outcome == MISSING and row.title in retire_titles:
            session.get(Question, row.question_id).is_retired = True
            plan.retired.append(row.title)
    session.flush()
    record(session, actor_id, "question_bank.gift_applied", "course", course.id, files=list(plan.files),
           added=plan.count(ADDED), changed=plan.count(CHANGED), unchanged=plan.count(UNCHANGED), retired=len(plan.retired))
    return plan
