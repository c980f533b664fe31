"""Authoring services: courses, modules, lessons, images and versions written in the browser. They flush, never commit."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timezone
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Role, User
from lms.assessment.bank import fingerprint
from lms.assessment.models import Question
from lms.audit.services import record
from lms.authoring.images import clean_image, image_name
from lms.catalog.learning_models import Enrolment, LessonProgress
from lms.catalog.models import DRAFT, PUBLISHED, Course, CourseAsset, CourseVersion, Lesson, Module
from lms.catalog.services import outline
from lms.cohorts.access import assign_course_trainer, course_ids_of
from lms.cohorts.models import CourseTrainer
from lms.content.checks import _resolver as lesson_link_resolver  # the importer's rules for links between lessons
from lms.content.checks import asset_url
from lms.content.render import AssetInfo, Rendered, render_markdown
from lms.db import utcnow
from lms.storage import FileStorage
from lms.text import fold, nfc

LANGS = ("vi", "en")
UP, DOWN = "up", "down"


class SlugTaken(Exception):
    """Another course (or module, or lesson of the same module) already uses this slug."""


@dataclass(eq=False)  # exceptions stay hashable
class EditConflict(Exception):
    """Someone saved the row after the editor loaded it."""

    saved_at: datetime | None


@dataclass(eq=False)  # exceptions stay hashable
class MarkdownProblems(Exception):
    """Broken images or links in the lesson text."""

    problems: dict[str, list[str]]  # {lang: [problem, ...]}


@dataclass(frozen=True)
class ContentUse:
    """What ties a lesson (or a module and its lessons) to learners."""

    published: bool = False  # in a published course version, or live now
    learners: int = 0  # learners with a progress row or a "last lesson" pointing at it
    questions: int = 0  # questions filed under the module (modules only)

    @property
    def fixed(self) -> bool:
        return self.published or bool(self.learners or self.questions)


@dataclass(eq=False)  # exceptions stay hashable
class PlaceFixed(Exception):
    """A lesson or module that learners may have seen stays where it is: `use` says why."""

    use: ContentUse


@dataclass(eq=False)  # exceptions stay hashable
class NothingToPublish(Exception):
    reason: str  # no_lessons (the course has no lesson yet) or no_changes (same content as the last version)


@dataclass(frozen=True)
class CourseSettings:
    """Everything about a course a trainer may edit, except its slug (fixed: addresses and stored files use it)."""

    track: str
    title_vi: str
    title_en: str
    summary_vi: str
    summary_en: str
    estimated_hours: float
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int
    cooldown_hours: int
    time_limit_minutes: int
    certificate_validity_months: int
    required_for_onboarding: bool


@dataclass(frozen=True)
class LessonDraft:
    """A lesson as typed in the editor; titles and bodies by language."""

    titles: dict[str, str]
    bodies: dict[str, str]
    minutes: int
    as_of: date | None = None
    video_url: str | None = None


# --- courses -----------------------------------------------------------------------------------------------

def editable_courses(session: Session, user: User) -> list[Course]:
    """The courses a user may edit (admins: all), drafts first, then by title."""
    query = select(Course).order_by(Course.status == PUBLISHED, Course.title_vi)
    course_ids = course_ids_of(session, user)
    if course_ids is not None:
        query = query.where(Course.id.in_(course_ids))
    return list(session.scalars(query))


def create_course(session: Session, slug: str, settings: CourseSettings, actor_id: int) -> Course:
    """A new draft course (version 0, no version row yet); its creator becomes one of its trainers."""
    if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise SlugTaken(slug)
    course = Course(slug=slug, status=DRAFT, version=0, prerequisites=[])
    _apply(course, _clean_settings(settings))
    session.add(course)
    session.flush()
    refresh_search_text(session, course)
    assign_course_trainer(session, course.id, actor_id, assigned_by=actor_id)
    record(session, actor_id, "course.created", "course", course.id, slug=slug)
    return course


def course_settings(course: Course) -> CourseSettings:
    return CourseSettings(**{f.name: getattr(course, f.name) for f in fields(CourseSettings)})


def update_course(session: Session, course: Course, settings: CourseSettings, loaded_revision: int, actor_id: int) -> list[str]:
    """Save a course's settings if nobody saved them since `loaded_revision`; returns the names of the changed settings."""
    _ensure_revision(course, loaded_revision)
    settings = _clean_settings(settings)
    changed = [name for name, value in asdict(settings).items() if getattr(course, name) != value]
    if not changed:
        return []
    _claim_revision(session, course, loaded_revision)
    _apply(course, settings)
    session.flush()
    refresh_search_text(session, course)
    record(session, actor_id, "course.updated", "course", course.id, changed=changed)
    return changed


