"""Trainers author courses in the browser: drafts, lessons with preview and conflicts, images, publishing, permissions."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.authoring import services
from lms.catalog.learning_models import Enrolment
from lms.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module
from lms.catalog.services import complete_lesson, enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.extensions import db
from tests.conftest import PASSWORD, make_course, make_user
from tests.services.test_authoring import SETTINGS, SVG_WITH_SCRIPT, png_bytes

NEW_COURSE = {
    "slug": "clean-honey", "track": "packaging", "title_vi": "Mật ong sạch", "title_en": "Clean honey",
    "summary_vi": "Đóng gói mật ong.", "summary_en": "Packing honey.", "estimated_hours": "1.5", "pass_mark": "80",
    "questions_per_attempt": "10", "max_attempts": "3", "cooldown_hours": "24", "time_limit_minutes": "0",
    "certificate_validity_months": "24", "required_for_onboarding": "y",
}


def login(client, role="trainer"):
    client.post("/login", data={"login": f"{role}@example.com", "password": PASSWORD})
    client.post("/language", data={"lang": "en"})  # the checks below read the English messages


def lesson_form(revision=1, **fields):
    data = {"title_vi": "Đếm hàng", "title_en": "Count stock", "minutes": "6", "as_of": "2026-01-15", "video_url": "",
            "body_vi": "## Đếm hàng\n\nĐếm hàng thật.", "body_en": "## Count\n\nCount the real stock.", "revision": str(revision), "save": "Save"}
    data.update(fields)
    return data


def make_draft(application, trainer_id: int) -> dict[str, int]:
    """A draft course of a trainer with one module and one lesson; returns their ids."""
    with application.app_context():
        course = services.create_course(db.session, "clean-honey", SETTINGS, trainer_id)
        module = services.add_module(db.session, course, "basics", "Cơ bản", "Basics", trainer_id)
        lesson = services.add_lesson(db.session, module, "count", "Đếm hàng", "Count stock", trainer_id)
        db.session.commit()
        return {"course": course.id, "module": module.id, "lesson": lesson.id}


@pytest.fixture
def draft(app, users):
    return make_draft(app, users["trainer"][0])


def lesson_url(ids):
    return f"/authoring/courses/{ids['course']}/lessons/{ids['lesson']}"


def stored_lesson(app, ids) -> Lesson:
    with app.app_context():
        lesson = db.session.get(Lesson, ids["lesson"])
        db.session.expunge(lesson)
        return lesson


def audit_actions(app) -> list[str]:
    """Actions on courses and their parts (logins are audited too, elsewhere)."""
    with app.app_context():
        query = select(AuditEvent.action).where(AuditEvent.object_type.in_(("course", "module", "lesson", "asset"))).order_by(AuditEvent.id)
        return list(db.session.scalars(query))


def test_a_trainer_creates_a_draft_course_in_both_languages(client, app, users):
    login(client)
    assert client.get("/authoring/courses/new").status_code == 200
    response = client.post("/authoring/courses/new", data=NEW_COURSE)
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "clean-honey"))
        assert (course.status, course.version, course.title_en, course.estimated_hours) == ("draft", 0, "Clean honey", 1.5)
    assert "Clean honey" in client.get("/authoring/courses").get_data(as_text=True)
    assert "/courses/clean-honey" not in client.get("/courses").get_data(as_text=True)
    assert client.get("/courses/clean-honey").status_code == 404
    assert audit_actions(app) == ["course.created"]


def test_a_taken_slug_or_a_bad_number_is_shown_on_the_form(client, app, users, draft):
    login(client)
    response = client.post("/authoring/courses/new", data={**NEW_COURSE, "pass_mark": "120"})
    assert response.status_code == 422
    assert "Enter a number from 1 to 100." in response.get_data(as_text=True)
    response = client.post("/authoring/courses/new", data=NEW_COURSE)
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)


def test_modules_and_lessons_are_added_from_the_course_editor(client, app, users, draft):
    login(client)
    base = f"/authoring/courses/{draft['course']}"
    response = client.post(f"{base}/modules", data={"module-slug": "selling", "module-title_vi": "Bán hàng", "module-title_en": "Selling"})
    assert response.status_code == 302
    with app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.slug == "selling"))
    response = client.post(f"{base}/lessons", data={"lesson-module_id": str(module_id), "lesson-slug": "prices", "lesson-title_vi": "Giá", "lesson-title_en": "Prices"})
    assert response.status_code == 302 and "/lessons/" in response.headers["Location"]
    page = client.get(base).get_data(as_text=True)
    assert "Bán hàng" in page and "Selling" in page and "Prices" in page
    response = client.post(f"{base}/modules", data={"module-slug": "selling", "module-title_vi": "Lại", "module-title_en": ""})
    assert response.status_code == 422
    assert client.post(f"{base}/modules/{module_id}", data={"title_vi": "Bán hàng online", "title_en": "Selling online"}).status_code == 302
    assert "Bán hàng online" in client.get(base).get_data(as_text=True)
    assert {"module.created", "lesson.created", "module.updated"} <= set(audit_actions(app))


def test_preview_shows_sanitised_html_and_saves_nothing(client, app, users, draft):
    login(client)
    response = client.post(lesson_url(draft), data=lesson_form(body_vi="**Chú ý** <script>alert(1)</script>", save="", preview="Preview"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Chú ý</strong>" in page and "<script>alert(1)" not in page
    assert stored_lesson(app, draft).body_vi == "" and stored_lesson(app, draft).revision == 1


def test_saving_renders_sanitised_html_for_the_learner(client, app, users, draft):
    login(client)
    response = client.post(lesson_url(draft), data=lesson_form(body_en="Hello <script>alert(1)</script> **world**"))
    assert response.status_code == 302
    lesson = stored_lesson(app, draft)
    assert "<script" not in lesson.html_en and "<strong>world</strong>" in lesson.html_en
    assert "<h2>Đếm hàng</h2>" in lesson.html_vi
    assert (lesson.revision, lesson.minutes, str(lesson.as_of)) == (2, 6, "2026-01-15")
    assert audit_actions(app)[-1] == "lesson.updated"


def test_two_saves_from_the_same_revision_conflict_and_the_first_one_stays(client, app, users, draft):
    login(client)
    assert client.post(lesson_url(draft), data=lesson_form(body_vi="Bản của An.")).status_code == 302
    response = client.post(lesson_url(draft), data=lesson_form(body_vi="Bản của Bình."))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this lesson at" in page and "Bản của Bình." in page
    assert stored_lesson(app, draft).body_vi == "Bản của An.\n"


def test_a_validation_error_keeps_the_typed_text(client, app, users, draft):
    login(client)
    response = client.post(lesson_url(draft), data=lesson_form(body_en="My long English text", video_url="http://example.com/v"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "My long English text" in page and "YouTube, TikTok or Facebook" in page
    response = client.post(lesson_url(draft), data=lesson_form(body_en="See ![x](assets/missing.png)"))
    assert response.status_code == 422 and "missing.png" in response.get_data(as_text=True)
    assert stored_lesson(app, draft).revision == 1


def test_the_editor_warns_about_empty_and_older_translations(client, app, users, draft):
    login(client)
    assert "The English text is empty" in client.get(lesson_url(draft)).get_data(as_text=True)
    client.post(lesson_url(draft), data=lesson_form())
    client.post(lesson_url(draft), data=lesson_form(revision=2, body_vi="Đếm lại hàng."))
    assert "The English text is older than the Vietnamese" in client.get(lesson_url(draft)).get_data(as_text=True)


def test_move_up_and_down_reorders_lessons_and_modules(client, app, users, draft):
    login(client)
    base = f"/authoring/courses/{draft['course']}"
    client.post(f"{base}/lessons", data={"lesson-module_id": str(draft["module"]), "lesson-slug": "prices", "lesson-title_vi": "Giá", "lesson-title_en": "Prices"})
    with app.app_context():
        second = db.session.scalar(select(Lesson.id).where(Lesson.slug == "prices"))
    assert client.post(f"{base}/lessons/{second}/move", data={"direction": "up"}).status_code == 302
    with app.app_context():
        assert list(db.session.scalars(select(Lesson.slug).order_by(Lesson.position))) == ["prices", "count"]
    assert client.post(f"{base}/lessons/{second}/move", data={"direction": "sideways"}).status_code == 400
    assert client.post(f"{base}/modules/{draft['module']}/move", data={"direction": "down"}).status_code == 302
    assert "lesson.moved" in audit_actions(app)


def add_module_and_lesson(client, app, ids, module="selling", lesson="prices") -> tuple[int, int]:
    base = f"/authoring/courses/{ids['course']}"
    client.post(f"{base}/modules", data={"module-slug": module, "module-title_vi": "Bán hàng", "module-title_en": "Selling"})
    with app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.slug == module))
    client.post(f"{base}/lessons", data={"lesson-module_id": str(module_id), "lesson-slug": lesson, "lesson-title_vi": "Giá", "lesson-title_en": "Prices"})
    with app.app_context():
        return module_id, db.session.scalar(select(Lesson.id).where(Lesson.slug == lesson))


def test_a_draft_lesson_moves_to_another_module_from_the_outline(client, app, users, draft):
    login(client)
    selling, _ = add_module_and_lesson(client, app, draft)
    outline = client.get(f"/authoring/courses/{draft['course']}").get_data(as_text=True)
    move_url = f"/authoring/courses/{draft['course']}/lessons/{draft['lesson']}/module"
    assert move_url in outline
    page = client.get(move_url).get_data(as_text=True)
    assert "Move the lesson to another module" in page and "Selling" in page
    response = client.post(move_url, data={"module_id": str(selling)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#lesson-{draft['lesson']}")
    with app.app_context():
        lesson = db.session.get(Lesson, draft["lesson"])
        assert (lesson.module_id, lesson.position) == (selling, 2)
    assert "The lesson is now the last one of the module" in client.get(f"/authoring/courses/{draft['course']}").get_data(as_text=True)
    assert audit_actions(app)[-1] == "lesson.moved"


def test_moving_into_a_module_with_the_same_lesson_slug_is_explained(client, app, users, draft):
    login(client)
    selling, _ = add_module_and_lesson(client, app, draft, lesson="count")
    response = client.post(f"/authoring/courses/{draft['course']}/lessons/{draft['lesson']}/module", data={"module_id": str(selling)})
    assert response.status_code == 422
    assert "already has a lesson with the short name count" in response.get_data(as_text=True)
    assert stored_lesson(app, draft).module_id == draft["module"]


def test_deleting_a_draft_lesson_asks_first_then_deletes_it(client, app, users, draft):
    login(client)
    url = f"/authoring/courses/{draft['course']}/lessons/{draft['lesson']}/delete"
    assert url in client.get(f"/authoring/courses/{draft['course']}").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Delete the lesson “Count stock”?" in page and "deleted for good" in page
    with app.app_context():
        assert db.session.get(Lesson, draft["lesson"]) is not None  # looking at the question deletes nothing
    response = client.post(url)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Lesson, draft["lesson"]) is None
    assert "The lesson “Count stock” is deleted." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert audit_actions(app)[-1] == "lesson.deleted"


def test_deleting_a_draft_module_lists_its_lessons_before_deleting_them(client, app, users, draft):
    login(client)
    url = f"/authoring/courses/{draft['course']}/modules/{draft['module']}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "Delete the module “Basics”?" in page and "Count stock" in page
    assert client.post(url).status_code == 302
    with app.app_context():
        assert db.session.get(Module, draft["module"]) is None and db.session.get(Lesson, draft["lesson"]) is None
    assert "module.deleted" in audit_actions(app)


def test_published_lessons_offer_no_delete_and_a_forced_delete_is_refused_with_why(client, app, users):
    with app.app_context():
        course = make_course(db.session)
        assign_course_trainer(db.session, course.id, users["trainer"][0], None)
        module = db.session.scalar(select(Module).where(Module.slug == "basics"))
        lesson_id = module.lessons[0].id
        ids = {"course": course.id, "module": module.id, "lesson": lesson_id}
        enrol_learner(db.session, users["learner"][0], course)
        complete_lesson(db.session, users["learner"][0], course, module.lessons[0])
        db.session.commit()
    login(client)
    outline = client.get(f"/authoring/courses/{ids['course']}").get_data(as_text=True)
    assert f"/lessons/{lesson_id}/delete" not in outline and f"/modules/{ids['module']}/delete" not in outline
    response = client.post(f"/authoring/courses/{ids['course']}/lessons/{lesson_id}/delete")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This lesson cannot be deleted" in page and "It has been published" in page and "1 learner has progress in it" in page
    response = client.post(f"/authoring/courses/{ids['course']}/lessons/{lesson_id}/module", data={"module_id": "0"})
    assert response.status_code == 409 and "It has been published" in response.get_data(as_text=True)
    assert client.post(f"/authoring/courses/{ids['course']}/modules/{ids['module']}/delete").status_code == 409
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).module_id == ids["module"]


def test_a_module_whose_questions_would_lose_their_module_is_not_deleted(client, app, users, draft):
    from lms.assessment.models import Question

    with app.app_context():
        db.session.add(Question(course_id=draft["course"], module_id=draft["module"], title="q1", kind="truefalse", position=1,
                                data_vi={"kind": "truefalse"}, content_hash="x"))
        db.session.commit()
    login(client)
    response = client.post(f"/authoring/courses/{draft['course']}/modules/{draft['module']}/delete")
    assert response.status_code == 409
    assert "1 question of the question bank belongs to this module" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Module, draft["module"]) is not None


def upload(client, ids, data: bytes, name="photo.png"):
    return client.post(f"/authoring/courses/{ids['course']}/images", data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_wide_png_is_accepted_resized_and_shown_in_the_preview(client, app, users, draft):
    login(client)
    assert upload(client, draft, png_bytes(3200, 1600), "Nhãn mật ong.png").status_code == 302
    with app.app_context():
        asset = db.session.scalar(select(CourseAsset))
        assert (asset.name, asset.width, asset.height, asset.content_type) == ("nhan-mat-ong.png", 1600, 800, "image/png")
    page = client.get(f"/authoring/courses/{draft['course']}").get_data(as_text=True)
    assert "](assets/nhan-mat-ong.png)" in page
    response = client.post(lesson_url(draft), data=lesson_form(body_vi="![Nhãn](assets/nhan-mat-ong.png)", save="", preview="Preview"))
    preview_src = f"/authoring/courses/{draft['course']}/assets/nhan-mat-ong.png"
    assert preview_src in response.get_data(as_text=True)
    assert client.get(preview_src).mimetype == "image/png"
    assert "asset.uploaded" in audit_actions(app)


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"#!/bin/sh\nrm -rf /\n", "script.png", "is not a PNG, JPEG, WebP or GIF image"),
    (SVG_WITH_SCRIPT, "logo.svg", "SVG images are not accepted"),
])
def test_files_that_are_not_images_are_rejected(client, app, users, draft, data, name, message):
    login(client)
    response = upload(client, draft, data, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseAsset)) == 0


def test_an_image_over_the_size_limit_is_rejected(client, app, users, draft):
    app.config["IMAGE_MAX_BYTES"] = 1000
    login(client)
    response = upload(client, draft, png_bytes(800, 800) + b"\0" * 1000)
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)


def test_publishing_a_draft_creates_version_one_and_lists_it_in_the_catalogue(client, app, users, draft):
    login(client)
    client.post(lesson_url(draft), data=lesson_form())
    assert client.post(f"/authoring/courses/{draft['course']}/publish").status_code == 302
    with app.app_context():
        version = db.session.scalar(select(CourseVersion))
        assert (version.number, version.lesson_ids) == (1, [draft["lesson"]])
    assert "/courses/clean-honey" in client.get("/courses").get_data(as_text=True)
    assert "course.published" in audit_actions(app)


def test_publishing_changes_with_recertification_moves_enrolments(client, app, users):
    with app.app_context():
        course = make_course(db.session)
        assign_course_trainer(db.session, course.id, users["trainer"][0], None)
        enrol_learner(db.session, users["learner"][0], course)
        module_id = db.session.scalar(select(Module.id).where(Module.slug == "basics"))
        db.session.commit()
        course_id = course.id
    login(client)
    base = f"/authoring/courses/{course_id}"
    client.post(f"{base}/lessons", data={"lesson-module_id": str(module_id), "lesson-slug": "new-rule", "lesson-title_vi": "Quy định mới", "lesson-title_en": "New rule"})
    assert "New rule" not in client.get("/courses/honey-basics").get_data(as_text=True)
    assert client.post(f"{base}/publish", data={"change_note": ""}).status_code == 422
    response = client.post(f"{base}/publish", data={"change_note": "Quy định mới của sàn", "requires_recertification": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Course.version).where(Course.id == course_id)) == 2
        assert db.session.scalar(select(Enrolment.version)) == 2
        assert db.session.scalar(select(CourseVersion.change_note).where(CourseVersion.number == 2)) == "Quy định mới của sàn"
    assert "New rule" in client.get("/courses/honey-basics").get_data(as_text=True)


def test_an_admin_assigns_a_trainer_to_a_course(client, app, users, draft):
    with app.app_context():
        other = make_user(db.session, role="trainer", login="other@example.com", name="Trần Thị Bình")
        other_id = other.id
    login(client, "admin")
    page = client.get(f"/authoring/courses/{draft['course']}").get_data(as_text=True)
    assert "Trần Thị Bình" in page
    assert client.post(f"/authoring/courses/{draft['course']}/trainers", data={"trainer_id": str(other_id)}).status_code == 302
    client.post("/logout")
    client.post("/login", data={"login": "other@example.com", "password": PASSWORD})
    assert client.get(f"/authoring/courses/{draft['course']}").status_code == 200
    assert audit_actions(app)[-1] == "course.trainer_assigned"


def test_trainers_cannot_assign_trainers(client, app, users, draft):
    login(client)
    assert client.post(f"/authoring/courses/{draft['course']}/trainers", data={"trainer_id": str(users["trainer"][0])}).status_code == 403


def routes(ids):
    base = f"/authoring/courses/{ids['course']}"
    return [
        ("get", base), ("get", f"{base}/modules/{ids['module']}"), ("get", lesson_url(ids)),
        ("get", f"{base}/assets/nothing.png"),
        ("post", f"{base}/settings"), ("post", f"{base}/modules"), ("post", f"{base}/modules/{ids['module']}"),
        ("post", f"{base}/modules/{ids['module']}/move"), ("post", f"{base}/lessons"), ("post", lesson_url(ids)),
        ("post", f"{base}/lessons/{ids['lesson']}/move"), ("post", f"{base}/images"), ("post", f"{base}/publish"),
        ("post", f"{base}/trainers"),
        ("get", f"{base}/lessons/{ids['lesson']}/module"), ("get", f"{base}/lessons/{ids['lesson']}/delete"),
        ("get", f"{base}/modules/{ids['module']}/delete"), ("post", f"{base}/lessons/{ids['lesson']}/module"),
        ("post", f"{base}/lessons/{ids['lesson']}/delete"), ("post", f"{base}/modules/{ids['module']}/delete"),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, app, users, draft):
    for method, url in [("get", "/authoring/courses"), ("get", "/authoring/courses/new"), *routes(draft)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["learner", "verifier"])
def test_learners_and_verifiers_get_403(client, app, users, draft, role):
    login(client, role)
    for method, url in [("get", "/authoring/courses"), ("get", "/authoring/courses/new"), *routes(draft)]:
        assert getattr(client, method)(url).status_code == 403, url


def test_a_trainer_not_assigned_to_a_course_gets_404_everywhere_in_it(client, app, users, draft):
    with app.app_context():
        make_user(db.session, role="trainer", login="stranger@example.com")
    client.post("/login", data={"login": "stranger@example.com", "password": PASSWORD})
    assert "clean-honey" not in client.get("/authoring/courses").get_data(as_text=True)
    for method, url in routes(draft):
        expected = 403 if url.endswith("/trainers") else 404  # assigning trainers is for admins only
        assert getattr(client, method)(url).status_code == expected, url


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_the_assigned_trainer_and_admins_open_every_page(client, app, users, draft, role):
    login(client, role)
    assert "clean-honey" in client.get("/authoring/courses").get_data(as_text=True)
    for method, url in routes(draft):
        if method == "get" and not url.endswith(".png"):
            assert client.get(url).status_code == 200, url
    assert client.get("/authoring/courses/new").status_code == 200


def test_a_lesson_of_another_course_is_404_inside_this_one(client, app, users, draft):
    with app.app_context():
        other = make_course(db.session, slug="tea")
        assign_course_trainer(db.session, other.id, users["trainer"][0], None)
        db.session.commit()
        other_lesson = db.session.scalar(select(Lesson.id).join(Module).where(Module.course_id == other.id))
    login(client)
    assert client.get(f"/authoring/courses/{draft['course']}/lessons/{other_lesson}").status_code == 404


def test_editor_forms_carry_their_csrf_token(csrf_app, users):
    ids = make_draft(csrf_app, users["trainer"][0])
    client = csrf_app.test_client()
    token = lambda page: re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)  # noqa: E731
    client.post("/login", data={"login": "trainer@example.com", "password": PASSWORD, "csrf_token": token(client.get("/courses").get_data(as_text=True))})
    assert client.post(lesson_url(ids), data=lesson_form()).status_code == 400
    page = client.get(lesson_url(ids)).get_data(as_text=True)
    assert client.post(lesson_url(ids), data={**lesson_form(), "csrf_token": token(page)}).status_code == 302
    delete_url = f"/authoring/courses/{ids['course']}/lessons/{ids['lesson']}/delete"
    assert client.post(delete_url).status_code == 400
    assert client.post(delete_url, data={"csrf_token": token(client.get(delete_url).get_data(as_text=True))}).status_code == 302
    editor = client.get(f"/authoring/courses/{ids['course']}").get_data(as_text=True)
    assert client.post(f"/authoring/courses/{ids['course']}/publish", data={"csrf_token": token(editor)}).status_code == 302
