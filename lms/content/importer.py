"""Import the curriculum files into the database: idempotent upsert by slug and title, one course at a time."""
from __future__ import annotations

import hashlib
import io
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lms.assessment.bank import fingerprint, to_data
from lms.assessment.models import Question
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.authoring.services import add_course_version
from lms.catalog.models import PUBLISHED, Course, CourseAsset, Lesson, Module
from lms.content.checks import Bundle, check_bundle, image_size, read_bank
from lms.content.files import CourseFile, find_banks, find_course_folders, read_course
from lms.content.gift import Problem
from lms.storage import FileStorage
from lms.text import fold


# audit actions on a course itself that change its content (not trainers assigned, reports exported or imports)
COURSE_EDITS = ("course.created", "course.updated", "course.published", "question_bank.gift_applied")
IMPORTED = "course.imported"


@dataclass(frozen=True)
class BrowserEdits:
    """Changes made to a course through the web pages since it was last imported."""

    count: int
    last: AuditEvent


@dataclass
class CourseReport:
    slug: str
    outcome: str = "unchanged"  # created | updated | unchanged | rejected | refused (edited in the browser)
    version: int | None = None
    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    browser_edits: BrowserEdits | None = None


def load_bundles(paths: list[Path], known_courses: set[str] = frozenset()) -> tuple[list[Bundle], list[Problem]]:
    """Parse and check every course (and its banks) under the paths. Problems outside a course come second."""
    folders = find_course_folders(paths)
    banks = find_banks(paths)
    stray: list[Problem] = []
    bundles: list[Bundle] = []
    slugs = {f.name for f in folders} | set(known_courses)
    for folder in folders:
        course, problems = read_course(folder)
        if course is None:
            bundles.append(Bundle(course=CourseFile(slug=folder.name, track="", version=1, title={}, summary={}, estimated_hours=1, pass_mark=80, certificate_validity_months=24, required_for_onboarding=False, prerequisites=[], questions_per_attempt=20, folder=folder), problems=problems))
            continue
        bundle = Bundle(course=course, problems=list(problems))
        for lang, path in banks.get(course.slug, {}).items():
            questions, bank_problems = read_bank(path)
            bundle.banks[lang] = questions
            bundle.bank_files[lang] = path
            bundle.problems.extend(bank_problems)
        check_bundle(bundle, slugs)
        bundles.append(bundle)
    for slug, files in banks.items():
        if slug not in {f.name for f in folders} and slug not in known_courses:
            for path in files.values():
                stray.append(Problem(str(path), 1, f"question bank for unknown course '{slug}'"))
    return bundles, stray


def _lesson_fingerprint(lesson) -> str:
    return fingerprint(lesson.position, {lang: (t.title, t.body, t.minutes, t.as_of, t.video) for lang, t in sorted(lesson.texts.items())})


def course_fingerprint(bundle: Bundle, asset_hashes: dict[str, str]) -> str:
    course = bundle.course
    return fingerprint(
        course.track, course.title, course.summary, course.estimated_hours, course.pass_mark,
        course.certificate_validity_months, course.required_for_onboarding, course.prerequisites,
        course.questions_per_attempt, course.require_reading_time,
        course.max_attempts, course.cooldown_hours, course.time_limit_minutes, course.show_correct_answers,
        [(m.slug, m.position, m.title, [(l.slug, _lesson_fingerprint(l)) for l in m.lessons]) for m in course.modules],
        {lang: [to_data(q) for q in questions] for lang, questions in sorted(bundle.banks.items())},
        sorted(asset_hashes.items()),
    )


def browser_edits(session: Session, course: Course) -> BrowserEdits | None:
    """Changes written to the audit log for this course, its modules, lessons, images and questions since its last import.

    The audit log is the record: editor pages write an event for every change and an import writes `course.imported`,
    so "edited since the last import" is any such event with a larger id.
    """
    since = session.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.action == IMPORTED, AuditEvent.object_type == "course", AuditEvent.object_id == str(course.id))) or 0
    module_ids = list(session.scalars(select(Module.id).where(Module.course_id == course.id)))
    parts = {
        "module": module_ids,
        "lesson": list(session.scalars(select(Lesson.id).where(Lesson.module_id.in_(module_ids)))) if module_ids else [],
        "asset": list(session.scalars(select(CourseAsset.id).where(CourseAsset.course_id == course.id))),
        "question": list(session.scalars(select(Question.id).where(Question.course_id == course.id))),
    }
    about = [and_(AuditEvent.object_type == "course", AuditEvent.object_id == str(course.id), AuditEvent.action.in_(COURSE_EDITS))]
    about += [and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_([str(i) for i in ids])) for kind, ids in parts.items() if ids]
    edits = select(AuditEvent).where(AuditEvent.id > since, or_(*about))
    count = session.scalar(select(func.count()).select_from(edits.subquery())) or 0
    if not count:
        return None
    return BrowserEdits(count=count, last=session.scalars(edits.order_by(AuditEvent.id.desc()).limit(1)).one())