def refresh_search_text(session: Session, course: Course) -> None:
    """Search finds a course by its titles, summaries and the titles of its published modules and lessons (as the importer does)."""
    titles = [text for module, lessons in outline(session, course)
              for text in (module.title_vi, module.title_en, *(t for lesson in lessons for t in (lesson.title_vi, lesson.title_en)))]
    course.search_text = fold(" ".join([course.title_vi, course.title_en, course.summary_vi, course.summary_en, *titles]))


def _clean_settings(settings: CourseSettings) -> CourseSettings:
    texts = {name: nfc((getattr(settings, name) or "").strip()) for name in ("title_vi", "title_en", "summary_vi", "summary_en")}
    return CourseSettings(**{**asdict(settings), **texts})


def _apply(course: Course, settings: CourseSettings) -> None:
    for name, value in asdict(settings).items():
        setattr(course, name, value)


def _ensure_revision(row: Course | Lesson, loaded_revision: int) -> None:
    if row.revision != loaded_revision:
        raise EditConflict(row.updated_at)


def _claim_revision(session: Session, row: Course | Lesson, loaded_revision: int) -> None:
    """Bump the row's revision only if it is still the one the editor loaded: of two saves from the same page, one wins."""
    model = type(row)
    claimed = session.execute(
        update(model).where(model.id == row.id, model.revision == loaded_revision).values(revision=loaded_revision + 1)
    ).rowcount
    if claimed != 1:
        session.refresh(row)
        raise EditConflict(row.updated_at)


# --- outline: modules and lessons ---------------------------------------------------------------------------

def editor_outline(session: Session, course: Course) -> list[Module]:
    """Every module of a course with its lessons, published or not, in order (two queries)."""
    query = select(Module).where(Module.course_id == course.id).order_by(Module.position, Module.id).options(selectinload(Module.lessons))
    return list(session.scalars(query))


def add_module(session: Session, course: Course, slug: str, title_vi: str, title_en: str, actor_id: int) -> Module:
    """A new module at the end; unpublished until the course's next publication."""
    if session.scalar(select(Module.id).where(Module.course_id == course.id, Module.slug == slug)) is not None:
        raise SlugTaken(slug)
    last = session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id)) or 0
    module = Module(course=course, slug=slug, position=last + 1, title_vi=nfc(title_vi.strip()), title_en=nfc(title_en.strip()), is_published=False)
    session.add(module)
    session.flush()
    record(session, actor_id, "module.created", "module", module.id, course_id=course.id, slug=slug)
    return module


def rename_module(session: Session, module: Module, title_vi: str, title_en: str, actor_id: int) -> None:
    module.title_vi, module.title_en = nfc(title_vi.strip()), nfc(title_en.strip())
    session.flush()
    refresh_search_text(session, module.course)
    record(session, actor_id, "module.updated", "module", module.id, course_id=module.course_id)


def add_lesson(session: Session, module: Module, slug: str, title_vi: str, title_en: str, actor_id: int) -> Lesson:
    """A new empty lesson at the end of a module; unpublished until the course's next publication."""
    if session.scalar(select(Lesson.id).where(Lesson.module_id == module.id, Lesson.slug == slug)) is not None:
        raise SlugTaken(slug)
    last = session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == module.id)) or 0
    titles, now = {"vi": nfc(title_vi.strip()), "en": nfc(title_en.strip())}, utcnow()
    lesson = Lesson(module=module, slug=slug, position=last + 1, is_published=False, minutes=5,
                    title_vi=titles["vi"], title_en=titles["en"], body_vi="", body_en="", html_vi="", html_en="",
                    content_hash=_lesson_hash(LessonDraft(titles, {"vi": "", "en": ""}, 5)),
                    vi_changed_at=now, en_changed_at=now if titles["en"] else None)
    session.add(lesson)
    session.flush()
    record(session, actor_id, "lesson.created", "lesson", lesson.id, course_id=module.course_id, module=module.slug, slug=slug)
    return lesson


