"""The learner's path through HTTP: catalogue, enrolment, lessons, dashboard; the same numbers everywhere."""
import re

from sqlalchemy import func, select

from lms.catalog.learning_models import LessonProgress
from lms.extensions import db
from tests.conftest import make_course


def login_learner(client, users):
    client.post("/login", data={"login": "learner@example.com", "password": "correct-horse-battery"})


def lesson_url(course, module="basics", lesson="lesson-1"):
    return f"/courses/{course}/{module}/{lesson}"


def test_catalogue_search_ignores_diacritics(client, app):
    with app.app_context():
        make_course(db.session)
        make_course(db.session, slug="tea", title="Trà xanh", modules=(("m", 1),))
    page = client.get("/courses?q=bao bi").get_data(as_text=True)
    assert "Mật ong cơ bản" in page
    assert client.get("/courses?q=zzzz").status_code == 200


def test_unknown_course_and_lesson_are_404(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    assert client.get("/courses/nope").status_code == 404
    assert client.get(lesson_url("honey-basics", lesson="nope")).status_code == 404


def test_lesson_of_a_course_not_enrolled_shows_an_enrol_prompt(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    response = client.get(lesson_url("honey-basics"))
    assert response.status_code == 403
    assert "/courses/honey-basics" in response.get_data(as_text=True)


def test_enrol_read_complete_and_see_the_same_progress_everywhere(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    assert client.post("/courses/honey-basics/enrol").status_code == 302
    page = client.get(lesson_url("honey-basics")).get_data(as_text=True)
    assert "Nội dung 1.1" in page
    response = client.post(lesson_url("honey-basics") + "/complete")
    assert response.headers["Location"].endswith(lesson_url("honey-basics", lesson="lesson-2"))
    client.post(lesson_url("honey-basics") + "/complete")  # twice: counted once
    expected = "1/5"
    for path in ("/dashboard", "/courses/honey-basics", "/courses", lesson_url("honey-basics", lesson="lesson-2")):
        text = client.get(path).get_data(as_text=True)
        numbers = re.findall(r"(\d+)\s*(?:of|/)\s*(\d+)", text)
        assert any(f"{a}/{b}" == expected for a, b in numbers), (path, numbers)
        assert "20%" in text


def test_reading_a_lesson_again_writes_nothing_and_the_dashboard_resumes_at_the_last_one_opened(client, app, users):
    from sqlalchemy import event

    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    client.post("/courses/honey-basics/enrol")
    client.get(lesson_url("honey-basics"))
    writes = []

    def on_execute(_connection, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    engine = app.extensions["lms_db"].engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        assert client.get(lesson_url("honey-basics")).status_code == 200
        assert writes == []
        assert client.get(lesson_url("honey-basics", lesson="lesson-2")).status_code == 200
        assert writes  # a lesson opened for the first time starts its reading clock and becomes the last one
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert lesson_url("honey-basics", lesson="lesson-2") in client.get("/dashboard").get_data(as_text=True)


def test_tampered_lesson_in_a_post_is_404_and_writes_nothing(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    client.post("/courses/honey-basics/enrol")
    assert client.post("/courses/honey-basics/basics/lesson-99/complete").status_code == 404
    assert client.post("/courses/other/basics/lesson-1/complete").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_leaving_asks_for_confirmation_first(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    client.post("/courses/honey-basics/enrol")
    assert client.get("/courses/honey-basics/leave").status_code == 200
    assert client.post("/courses/honey-basics/leave").status_code == 302
    assert client.get(lesson_url("honey-basics")).status_code == 403


def test_dashboard_lists_required_courses_still_missing(client, app, users):
    with app.app_context():
        make_course(db.session, required=True)
    login_learner(client, users)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Mật ong cơ bản" in page


def test_lesson_page_is_light(client, app, users):
    import gzip

    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    client.post("/courses/honey-basics/enrol")
    html = client.get(lesson_url("honey-basics")).data
    css = client.get("/static/css/app.css").data
    scripts = [client.get(src.decode()).data for src in re.findall(rb'<script src="([^"]+)"', html)]
    assert len(gzip.compress(html)) + len(gzip.compress(css)) + sum(len(gzip.compress(js)) for js in scripts) < 60 * 1024
    # no video: only the small offline script, loaded without blocking the page
    assert re.findall(rb"<script[^>]*>", html) == [b'<script src="/static/js/offline.js" defer>']


def test_course_assets_are_served_with_caching_headers(app, client, tmp_path):
    from lms.content.importer import import_bundle, load_bundles
    from lms.storage import storage

    folder = tmp_path / "courses" / "pics"
    (folder / "assets").mkdir(parents=True)
    (folder / "01-m").mkdir()
    (folder / "course.yml").write_text("slug: pics\ntrack: packaging\nversion: 1\ntitle: {vi: Ảnh, en: Pictures}\nsummary: {vi: Ảnh, en: Pictures}\n", encoding="utf-8")
    (folder / "01-m" / "module.yml").write_text("title: {vi: Chương, en: Module}\n", encoding="utf-8")
    for lang in ("vi", "en"):
        (folder / "01-m" / f"01-a.{lang}.md").write_text("---\ntitle: A\nminutes: 3\n---\n\n![box](../assets/box.png)\n", encoding="utf-8")
    from PIL import Image

    Image.new("RGB", (40, 20), "white").save(folder / "assets" / "box.png")
    (tmp_path / "quizzes").mkdir()
    for lang in ("vi", "en"):
        (tmp_path / "quizzes" / f"pics.{lang}.gift").write_text("$CATEGORY: m\n\n::q1:: Đúng? {T}\n", encoding="utf-8")
    with app.app_context():
        bundles, stray = load_bundles([tmp_path / "courses", tmp_path / "quizzes"])
        assert stray == [] and bundles[0].problems == []
        import_bundle(db.session, bundles[0], storage())
        db.session.commit()
    response = client.get("/courses/pics/assets/box.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "max-age" in response.headers["Cache-Control"]
    assert client.get("/courses/pics/assets/../course.yml").status_code == 404


def test_enrolled_learner_downloads_the_course_as_a_pdf_with_vietnamese_intact(client, app, users):
    import io

    from pypdf import PdfReader

    with app.app_context():
        make_course(db.session, modules=(("basics", 1),))
    login_learner(client, users)
    assert client.get("/courses/honey-basics/handout.pdf").status_code == 404  # not enrolled yet
    client.post("/courses/honey-basics/enrol")
    response = client.get("/courses/honey-basics/handout.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Mật ong cơ bản" in text and "Nội dung 1.1" in text


def test_progress_made_offline_is_synced_once_and_bad_payloads_are_refused(client, app, users):
    with app.app_context():
        make_course(db.session)
        from lms.catalog.models import Lesson

        lesson_ids = list(db.session.scalars(select(Lesson.id).order_by(Lesson.id)))[:2]
    login_learner(client, users)
    client.post("/courses/honey-basics/enrol")
    for _ in range(2):  # the phone may send the same list twice
        response = client.post("/progress/sync", json={"lessons": lesson_ids})
        assert response.status_code == 200
    assert [r["status"] for r in response.get_json()["results"]] == ["already", "already"]
    assert "2/5" in client.get("/dashboard").get_data(as_text=True)
    for bad in ({"lessons": "1"}, {"lessons": [True]}, [1, 2], {"nothing": 1}):
        response = client.post("/progress/sync", json=bad)
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert client.post("/progress/sync", json={"lessons": list(range(501))}).status_code == 413


def test_offline_manifest_lists_the_course_pages_for_enrolled_learners_only(client, app, users):
    with app.app_context():
        make_course(db.session)
    login_learner(client, users)
    assert client.get("/courses/honey-basics/offline.json").status_code == 403
    client.post("/courses/honey-basics/enrol")
    manifest = client.get("/courses/honey-basics/offline.json").get_json()
    assert len(manifest["pages"]) == 6 and "/courses/honey-basics/basics/lesson-1" in manifest["pages"]
    # fetching the pages to store them does not count as reading them
    client.get("/courses/honey-basics/selling/lesson-2", headers={"X-LMS-Prefetch": "1"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
