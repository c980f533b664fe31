"""Hostile names, lesson text, session details, roster rows, notes and questions opened in a real browser:
no script runs, nothing is fetched from elsewhere."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.assessment.models import Question
from lms.catalog.models import Course, Module
from lms.catalog.services import enrol_learner
from lms.extensions import db
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_course, make_user
from tests.hostile import PAYLOADS, XSS
from tests.web.test_hostile_input import _import_lesson, answer_attempt, plant_notes, plant_questions, plant_sessions, roster_csv, sign_in

pytestmark = pytest.mark.browser


def watch(page, base: str) -> tuple[list, list]:
    """Record every dialog (alert, confirm, prompt) and every request to another host."""
    dialogs, foreign = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: foreign.append(request.url) if urlsplit(request.url).netloc not in (urlsplit(base).netloc, "") and not request.url.startswith("data:") else None)
    return dialogs, foreign


def open_all(page, base: str, paths) -> None:
    for path in paths:
        response = page.goto(base + path)
        assert response.status < 500, path


def test_no_payload_runs_or_fetches_anything(live_server, phone_page, tmp_path):
    base, app = live_server
    allowed = [p for p in PAYLOADS if not p.startswith(("![", "[click"))]
    with app.app_context():
        _import_lesson(tmp_path, "\n\n".join(allowed))
        admin = make_user(db.session, login="admin@example.com", role="admin")
        for index, payload in enumerate(XSS):
            try:
                learner = make_user(db.session, login=f"h{index}@example.com", name="An " + payload, business=payload)
                enrol_learner(db.session, learner.id, db.session.scalar(select(Course)))
                db.session.commit()
            except Exception:
                db.session.rollback()
        enrol_learner(db.session, admin.id, db.session.scalar(select(Course)))
        db.session.commit()
    page = phone_page
    dialogs, foreign = watch(page, base)
    log_in(page, base, "admin@example.com", PASSWORD)
    open_all(page, base, ("/admin/users", "/admin/users?page=2", "/courses/hostile", "/courses/hostile/m/l", "/reports/courses/hostile",
                          f"/courses?q={XSS[1]}", "/admin/audit"))
    assert dialogs == [] and foreign == []


def test_hostile_sessions_rosters_notes_and_questions_run_nothing(live_server, browser):
    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        course.max_attempts = 1  # a failed attempt is the last before a pause: the review shows the right answers too
        make_user(db.session, login="admin@example.com", role="admin")
        learner = make_user(db.session, login="learner@example.com")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        course_id, slug, learner_id = course.id, course.slug, learner.id
        module_id = db.session.scalar(select(Module.id).where(Module.course_id == course_id).order_by(Module.position))
    # The data goes in through the same forms as in tests/web/test_hostile_input.py; CSRF is off for this
    # setup only (it is tested in tests/web), and on again for everything the browser does.
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client = app.test_client()
        sign_in(client, "admin@example.com")
        session_id = plant_sessions(client, course_id)[0]
        plant_notes(client, learner_id)
        plant_questions(client, slug, module_id)
        sign_in(client, "learner@example.com")
        attempt_id = int(client.post(f"/courses/{slug}/assessment/start").headers["Location"].rstrip("/").rsplit("/", 1)[1])
        with app.app_context():
            answer_attempt(client, attempt_id)
            question_id = db.session.scalar(select(Question.id).where(Question.title == "hostile-html"))
    finally:
        app.config["WTF_CSRF_ENABLED"] = True

    staff = browser.new_context().new_page()
    dialogs, foreign = watch(staff, base)
    log_in(staff, base, "admin@example.com", PASSWORD)
    staff.goto(f"{base}/sessions/{session_id}/import")
    staff.locator("input[type=file]").set_input_files({"name": "hoc-vien.csv", "mimeType": "text/csv", "buffer": roster_csv()})
    staff.locator("main form[enctype] button[type=submit]").click()
    staff.locator("button[name=mode][value=valid]").click()  # from the preview to the result with the new accounts
    staff.wait_for_url(f"{base}/sessions/{session_id}/import/apply")
    assert staff.locator("td code").count() > len(PAYLOADS) // 2
    open_all(staff, base, (f"/sessions/{session_id}", f"/sessions/{session_id}?page=2", f"/sessions/{session_id}/edit",
                           f"/reports/sessions/{session_id}", f"/reports/courses/{slug}", f"/console/sellers/{learner_id}", "/console/sellers?q=An",
                           f"/authoring/courses/{slug}/questions", f"/authoring/courses/{slug}/questions/{question_id}/edit"))

    learner_page = browser.new_context().new_page()
    learner_dialogs, learner_foreign = watch(learner_page, base)
    log_in(learner_page, base, "learner@example.com", PASSWORD)
    open_all(learner_page, base, (f"/assessment/attempts/{attempt_id}",))
    learner_page.locator("main button[value=finish]").click()
    learner_page.wait_for_url(f"{base}/assessment/attempts/{attempt_id}/submit")
    learner_page.locator("main form button[type=submit]").click()
    learner_page.wait_for_url(f"{base}/assessment/attempts/{attempt_id}/review")
    assert learner_page.locator(".feedback").count() > len(PAYLOADS)  # every chosen answer's feedback is on the page
    open_all(learner_page, base, ("/dashboard",))
    assert (dialogs, foreign, learner_dialogs, learner_foreign) == ([], [], [], [])