def move(session: Session, row: Module | Lesson, direction: str, actor_id: int) -> bool:
    """Swap a module (within its course) or a lesson (within its module) with its neighbour up or down; False at the edge."""
    model = type(row)
    parent = Module.course_id if model is Module else Lesson.module_id
    siblings = list(session.scalars(select(model).where(parent == getattr(row, parent.key)).order_by(model.position, model.id)))
    index = siblings.index(row)
    target = index - 1 if direction == UP else index + 1
    if direction not in (UP, DOWN) or not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings, 1):  # renumber: positions stay 1..n without gaps or ties
        sibling.position = position
    kind = model.__name__.lower()
    record(session, actor_id, f"{kind}.moved", kind, row.id, direction=direction, position=row.position)
    return True


# --- moving between modules and deleting: only what learners never saw -----------------------------------------
#
# A lesson that was ever published is listed by a course version (progress and certificates are computed from those
# lists) and has an address learners may have bookmarked; a progress row or an enrolment's "last lesson" points at it
# by id. Such a lesson keeps its id and its module, so it is neither moved to another module nor deleted: its text is
# edited and the change published, as before. What was never published (every lesson of a draft, the new lessons of a
# published course waiting for the next version) can move or go.

def lesson_use(session: Session, lessons: list[Lesson]) -> ContentUse:
    """Whether any of these lessons was published or has learner progress (two small queries)."""
    if not lessons:
        return ContentUse()
    ids = {lesson.id for lesson in lessons}
    course_id = lessons[0].module.course_id
    listed = {lesson_id for (ids_of_version,) in session.execute(select(CourseVersion.lesson_ids).where(CourseVersion.course_id == course_id))
              for lesson_id in ids_of_version}
    published = bool(ids & listed) or any(lesson.is_published for lesson in lessons)
    progress = select(LessonProgress.user_id).where(LessonProgress.lesson_id.in_(ids))
    last = select(Enrolment.user_id).where(Enrolment.last_lesson_id.in_(ids))
    learners = session.scalar(select(func.count()).select_from(progress.union(last).subquery())) or 0
    return ContentUse(published=published, learners=learners)


def module_use(session: Session, module: Module) -> ContentUse:
    """Why a module cannot be deleted: its lessons' use, a publication of its own, or questions filed under it."""
    use = lesson_use(session, list(module.lessons))
    questions = session.scalar(select(func.count()).select_from(Question).where(Question.module_id == module.id)) or 0
    return ContentUse(published=use.published or module.is_published, learners=use.learners, questions=questions)


def move_lesson_to_module(session: Session, lesson: Lesson, target: Module, actor_id: int) -> bool:
    """Put a never-published lesson at the end of another module of its course; False if it is there already.

    Raises PlaceFixed for a lesson learners may have seen, SlugTaken if the target module has a lesson of the same slug.
    """
    source = lesson.module
    if target.id == source.id:
        return False
    if target.course_id != source.course_id:
        raise ValueError("a lesson moves only within its course")
    use = lesson_use(session, [lesson])
    if use.fixed:
        raise PlaceFixed(use)
    if session.scalar(select(Lesson.id).where(Lesson.module_id == target.id, Lesson.slug == lesson.slug)) is not None:
        raise SlugTaken(lesson.slug)
    last = session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == target.id)) or 0
    lesson.module, lesson.position = target, last + 1
    session.flush()
    _renumber(session, Lesson, Lesson.module_id == source.id)
    record(session, actor_id, "lesson.moved", "lesson", lesson.id, course_id=source.course_id, from_module=source.slug, to_module=target.slug)
    return True


