"""Progress is computed in one place, the same for every view, in a fixed number of queries."""
import threading

import pytest
from sqlalchemy import func, select

from lms.catalog.learning_models import LessonProgress
from lms.catalog.models import CourseVersion, Lesson, Module
from lms.catalog.progress import course_progress, progress_for
from lms.catalog.services import (
    NotEnrolled,
    PrerequisitesMissing,
    TooEarly,
    complete_lesson,
    continue_lesson,
    enrol_learner,
    outline,
    record_lesson_view,
    unenrol_learner,
)
from tests.conftest import make_course, make_user


def lessons_of(session, course):
    return [lesson for _, lessons in outline(session, course) for lesson in lessons]


def test_progress_counts_lessons_per_module_and_course(session):
    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    first, second, *_ = lessons_of(session, course)
    complete_lesson(session, user.id, course, first)
    complete_lesson(session, user.id, course, second)
    session.commit()
    progress = course_progress(session, user.id, course.id)
    assert (progress.done, progress.total, progress.percent) == (2, 5, 40)
    assert [(m.done, m.total) for m in progress.modules] == [(2, 3), (0, 2)]
    assert progress.state == "in_progress"


def test_marking_twice_counts_once(session):
    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    lesson = lessons_of(session, course)[0]
    assert complete_lesson(session, user.id, course, lesson) is True
    assert complete_lesson(session, user.id, course, lesson) is False
    session.commit()
    assert session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    assert course_progress(session, user.id, course.id).done == 1


def test_concurrent_marks_from_two_tabs_count_once(app):
    from lms.extensions import db

    with app.app_context():
        user = make_user(db.session)
        course = make_course(db.session)
        enrol_learner(db.session, user.id, course)
        db.session.commit()
        user_id, course_id, lesson_id = user.id, course.id, lessons_of(db.session, course)[0].id
    results, barrier = [], threading.Barrier(4)

    def mark():
        with app.app_context():
            from lms.catalog.models import Course

            course = db.session.get(Course, course_id)
            lesson = db.session.get(Lesson, lesson_id)
            barrier.wait()
            results.append(complete_lesson(db.session, user_id, course, lesson))
            db.session.commit()

    threads = [threading.Thread(target=mark) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1


def test_completing_without_enrolment_is_refused_and_writes_nothing(session):
    user = make_user(session)
    course = make_course(session)
    with pytest.raises(NotEnrolled):
        complete_lesson(session, user.id, course, lessons_of(session, course)[0])
    session.rollback()
    assert session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_unenrolling_keeps_history_and_reenrolling_resumes(session):
    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    complete_lesson(session, user.id, course, lessons_of(session, course)[0])
    unenrol_learner(session, user.id, course)
    session.commit()
    assert course_progress(session, user.id, course.id).enrolled is False
    enrol_learner(session, user.id, course)
    session.commit()
    progress = course_progress(session, user.id, course.id)
    assert progress.enrolled and progress.done == 1


def test_prerequisites_are_enforced(session):
    user = make_user(session)
    basics = make_course(session, slug="basics", modules=(("m", 1),))
    advanced = make_course(session, slug="advanced", prerequisites=["basics"])
    with pytest.raises(PrerequisitesMissing) as error:
        enrol_learner(session, user.id, advanced)
    assert [c.slug for c in error.value.missing] == ["basics"]
    session.rollback()
    enrol_learner(session, user.id, basics)
    complete_lesson(session, user.id, basics, lessons_of(session, basics)[0])
    enrol_learner(session, user.id, advanced)  # now allowed


def test_minimum_reading_time_is_measured_on_the_server(session):
    from datetime import timedelta

    user = make_user(session)
    course = make_course(session, require_reading_time=True)
    enrolment = enrol_learner(session, user.id, course)
    lesson = lessons_of(session, course)[0]
    record_lesson_view(session, user.id, enrolment, lesson)  # opening the lesson starts the clock
    session.commit()
    with pytest.raises(TooEarly):
        complete_lesson(session, user.id, course, lesson)
    session.rollback()
    row = session.scalar(select(LessonProgress))
    row.first_viewed_at = row.first_viewed_at - timedelta(minutes=10)
    session.commit()
    assert complete_lesson(session, user.id, course, lesson) is True


def test_learner_keeps_the_lessons_of_the_version_they_started(session):
    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    session.commit()
    # version 2 adds a lesson; the learner still needs only version 1's five lessons
    module = session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == "selling"))
    extra = Lesson(module_id=module.id, slug="new", position=9, title_vi="Bài mới", minutes=3)
    session.add(extra)
    session.flush()
    version_one = session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    session.add(CourseVersion(course_id=course.id, number=2, lesson_ids=[*version_one.lesson_ids, extra.id], content_hash="v2", change_note="Thêm bài mới"))
    course.version = 2
    session.commit()
    assert course_progress(session, user.id, course.id).total == 5
    newcomer = make_user(session)
    enrol_learner(session, newcomer.id, course)
    session.commit()
    assert course_progress(session, newcomer.id, course.id).total == 6


def test_continue_goes_to_the_first_unfinished_lesson_after_the_last_opened(session):
    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    lessons = lessons_of(session, course)
    complete_lesson(session, user.id, course, lessons[0])
    complete_lesson(session, user.id, course, lessons[1])
    session.commit()
    progress = course_progress(session, user.id, course.id)
    module, lesson = continue_lesson(outline(session, course), progress.completed_lesson_ids, progress.last_lesson_id)
    assert lesson.id == lessons[2].id


def test_progress_for_many_learners_uses_a_fixed_number_of_queries(session, count_queries):
    course = make_course(session)
    users = [make_user(session) for _ in range(3)]
    for user in users:
        enrol_learner(session, user.id, course)
    session.commit()
    with count_queries() as few:
        progress_for(session, [users[0].id], [course.id])
    many_users = users + [make_user(session) for _ in range(10)]
    with count_queries() as lots:
        progress_for(session, [u.id for u in many_users], [course.id])
    assert few.count == lots.count


def test_offline_completions_are_counted_once_however_often_they_are_sent(session):
    from lms.catalog.services import sync_offline_completions

    user = make_user(session)
    course = make_course(session)
    enrol_learner(session, user.id, course)
    other = make_course(session, slug="not-mine", modules=(("m", 1),))
    first, second = lessons_of(session, course)[:2]
    not_mine = lessons_of(session, other)[0]
    results = sync_offline_completions(session, user.id, [first.id, second.id, first.id, not_mine.id, 999_999])
    session.commit()
    assert results == {first.id: "completed", second.id: "completed", not_mine.id: "not_enrolled", 999_999: "not_found"}
    assert sync_offline_completions(session, user.id, [first.id, second.id]) == {first.id: "already", second.id: "already"}
    session.commit()
    assert course_progress(session, user.id, course.id).done == 2
    assert session.scalar(select(func.count()).select_from(LessonProgress).where(LessonProgress.user_id == user.id)) == 2
