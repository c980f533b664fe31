"""Write the database's courses and question banks back to the courses/ and quizzes/ file layout."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessment.bank import from_data
from lms.assessment.models import Question
from lms.catalog.models import Course, CourseAsset, Lesson, Module
from lms.content.gift import write_gift
from lms.storage import FileStorage


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def _lesson_file(title: str, minutes: int, as_of, video, body: str) -> str:
    meta = {"title": title, "minutes": minutes}
    if as_of:
        meta["as_of"] = as_of
    if video:
        meta["video"] = video
    return f"---\n{_yaml(meta)}---\n\n{body.strip()}\n"


def export_content(session: Session, target: Path, store: FileStorage) -> list[str]:
    """Export every course with its published modules, lessons, assets and active questions; returns slugs."""
    courses_dir, quizzes_dir = target / "courses", target / "quizzes"
    exported = []
    for course in session.scalars(select(Course).order_by(Course.slug)):
        folder = courses_dir / course.slug
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "course.yml").write_text(_yaml({
            "slug": course.slug, "track": course.track, "version": course.version,
            "title": {"vi": course.title_vi, "en": course.title_en},
            "summary": {"vi": course.summary_vi, "en": course.summary_en},
            "estimated_hours": course.estimated_hours, "pass_mark": course.pass_mark,
            "certificate_validity_months": course.certificate_validity_months,
            "required_for_onboarding": course.required_for_onboarding,
            "prerequisites": list(course.prerequisites or []),
            "questions_per_attempt": course.questions_per_attempt,
            "require_reading_time": course.require_reading_time,
            "max_attempts": course.max_attempts, "cooldown_hours": course.cooldown_hours,
            "time_limit_minutes": course.time_limit_minutes, "show_correct_answers": course.show_correct_answers,
        }), encoding="utf-8")
        modules = session.scalars(select(Module).where(Module.course_id == course.id, Module.is_published).order_by(Module.position))
        for module in modules:
            module_dir = folder / f"{module.position:02d}-{module.slug}"
            module_dir.mkdir(exist_ok=True)
            (module_dir / "module.yml").write_text(_yaml({"title": {"vi": module.title_vi, "en": module.title_en}}), encoding="utf-8")
            lessons = session.scalars(select(Lesson).where(Lesson.module_id == module.id, Lesson.is_published).order_by(Lesson.position))
            for lesson in lessons:
                stem = module_dir / f"{lesson.position:02d}-{lesson.slug}"
                Path(f"{stem}.vi.md").write_text(_lesson_file(lesson.title_vi, lesson.minutes, lesson.as_of, lesson.video_url, lesson.body_vi), encoding="utf-8")
                if lesson.title_en:
                    Path(f"{stem}.en.md").write_text(_lesson_file(lesson.title_en, lesson.minutes, lesson.as_of, lesson.video_url, lesson.body_en), encoding="utf-8")
        for asset in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
            path = folder / "assets" / asset.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(store.get(f"course-assets/{course.slug}/{asset.sha256}"))
        questions = list(session.scalars(select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False)).order_by(Question.position)))
        if questions:
            quizzes_dir.mkdir(parents=True, exist_ok=True)
            (quizzes_dir / f"{course.slug}.vi.gift").write_text(write_gift(from_data(q.data_vi) for q in questions), encoding="utf-8")
            english = [from_data(q.data_en) for q in questions if q.data_en]
            if english:
                (quizzes_dir / f"{course.slug}.en.gift").write_text(write_gift(english), encoding="utf-8")
        exported.append(course.slug)
    return exported