def delete_lesson(session: Session, lesson: Lesson, actor_id: int) -> None:
    """Delete a never-published lesson with its text; raises PlaceFixed for one learners may have seen."""
    use = lesson_use(session, [lesson])
    if use.fixed:
        raise PlaceFixed(use)
    module = lesson.module
    record(session, actor_id, "lesson.deleted", "lesson", lesson.id, course_id=module.course_id, module=module.slug, slug=lesson.slug,
           title_vi=lesson.title_vi, title_en=lesson.title_en)
    module.lessons.remove(lesson)
    session.delete(lesson)
    session.flush()
    _renumber(session, Lesson, Lesson.module_id == module.id)


def delete_module(session: Session, module: Module, actor_id: int) -> list[str]:
    """Delete a never-published module and its lessons (returns their slugs).

    Raises PlaceFixed if a lesson was published or has progress, or if questions are filed under the module (they
    would lose the module that attempts draw them by: the trainer moves or keeps them deliberately).
    """
    use = module_use(session, module)
    if use.fixed:
        raise PlaceFixed(use)
    course = module.course
    slugs = [lesson.slug for lesson in module.lessons]
    record(session, actor_id, "module.deleted", "module", module.id, course_id=course.id, slug=module.slug, lessons=slugs,
           title_vi=module.title_vi, title_en=module.title_en)
    for lesson in list(module.lessons):
        session.delete(lesson)
    session.flush()
    session.delete(module)
    session.flush()
    _renumber(session, Module, Module.course_id == course.id)
    return slugs


def _renumber(session: Session, model: type[Module] | type[Lesson], siblings_filter) -> None:
    """Positions 1..n again after a row left, without gaps or ties."""
    for position, row in enumerate(session.scalars(select(model).where(siblings_filter).order_by(model.position, model.id)), 1):
        row.position = position
    session.flush()


# --- lessons -------------------------------------------------------------------------------------------------

def render_lesson_bodies(session: Session, lesson: Lesson, bodies: dict[str, str], url_of_asset: Callable[[str], str]) -> dict[str, Rendered]:
    """Render each language's Markdown with the import's sanitiser; images resolve to `url_of_asset(name)`."""
    module = lesson.module
    assets = {a.name: a for a in session.scalars(select(CourseAsset).where(CourseAsset.course_id == module.course_id))}

    def resolve_asset(name: str) -> AssetInfo | None:
        asset = assets.get(name)
        return AssetInfo(url_of_asset(name), asset.width, asset.height) if asset else None

    return {lang: render_markdown(bodies[lang], resolve_asset, lesson_link_resolver(module.course, module, lang)) for lang in LANGS}


def preview_lesson(session: Session, lesson: Lesson, draft: LessonDraft, url_of_asset: Callable[[str], str]) -> dict[str, Rendered]:
    """Render the typed text exactly as saving would, without saving anything."""
    return render_lesson_bodies(session, lesson, _clean_draft(draft).bodies, url_of_asset)


def save_lesson(session: Session, lesson: Lesson, draft: LessonDraft, loaded_revision: int, actor_id: int) -> list[str]:
    """Save a lesson edited from `loaded_revision`: render both languages once, note which language changed; returns changed fields.

    Raises EditConflict if someone saved it since, MarkdownProblems if an image or link is broken.
    """
    _ensure_revision(lesson, loaded_revision)
    draft = _clean_draft(draft)
    course = lesson.module.course
    rendered = render_lesson_bodies(session, lesson, draft.bodies, lambda name: asset_url(course.slug, name))
    problems = {lang: r.problems for lang, r in rendered.items() if r.problems}
    if problems:
        raise MarkdownProblems(problems)
    changed = _lesson_changes(lesson, draft)
    if not changed:
        return []
    _claim_revision(session, lesson, loaded_revision)
    now = utcnow()
    for lang in LANGS:
        if {f"title_{lang}", f"body_{lang}"} & set(changed):
            setattr(lesson, f"{lang}_changed_at", now)
        setattr(lesson, f"title_{lang}", draft.titles[lang])
        setattr(lesson, f"body_{lang}", draft.bodies[lang])
        setattr(lesson, f"html_{lang}", rendered[lang].html)
    lesson.minutes, lesson.as_of, lesson.video_url = draft.minutes, draft.as_of, draft.video_url
    lesson.content_hash = _lesson_hash(draft)
    session.flush()
    if {"title_vi", "title_en"} & set(changed):
        refresh_search_text(session, course)
    record(session, actor_id, "lesson.updated", "lesson", lesson.id, course_id=course.id, changed=changed, revision=lesson.revision)
    return changed


