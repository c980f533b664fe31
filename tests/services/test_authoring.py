"""Authoring services: drafts, lessons with revisions, images checked by content, publishing versions, audit."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.authoring import services
from lms.authoring.images import MAX_WIDTH, ImageRejected, clean_image
from lms.catalog.learning_models import Enrolment
from lms.catalog.models import DRAFT, PUBLISHED, Lesson
from lms.catalog.services import enrol_learner, published_courses
from lms.cohorts.access import can_edit_course
from lms.storage import FileStorage
from tests.conftest import make_course, make_user

SETTINGS = services.CourseSettings(
    track="packaging", title_vi="Mật ong sạch", title_en="Clean honey", summary_vi="Đóng gói mật ong.", summary_en="Packing honey.",
    estimated_hours=1.5, pass_mark=80, questions_per_attempt=10, max_attempts=3, cooldown_hours=24, time_limit_minutes=0,
    certificate_validity_months=24, required_for_onboarding=True,
)
SVG_WITH_SCRIPT = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def png_bytes(width: int = 40, height: int = 20) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 120, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def draft(body_vi="## Đếm hàng\n\nĐếm hàng thật.", body_en="## Count\n\nCount the stock.", title_vi="Đếm hàng", title_en="Count stock", **extra):
    return services.LessonDraft(titles={"vi": title_vi, "en": title_en}, bodies={"vi": body_vi, "en": body_en}, minutes=extra.pop("minutes", 5), **extra)


@pytest.fixture
def trainer(session):
    return make_user(session, role="trainer")


@pytest.fixture
def course(session, trainer):
    course = services.create_course(session, "clean-honey", SETTINGS, trainer.id)
    session.commit()
    return course


def lesson_in(session, course, trainer, module_slug="basics", slug="count"):
    module = services.add_module(session, course, module_slug, "Cơ bản", "Basics", trainer.id)
    return services.add_lesson(session, module, slug, "Đếm hàng", "Count stock", trainer.id)


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_type != "user").order_by(AuditEvent.id)))


def test_a_new_course_is_a_draft_without_a_version_and_its_creator_edits_it(session, course, trainer):
    assert (course.status, course.version, course.versions) == (DRAFT, 0, [])
    assert course.title_en == "Clean honey" and course.required_for_onboarding
    assert can_edit_course(session, trainer, course.id)
    assert course not in session.scalars(published_courses(session)).all()
    assert actions(session) == ["course.created"]


def test_a_taken_course_slug_is_refused(session, course, trainer):
    with pytest.raises(services.SlugTaken):
        services.create_course(session, "clean-honey", SETTINGS, trainer.id)


def test_new_modules_and_lessons_go_last_and_wait_for_publication(session, course, trainer):
    first = lesson_in(session, course, trainer)
    second = services.add_lesson(session, first.module, "price", "Giá", "Price", trainer.id)
    assert (first.position, second.position) == (1, 2)
    assert not first.is_published and not first.module.is_published


def test_saving_a_lesson_renders_sanitised_html_and_bumps_the_revision(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    services.save_lesson(session, lesson, draft(body_vi="Xin chào <script>alert(1)</script>\n\n**đậm**"), lesson.revision, trainer.id)
    assert "<script" not in lesson.html_vi and "<strong>đậm</strong>" in lesson.html_vi
    assert "<h2>Count</h2>" in lesson.html_en
    assert lesson.revision == 2
    assert actions(session)[-1] == "lesson.updated"


def test_only_the_language_whose_text_changed_gets_a_new_date(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    services.save_lesson(session, lesson, draft(), 1, trainer.id)
    english_date = lesson.en_changed_at
    services.save_lesson(session, lesson, draft(body_vi="Đếm lại hàng."), 2, trainer.id)
    assert lesson.en_changed_at == english_date and lesson.vi_changed_at > english_date
    assert services.lesson_warnings(lesson) == ["en_older"]


def test_a_save_from_an_older_revision_is_a_conflict(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    services.save_lesson(session, lesson, draft(body_vi="Bản thứ nhất."), 1, trainer.id)
    with pytest.raises(services.EditConflict) as conflict:
        services.save_lesson(session, lesson, draft(body_vi="Bản thứ hai."), 1, trainer.id)
    assert conflict.value.saved_at is not None
    assert lesson.body_vi == "Bản thứ nhất.\n"


def test_a_missing_image_in_the_markdown_is_a_problem_and_nothing_is_saved(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    with pytest.raises(services.MarkdownProblems) as error:
        services.save_lesson(session, lesson, draft(body_en="![x](assets/nope.png)"), 1, trainer.id)
    assert list(error.value.problems) == ["en"]
    assert lesson.revision == 1 and lesson.body_en == ""


def test_empty_texts_are_warned_about(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    assert services.lesson_warnings(lesson) == ["empty_vi", "empty_en"]


def test_move_swaps_neighbours_and_stops_at_the_edges(session, course, trainer):
    first = lesson_in(session, course, trainer)
    second = services.add_lesson(session, first.module, "price", "Giá", "Price", trainer.id)
    assert services.move(session, second, services.UP, trainer.id)
    assert (second.position, first.position) == (1, 2)
    assert not services.move(session, second, services.UP, trainer.id)
    other = services.add_module(session, course, "selling", "Bán", "Selling", trainer.id)
    assert services.move(session, other, services.UP, trainer.id)
    assert [m.slug for m in services.editor_outline(session, course)] == ["selling", "basics"]


def test_clean_image_shrinks_wide_images_keeping_the_ratio():
    image = clean_image(png_bytes(3200, 800), 5 * 1024 * 1024)
    assert (image.width, image.height, image.content_type) == (MAX_WIDTH, 400, "image/png")


@pytest.mark.parametrize(("data", "reason"), [
    (b"#!/bin/sh\necho not a picture\n", "not_image"),
    (SVG_WITH_SCRIPT, "svg"),
    (png_bytes()[:60], "not_image"),
])
def test_clean_image_rejects_what_is_not_a_png_jpeg_webp_or_gif(data, reason):
    with pytest.raises(ImageRejected) as error:
        clean_image(data, 5 * 1024 * 1024)
    assert error.value.reason == reason


def test_clean_image_rejects_files_over_the_limit():
    with pytest.raises(ImageRejected) as error:
        clean_image(png_bytes(), 50)
    assert error.value.reason == "too_large"


def test_an_uploaded_image_is_stored_by_hash_and_rendered_with_its_size(session, course, trainer, tmp_path):
    store = FileStorage(tmp_path)
    asset = services.add_course_image(session, store, course, "Ảnh nhãn.png", png_bytes(2000, 1000), 5 * 1024 * 1024, trainer.id)
    assert (asset.name, asset.width, asset.height) == ("anh-nhan.png", 1600, 800)
    assert store.exists(f"course-assets/clean-honey/{asset.sha256}")
    again = services.add_course_image(session, store, course, "copy.png", png_bytes(2000, 1000), 5 * 1024 * 1024, trainer.id)
    assert again.id == asset.id
    lesson = lesson_in(session, course, trainer)
    services.save_lesson(session, lesson, draft(body_vi="![Nhãn](assets/anh-nhan.png)"), 1, trainer.id)
    assert 'src="/courses/clean-honey/assets/anh-nhan.png"' in lesson.html_vi and 'width="1600"' in lesson.html_vi
    assert actions(session).count("asset.uploaded") == 1


def test_publishing_a_draft_creates_version_one_with_its_lessons(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    version = services.publish_course(session, course, trainer.id)
    assert (version.number, version.lesson_ids, version.requires_recertification) == (1, [lesson.id], False)
    assert (course.status, course.version) == (PUBLISHED, 1)
    assert lesson.is_published and lesson.module.is_published
    assert course in session.scalars(published_courses(session, "mat ong")).all()


def test_a_course_without_lessons_cannot_be_published(session, course, trainer):
    with pytest.raises(services.NothingToPublish):
        services.publish_course(session, course, trainer.id)


def test_publishing_changes_with_recertification_moves_every_enrolment(session, trainer):
    course = make_course(session)
    learner = make_user(session)
    enrol_learner(session, learner.id, course)
    module = services.editor_outline(session, course)[0]
    added = services.add_lesson(session, module, "new-rule", "Quy định mới", "New rule", trainer.id)
    version = services.publish_course(session, course, trainer.id, "Quy định mới của sàn", requires_recertification=True)
    assert (version.number, version.requires_recertification, course.version) == (2, True, 2)
    assert added.is_published and added.id in version.lesson_ids
    assert session.scalar(select(Enrolment.version).where(Enrolment.user_id == learner.id)) == 2


def test_lessons_an_import_unpublished_stay_unpublished(session, trainer):
    course = make_course(session)
    removed = session.scalars(select(Lesson).order_by(Lesson.id)).first()
    removed.is_published = False
    services.publish_course(session, course, trainer.id, "Bỏ một bài")
    assert not removed.is_published


def test_only_active_trainers_can_be_assigned(session, course, trainer):
    admin = make_user(session, role="admin")
    other = make_user(session, role="trainer")
    learner = make_user(session)
    assert services.assign_trainer(session, course, other.id, admin.id)
    assert not services.assign_trainer(session, course, other.id, admin.id)
    assert not services.assign_trainer(session, course, learner.id, admin.id)
    assert {u.id for u in services.course_trainers(session, course)} == {trainer.id, other.id}
    assert actions(session).count("course.trainer_assigned") == 1


def test_links_to_other_lessons_use_the_same_form_as_the_course_files(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    other = services.add_lesson(session, lesson.module, "price", "Giá", "Price", trainer.id)
    services.save_lesson(session, other, draft(body_vi="[Đếm hàng](../01-basics/01-count.vi.md)", body_en=""), 1, trainer.id)
    assert 'href="/courses/clean-honey/basics/count"' in other.html_vi


def test_a_draft_lesson_moves_to_the_end_of_another_module_and_the_gap_closes(session, course, trainer):
    first = lesson_in(session, course, trainer)
    second = services.add_lesson(session, first.module, "price", "Giá", "Price", trainer.id)
    third = services.add_lesson(session, first.module, "label", "Nhãn", "Label", trainer.id)
    selling = services.add_module(session, course, "selling", "Bán", "Selling", trainer.id)
    services.add_lesson(session, selling, "live", "Livestream", "Livestream", trainer.id)
    assert services.move_lesson_to_module(session, second, selling, trainer.id)
    assert [(l.slug, l.position) for l in services.editor_outline(session, course)[0].lessons] == [("count", 1), ("label", 2)]
    assert [(l.slug, l.position) for l in selling.lessons] == [("live", 1), ("price", 2)]
    assert not services.move_lesson_to_module(session, second, selling, trainer.id)  # already there
    assert third.position == 2
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "lesson.moved")).one()
    assert event.detail == {"course_id": course.id, "from_module": "basics", "to_module": "selling"}


def test_a_lesson_does_not_move_into_a_module_that_has_the_same_slug(session, course, trainer):
    lesson = lesson_in(session, course, trainer)
    selling = services.add_module(session, course, "selling", "Bán", "Selling", trainer.id)
    services.add_lesson(session, selling, "count", "Đếm", "Count", trainer.id)
    with pytest.raises(services.SlugTaken):
        services.move_lesson_to_module(session, lesson, selling, trainer.id)
    assert lesson.module.slug == "basics"


def test_deleting_a_draft_lesson_removes_it_and_is_audited_with_its_titles(session, course, trainer):
    first = lesson_in(session, course, trainer)
    second = services.add_lesson(session, first.module, "price", "Giá", "Price", trainer.id)
    services.delete_lesson(session, first, trainer.id)
    assert [(l.slug, l.position) for l in services.editor_outline(session, course)[0].lessons] == [("price", 1)]
    assert session.scalars(select(Lesson)).all() == [second]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "lesson.deleted")).one()
    assert (event.detail["slug"], event.detail["title_vi"], event.actor_id) == ("count", "Đếm hàng", trainer.id)


def test_deleting_a_draft_module_takes_its_lessons_and_renumbers_the_others(session, course, trainer):
    lesson_in(session, course, trainer)
    selling = services.add_module(session, course, "selling", "Bán", "Selling", trainer.id)
    services.add_lesson(session, selling, "live", "Livestream", "Livestream", trainer.id)
    basics = services.editor_outline(session, course)[0]
    assert services.delete_module(session, basics, trainer.id) == ["count"]
    assert [(m.slug, m.position) for m in services.editor_outline(session, course)] == [("selling", 1)]
    assert session.scalars(select(Lesson.slug)).all() == ["live"]
    assert "module.deleted" in actions(session)


def test_published_lessons_and_their_modules_stay_where_they_are(session, trainer):
    course = make_course(session)
    basics, selling = services.editor_outline(session, course)
    published = basics.lessons[0]
    for attempt in (lambda: services.delete_lesson(session, published, trainer.id),
                    lambda: services.move_lesson_to_module(session, published, selling, trainer.id),
                    lambda: services.delete_module(session, selling, trainer.id)):
        with pytest.raises(services.PlaceFixed) as refused:
            attempt()
        assert refused.value.use.published
    assert published.module_id == basics.id and len(basics.lessons) == 3


def test_a_lesson_an_import_unpublished_still_counts_as_published(session, trainer):
    course = make_course(session)
    lesson = services.editor_outline(session, course)[0].lessons[0]
    lesson.is_published = False  # removed from the files: past versions still list it
    assert services.lesson_use(session, [lesson]).published


def test_a_new_lesson_of_a_published_course_can_go_before_it_is_published(session, trainer):
    course = make_course(session)
    module = services.editor_outline(session, course)[0]
    added = services.add_lesson(session, module, "new-rule", "Quy định mới", "New rule", trainer.id)
    services.delete_lesson(session, added, trainer.id)
    assert session.scalar(select(Lesson).where(Lesson.slug == "new-rule")) is None


def test_a_lesson_with_learner_progress_is_never_deleted(session, course, trainer):
    from lms.catalog.learning_models import LessonProgress

    lesson = lesson_in(session, course, trainer)
    learner = make_user(session)
    session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id))  # e.g. a lesson that was live before (hand-made data)
    session.flush()
    with pytest.raises(services.PlaceFixed) as refused:
        services.delete_lesson(session, lesson, trainer.id)
    assert (refused.value.use.published, refused.value.use.learners) == (False, 1)
    with pytest.raises(services.PlaceFixed):
        services.delete_module(session, lesson.module, trainer.id)
    assert session.get(Lesson, lesson.id) is not None


def test_a_module_with_questions_is_not_deleted(session, course, trainer):
    from lms.assessment.models import Question

    lesson = lesson_in(session, course, trainer)
    session.add(Question(course_id=course.id, module_id=lesson.module_id, title="q1", kind="truefalse", position=1,
                         data_vi={"kind": "truefalse"}, content_hash="x"))
    session.flush()
    with pytest.raises(services.PlaceFixed) as refused:
        services.delete_module(session, lesson.module, trainer.id)
    assert refused.value.use.questions == 1