def import_bundle(session: Session, bundle: Bundle, store: FileStorage | None, change_note: str = "", requires_recertification: bool = False,
                  overwrite_browser_edits: bool = False) -> CourseReport:
    """Upsert one checked course. Flushes, never commits; the caller commits or rolls back the course.

    store=None is a dry run: asset bytes are not written (the caller rolls the rows back). A course changed in the
    browser since its last import is left alone (outcome "refused") unless `overwrite_browser_edits`: the files would
    silently replace the trainers' lessons, settings and questions.
    """
    report = CourseReport(slug=bundle.course.slug)
    if bundle.problems:
        report.outcome, report.problems = "rejected", bundle.problems
        return report
    source = bundle.course
    asset_bytes = {name: path.read_bytes() for name, path in source.assets.items()}
    asset_hashes = {name: hashlib.sha256(data).hexdigest() for name, data in asset_bytes.items()}
    digest = course_fingerprint(bundle, asset_hashes)

    course = session.scalar(select(Course).where(Course.slug == source.slug))
    if course is not None and course.content_hash == digest:
        report.version = course.version
        return report
    if course is not None and not overwrite_browser_edits:
        report.browser_edits = browser_edits(session, course)
        if report.browser_edits is not None:
            report.outcome, report.version = "refused", course.version
            return report
    created = course is None
    if created:
        course = Course(slug=source.slug, status=PUBLISHED, version=source.version)
        session.add(course)
    course.track = source.track
    course.title_vi, course.title_en = source.title.get("vi", ""), source.title.get("en", "")
    course.summary_vi, course.summary_en = source.summary.get("vi", ""), source.summary.get("en", "")
    course.estimated_hours = source.estimated_hours
    course.pass_mark = source.pass_mark
    course.certificate_validity_months = source.certificate_validity_months
    course.required_for_onboarding = source.required_for_onboarding
    course.prerequisites = list(source.prerequisites)
    course.questions_per_attempt = source.questions_per_attempt
    course.require_reading_time = source.require_reading_time
    course.max_attempts = source.max_attempts
    course.cooldown_hours = source.cooldown_hours
    course.time_limit_minutes = source.time_limit_minutes
    course.show_correct_answers = source.show_correct_answers
    session.flush()

    lesson_ids = _sync_lessons(session, course, bundle, report)
    # search finds a course by its titles, summary, and the titles of its modules and lessons
    outline_titles = [text for m in source.modules for text in (*m.title.values(), *(t.title for l in m.lessons for t in l.texts.values()))]
    course.search_text = fold(" ".join([course.title_vi, course.title_en, course.summary_vi, course.summary_en, *outline_titles]))
    _sync_assets(session, course, asset_bytes, asset_hashes, store, report)
    _sync_questions(session, course, bundle, report)

    previous = course.versions[-1] if course.versions else None
    number = source.version if previous is None else max(previous.number + 1, source.version)
    add_course_version(session, course, number, lesson_ids, digest,
                       change_note=change_note or ("" if previous is None else "; ".join(report.changes)[:2000]),
                       requires_recertification=requires_recertification and previous is not None)
    report.outcome = "created" if created else "updated"
    report.version = number
    record(session, None, IMPORTED, "course", course.id, version=number, changes=len(report.changes))
    return report