def lesson_warnings(lesson: Lesson) -> list[str]:
    """What a trainer should know about a stored lesson: empty_vi, empty_en, en_older, vi_older.

    A language never changed in the editor (imported text) counts as older than one that was.
    """
    empty = [lang for lang in LANGS if not getattr(lesson, f"body_{lang}").strip()]
    changed = {lang: getattr(lesson, f"{lang}_changed_at") or datetime.min.replace(tzinfo=timezone.utc) for lang in LANGS}
    older = [] if empty or changed["vi"] == changed["en"] else [min(LANGS, key=changed.get)]
    return [f"empty_{lang}" for lang in empty] + [f"{lang}_older" for lang in older]


def _clean_draft(draft: LessonDraft) -> LessonDraft:
    """Text as stored: NFC, Unix line ends, bodies ending with one newline (the same as imported files)."""
    bodies = {lang: nfc(draft.bodies[lang].replace("\r\n", "\n").strip()) for lang in LANGS}
    return LessonDraft(
        titles={lang: nfc(draft.titles[lang].strip()) for lang in LANGS},
        bodies={lang: body + "\n" if body else "" for lang, body in bodies.items()},
        minutes=draft.minutes, as_of=draft.as_of, video_url=(draft.video_url or "").strip() or None,
    )


def _lesson_changes(lesson: Lesson, draft: LessonDraft) -> list[str]:
    new = {"minutes": draft.minutes, "as_of": draft.as_of, "video_url": draft.video_url}
    for lang in LANGS:
        new[f"title_{lang}"], new[f"body_{lang}"] = draft.titles[lang], draft.bodies[lang]
    return [name for name, value in new.items() if getattr(lesson, name) != value]


def _lesson_hash(draft: LessonDraft) -> str:
    return fingerprint({lang: (draft.titles[lang], draft.bodies[lang], draft.minutes, draft.as_of, draft.video_url) for lang in LANGS})


# --- images --------------------------------------------------------------------------------------------------

def find_asset(session: Session, course: Course, name: str) -> CourseAsset | None:
    return session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id, CourseAsset.name == name))


def course_assets(session: Session, course: Course) -> list[CourseAsset]:
    return list(session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id).order_by(CourseAsset.name)))


def add_course_image(session: Session, store: FileStorage, course: Course, filename: str, data: bytes, max_bytes: int, actor_id: int) -> CourseAsset:
    """Check, shrink and store an uploaded image under course-assets/<slug>/<sha256> (as the importer does).

    Raises images.ImageRejected. The same picture uploaded twice is stored once.
    """
    image = clean_image(data, max_bytes)
    digest = hashlib.sha256(image.data).hexdigest()
    existing = {asset.name: asset for asset in course_assets(session, course)}
    for asset in existing.values():
        if asset.sha256 == digest:
            return asset
    name = _free_name(image_name(filename, image.extension), existing)
    store.put(f"course-assets/{course.slug}/{digest}", image.data)
    asset = CourseAsset(course_id=course.id, name=name, sha256=digest, size=len(image.data), content_type=image.content_type,
                        width=image.width, height=image.height)
    session.add(asset)
    session.flush()
    record(session, actor_id, "asset.uploaded", "asset", asset.id, course_id=course.id, name=name, size=asset.size)
    return asset


def _free_name(name: str, taken: dict) -> str:
    stem, _, extension = name.rpartition(".")
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}.{extension}"
    return candidate