def _sync_lessons(session: Session, course: Course, bundle: Bundle, report: CourseReport) -> list[int]:
    source = bundle.course
    modules = {m.slug: m for m in session.scalars(select(Module).where(Module.course_id == course.id))}
    seen_modules: set[str] = set()
    lesson_ids: list[int] = []
    for module_file in source.modules:
        seen_modules.add(module_file.slug)
        module = modules.get(module_file.slug)
        if module is None:
            module = Module(course_id=course.id, slug=module_file.slug, position=module_file.position, title_vi="")
            session.add(module)
            report.changes.append(f"module {module_file.slug} added")
        module.position = module_file.position
        module.title_vi, module.title_en = module_file.title.get("vi", ""), module_file.title.get("en", "")
        module.is_published = True
        session.flush()
        lessons = {l.slug: l for l in session.scalars(select(Lesson).where(Lesson.module_id == module.id))}
        seen_lessons: set[str] = set()
        for lesson_file in module_file.lessons:
            seen_lessons.add(lesson_file.slug)
            digest = _lesson_fingerprint(lesson_file)
            lesson = lessons.get(lesson_file.slug)
            if lesson is None:
                lesson = Lesson(module_id=module.id, slug=lesson_file.slug, position=lesson_file.position, title_vi="")
                session.add(lesson)
                report.changes.append(f"lesson {module_file.slug}/{lesson_file.slug} added")
            elif lesson.content_hash != digest or not lesson.is_published:
                report.changes.append(f"lesson {module_file.slug}/{lesson_file.slug} changed")
            vi, en = lesson_file.texts["vi"], lesson_file.texts.get("en")
            lesson.position = lesson_file.position
            lesson.is_published = True
            lesson.minutes = vi.minutes
            lesson.as_of = vi.as_of
            lesson.video_url = vi.video
            lesson.title_vi, lesson.body_vi = vi.title, vi.body
            lesson.html_vi = bundle.rendered[(module_file.slug, lesson_file.slug, "vi")]
            lesson.title_en = en.title if en else ""
            lesson.body_en = en.body if en else ""
            lesson.html_en = bundle.rendered.get((module_file.slug, lesson_file.slug, "en"), "")
            lesson.content_hash = digest
            session.flush()
            lesson_ids.append(lesson.id)
        for slug, lesson in lessons.items():
            if slug not in seen_lessons and lesson.is_published:
                lesson.is_published = False  # removed from the files: unpublished, never deleted
                report.changes.append(f"lesson {module_file.slug}/{slug} unpublished")
    for slug, module in modules.items():
        if slug not in seen_modules and module.is_published:
            module.is_published = False
            for lesson in module.lessons:
                lesson.is_published = False
            report.changes.append(f"module {slug} unpublished")
    return lesson_ids


def _sync_assets(session, course, asset_bytes, asset_hashes, store: FileStorage | None, report: CourseReport) -> None:
    existing = {a.name: a for a in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id))}
    for name, data in asset_bytes.items():
        asset = existing.get(name)
        if asset is not None and asset.sha256 == asset_hashes[name]:
            continue
        key = f"course-assets/{course.slug}/{asset_hashes[name]}"
        if store is not None:
            store.put(key, data)
        width, height = image_size(io.BytesIO(data))
        if asset is None:
            asset = CourseAsset(course_id=course.id, name=name)
            session.add(asset)
        asset.sha256, asset.size = asset_hashes[name], len(data)
        asset.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        asset.width, asset.height = width, height
        report.changes.append(f"asset {name} stored")
    session.flush()


def _sync_questions(session: Session, course: Course, bundle: Bundle, report: CourseReport) -> None:
    modules = {m.slug: m.id for m in session.scalars(select(Module).where(Module.course_id == course.id))}
    existing = {q.title: q for q in session.scalars(select(Question).where(Question.course_id == course.id))}
    english = {q.title: q for q in bundle.banks.get("en", [])}
    seen = set()
    for position, question in enumerate(bundle.banks.get("vi", []), 1):
        seen.add(question.title)
        data_vi = to_data(question)
        data_en = to_data(english[question.title]) if question.title in english else None
        digest = fingerprint(data_vi, data_en)
        row = existing.get(question.title)
        if row is None:
            row = Question(course_id=course.id, title=question.title)
            session.add(row)
            report.changes.append(f"question {question.title} added")
        elif row.content_hash != digest or row.is_retired:
            report.changes.append(f"question {question.title} changed")
        row.kind = question.kind
        row.module_id = modules.get(question.category or "")
        row.position = position
        row.data_vi, row.data_en = data_vi, data_en
        row.content_hash = digest
        row.is_retired = False
    for title, row in existing.items():
        if title not in seen and not row.is_retired:
            row.is_retired = True  # kept for past attempts, never drawn again
            report.changes.append(f"question {title} retired")
    session.flush()


def known_course_slugs(session: Session) -> set[str]:
    return set(session.scalars(select(Course.slug)))