# --- publishing ----------------------------------------------------------------------------------------------

def add_course_version(session: Session, course: Course, number: int, lesson_ids: list[int], content_hash: str,
                       change_note: str = "", requires_recertification: bool = False) -> CourseVersion:
    """Record a published state of a course (the importer and the editor both call this).

    With `requires_recertification`, every enrolment moves to this version: its lessons and a new pass are required again.
    """
    version = CourseVersion(number=number, lesson_ids=lesson_ids, content_hash=content_hash, change_note=change_note,
                            requires_recertification=requires_recertification)
    course.versions.append(version)
    course.version, course.content_hash = number, content_hash
    session.flush()
    if requires_recertification:
        session.execute(update(Enrolment).where(Enrolment.course_id == course.id).values(version=number))
    return version


def question_count(session: Session, course: Course) -> int:
    """Questions the final assessment can draw from (retired ones are kept for past attempts only)."""
    return session.scalar(select(func.count()).select_from(Question).where(Question.course_id == course.id, ~Question.is_retired)) or 0


def pending_count(modules: list[Module]) -> int:
    """New lessons waiting for the next publication (the editor's outline)."""
    return sum(1 for module in modules for lesson in module.lessons if not lesson.is_published)


def publish_course(session: Session, course: Course, actor_id: int, change_note: str = "", requires_recertification: bool = False) -> CourseVersion:
    """Publish a draft as version 1, or a published course's changes as the next version.

    Lessons and modules added since the last version go live; lessons unpublished by an import (they were in an earlier version) stay out.
    """
    first = course.status != PUBLISHED
    _publish_new_lessons(session, course)
    lessons = [lesson for _, module_lessons in outline(session, course) for lesson in module_lessons]
    if not lessons:
        raise NothingToPublish("no_lessons")
    digest = _course_hash(session, course)
    if not first and digest == course.content_hash:
        raise NothingToPublish("no_changes")
    number = course.versions[-1].number + 1 if course.versions else 1
    version = add_course_version(session, course, number, [lesson.id for lesson in lessons], digest, nfc(change_note.strip()),
                                 requires_recertification and not first)
    course.status = PUBLISHED
    refresh_search_text(session, course)
    record(session, actor_id, "course.published", "course", course.id, version=number, lessons=len(lessons),
           requires_recertification=version.requires_recertification)
    return version


def _publish_new_lessons(session: Session, course: Course) -> None:
    ever_published = {lesson_id for version in course.versions for lesson_id in version.lesson_ids}
    unpublished = session.scalars(select(Lesson).join(Module, Lesson.module_id == Module.id).where(Module.course_id == course.id, ~Lesson.is_published))
    for lesson in unpublished:
        if lesson.id not in ever_published:
            lesson.is_published = lesson.module.is_published = True
    session.flush()


def _course_hash(session: Session, course: Course) -> str:
    return fingerprint(
        asdict(course_settings(course)),
        [(module.slug, module.position, module.title_vi, module.title_en, [(lesson.slug, lesson.position, lesson.content_hash) for lesson in lessons])
         for module, lessons in outline(session, course)],
        sorted((asset.name, asset.sha256) for asset in course_assets(session, course)),
    )


# --- trainers ------------------------------------------------------------------------------------------------

def course_trainers(session: Session, course: Course) -> list[User]:
    query = select(User).join(CourseTrainer, CourseTrainer.user_id == User.id).where(CourseTrainer.course_id == course.id).order_by(User.full_name)
    return list(session.scalars(query))


def trainer_candidates(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.TRAINER.value, User.is_active).order_by(User.full_name)))


def assign_trainer(session: Session, course: Course, user_id: int, actor_id: int) -> bool:
    """Make an active trainer one of a course's trainers (admins do this); False if they already are or are not a trainer."""
    user = session.get(User, user_id)
    if user is None or user.role != Role.TRAINER.value or not user.is_active:
        return False
    if not assign_course_trainer(session, course.id, user.id, assigned_by=actor_id):
        return False
    record(session, actor_id, "course.trainer_assigned", "course", course.id, user_id=user.id)
    return True
